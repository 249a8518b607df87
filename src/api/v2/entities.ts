/**
 * The v2 entity routes. Every entity gets concrete, typed paths for exactly the operations it supports
 * (`…/entityTypes/Messages/entities`), so the OpenAPI document types each one; a generic route behind them answers
 * unknown entity types (404) and operations an entity does not have (501).
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { EntityDefinition, Operation } from '../../entities/catalog.js'
import { ENTITIES, ENTITY_NAMES, isEntityName } from '../../entities/catalog.js'
import { NotFoundError } from '../../errors.js'
import { BULK_ROW_LIMIT, type CreateResult, type EntityService } from '../../runtime/entity-service.js'
import { IDEMPOTENCY_HEADERS_SCHEMA, IDEMPOTENCY_QUERY_SCHEMA, idempotencyKeyOf, markReplayed, type IdempotencyQuery } from './idempotency-key.js'
import type { ConnectionParams } from './params.js'
import { CONNECTION_PATH, connectionOf, connectionParamsSchema, pageSizeOf, pageSizeSchema } from './params.js'
import { ERROR_RESPONSES, entitySchemaIds } from './schemas.js'

/** List's page sizes (Google's): the default and the largest. */
export const DEFAULT_PAGE_SIZE = 25
export const MAX_PAGE_SIZE = 200

interface EntityParams extends ConnectionParams { entityId: string }
interface ListQuery { pageSize?: number, pageToken?: string, conditions?: string, sortBy?: string[], sortOrder?: string[] }
interface EntityBody { fields: unknown }
interface BulkQuery { conditions?: string }

const bulkQuerySchema = {
  type: 'object',
  properties: { conditions: { type: 'string', description: 'The rows to change (required, not empty): the filter clause of List.' } }
}

const listQuerySchema = {
  type: 'object',
  properties: {
    pageSize: pageSizeSchema(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    pageToken: { type: 'string', description: 'The nextPageToken of the previous page.' },
    conditions: {
      type: 'string',
      description: 'Filter clause: FIELD OP VALUE joined by AND / OR, with parentheses and NOT; operators =, !=, <>, <, <=, >, >=, ' +
        '[NOT] LIKE, [NOT] IN (…), IS [NOT] NULL; values \'text\', numbers, TRUE, FALSE, ISO dates and timestamps, TODAY() and ' +
        'NOW() ± days. A bare Sid means Sid = \'<sid>\'. See the README for the grammar and which fields Twilio filters on.'
    },
    sortBy: { type: 'array', items: { type: 'string' }, maxItems: 1, description: 'One column to sort by; without it, Twilio\'s own order.' },
    sortOrder: { type: 'array', items: { type: 'string' }, maxItems: 1, description: 'ASC (default) or DESC, for the sortBy column.' }
  }
}

function entityParamsSchema (entity: EntityDefinition): Record<string, unknown> {
  return {
    ...connectionParamsSchema,
    required: [...connectionParamsSchema.required, 'entityId'],
    properties: {
      ...connectionParamsSchema.properties,
      entityId: { type: 'string', pattern: entity.idPattern.source, description: `The ${entity.name} Sid.` }
    }
  }
}

/** A create's answer; a replayed one says so (`Idempotent-Replayed: true`). */
function created (reply: FastifyReply, result: CreateResult): unknown {
  markReplayed(reply, result.replayed)
  return result.resource
}

function registerEntity (app: FastifyInstance, service: EntityService, entity: EntityDefinition): void {
  const path = `${CONNECTION_PATH}/entityTypes/${entity.name}/entities`
  const ids = entitySchemaIds(entity)
  const supports = (operation: Operation): boolean => entity.operations.includes(operation)
  const common = { tags: [entity.name], ...(entity.deprecation ? { deprecated: true } : {}) }
  const deprecationNote = entity.deprecation ? ` ${entity.deprecation}` : ''

  if (supports('LIST')) {
    app.get<{ Params: ConnectionParams, Querystring: ListQuery }>(path, {
      config: { operation: 'LIST', entity: entity.name },
      schema: {
        ...common,
        operationId: `list${entity.name}`,
        summary: `List ${entity.name}`,
        description: `Lists ${entity.name}, ${entity.document['x-entity'].defaultOrder ?? 'in Twilio\'s order'}.` +
          (entity.name === 'Feedback' ? ' Twilio cannot list feedback: give the condition Sid = \'CA…\'.' : '') + deprecationNote,
        params: connectionParamsSchema,
        querystring: listQuerySchema,
        response: { 200: { $ref: `${ids.list}#` }, ...ERROR_RESPONSES }
      }
    }, async (request) => service.list(connectionOf(request.params), entity, {
      pageSize: pageSizeOf(request.query.pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
      pageToken: request.query.pageToken,
      conditions: request.query.conditions,
      sortBy: request.query.sortBy,
      sortOrder: request.query.sortOrder
    }))
  }
  if (supports('CREATE')) {
    app.post<{ Params: ConnectionParams, Body: EntityBody, Querystring: IdempotencyQuery }>(path, {
      config: { operation: 'CREATE', entity: entity.name },
      schema: {
        ...common,
        operationId: `create${entity.name}`,
        summary: `Create ${entity.name}`,
        description: `${entity.create?.description ?? ''}${deprecationNote}`.trim(),
        params: connectionParamsSchema,
        querystring: IDEMPOTENCY_QUERY_SCHEMA,
        headers: IDEMPOTENCY_HEADERS_SCHEMA,
        body: { $ref: `${ids.createRequest}#` },
        response: { 200: { $ref: `${ids.createAnswer}#` }, ...ERROR_RESPONSES }
      }
    }, async (request, reply) =>
      created(reply, await service.create(connectionOf(request.params), entity, request.body.fields, idempotencyKeyOf(request))))
  }
  if (supports('UPDATE')) {
    app.post<{ Params: ConnectionParams, Querystring: BulkQuery, Body: EntityBody }>(`${path}::updateEntitiesWithConditions`, {
      config: { operation: 'UPDATE', entity: entity.name },
      schema: {
        ...common,
        operationId: `update${entity.name}WithConditions`,
        summary: `Update every one of ${entity.name} that matches the conditions`,
        description: `Changes the given fields of every matching row (at most ${BULK_ROW_LIMIT}, counted before anything changes). ` +
          `If a row fails, the call stops and its error's ErrorInfo (BULK_CHANGE_INCOMPLETE) names the rows changed.${deprecationNote}`,
        params: connectionParamsSchema,
        querystring: bulkQuerySchema,
        body: { $ref: `${ids.updateRequest}#` },
        response: { 200: { $ref: 'BulkChangeResponse#' }, ...ERROR_RESPONSES }
      }
    }, async (request) => ({
      response: await service.changeWhere(connectionOf(request.params), entity, 'UPDATE', request.query.conditions, request.body.fields)
    }))
  }
  if (supports('DELETE')) {
    app.post<{ Params: ConnectionParams, Querystring: BulkQuery }>(`${path}::deleteEntitiesWithConditions`, {
      config: { operation: 'DELETE', entity: entity.name },
      schema: {
        ...common,
        operationId: `delete${entity.name}WithConditions`,
        summary: `Delete every one of ${entity.name} that matches the conditions`,
        description: `Deletes every matching row (at most ${BULK_ROW_LIMIT}, counted before anything changes). If a row fails, ` +
          `the call stops and its error's ErrorInfo (BULK_CHANGE_INCOMPLETE) names the rows deleted.${deprecationNote}`,
        params: connectionParamsSchema,
        querystring: bulkQuerySchema,
        response: { 200: { $ref: 'BulkChangeResponse#' }, ...ERROR_RESPONSES }
      }
    }, async (request) => ({
      response: await service.changeWhere(connectionOf(request.params), entity, 'DELETE', request.query.conditions)
    }))
  }
  if (supports('GET')) {
    app.get<{ Params: EntityParams }>(`${path}/:entityId`, {
      config: { operation: 'GET', entity: entity.name },
      schema: {
        ...common,
        operationId: `get${entity.name}`,
        summary: `Get one of ${entity.name}`,
        ...(deprecationNote ? { description: deprecationNote.trim() } : {}),
        params: entityParamsSchema(entity),
        response: { 200: { $ref: `${ids.entity}#` }, ...ERROR_RESPONSES }
      }
    }, async (request) => service.get(connectionOf(request.params), entity, request.params.entityId))
  }
  if (supports('UPDATE')) {
    app.patch<{ Params: EntityParams, Body: EntityBody }>(`${path}/:entityId`, {
      config: { operation: 'UPDATE', entity: entity.name },
      schema: {
        ...common,
        operationId: `update${entity.name}`,
        summary: `Update one of ${entity.name}`,
        description: `Changes the given fields; the others are left as they are.${deprecationNote}`,
        params: entityParamsSchema(entity),
        body: { $ref: `${ids.updateRequest}#` },
        response: { 200: { $ref: `${ids.entity}#` }, ...ERROR_RESPONSES }
      }
    }, async (request) => service.update(connectionOf(request.params), entity, request.params.entityId, request.body.fields))
  }
  if (supports('DELETE')) {
    app.delete<{ Params: EntityParams }>(`${path}/:entityId`, {
      config: { operation: 'DELETE', entity: entity.name },
      schema: {
        ...common,
        operationId: `delete${entity.name}`,
        summary: `Delete one of ${entity.name}`,
        ...(deprecationNote ? { description: deprecationNote.trim() } : {}),
        params: entityParamsSchema(entity),
        response: { 200: { $ref: 'Empty#' }, ...ERROR_RESPONSES }
      }
    }, async (request) => {
      await service.delete(connectionOf(request.params), entity, request.params.entityId)
      return {}
    })
  }
}

interface GenericParams extends ConnectionParams { entityType: string, entityId?: string }

/** The entity a generic route names; 404 NOT_FOUND (with a hint for a wrong case) when there is none. */
export function entityNamed (name: string): EntityDefinition {
  if (isEntityName(name)) return ENTITIES.get(name)!
  const near = ENTITY_NAMES.find((known) => known.toLowerCase() === name.toLowerCase())
  throw new NotFoundError(`Entity type ${name} not found${near ? `; did you mean ${near}?` : ''} ` +
    `(entity types: ${ENTITY_NAMES.join(', ')})`)
}

function registerGeneric (app: FastifyInstance, service: EntityService): void {
  const path = `${CONNECTION_PATH}/entityTypes/:entityType/entities`
  const hidden = { hide: true }
  app.get<{ Params: GenericParams, Querystring: ListQuery }>(path, { schema: hidden, config: { operation: 'LIST' } }, async (request) => {
    const entity = entityNamed(request.params.entityType)
    return service.list(connectionOf(request.params), entity, { pageSize: DEFAULT_PAGE_SIZE })
  })
  app.post<{ Params: GenericParams, Body: EntityBody }>(path, { schema: hidden, config: { operation: 'CREATE' } }, async (request, reply) =>
    created(reply, await service.create(connectionOf(request.params), entityNamed(request.params.entityType), request.body?.fields, idempotencyKeyOf(request))))
  app.get<{ Params: GenericParams }>(`${path}/:entityId`, { schema: hidden, config: { operation: 'GET' } }, async (request) =>
    service.get(connectionOf(request.params), entityNamed(request.params.entityType), request.params.entityId!))
  app.patch<{ Params: GenericParams, Body: EntityBody }>(`${path}/:entityId`, { schema: hidden, config: { operation: 'UPDATE' } }, async (request) =>
    service.update(connectionOf(request.params), entityNamed(request.params.entityType), request.params.entityId!, request.body?.fields))
  for (const [verb, change] of [['updateEntitiesWithConditions', 'UPDATE'], ['deleteEntitiesWithConditions', 'DELETE']] as const) {
    app.post<{ Params: GenericParams, Querystring: BulkQuery, Body: EntityBody }>(`${path}::${verb}`, { schema: hidden, config: { operation: change } }, async (request) => ({
      response: await service.changeWhere(connectionOf(request.params), entityNamed(request.params.entityType), change, request.query.conditions, request.body?.fields)
    }))
  }
  app.delete<{ Params: GenericParams }>(`${path}/:entityId`, { schema: hidden, config: { operation: 'DELETE' } }, async (request) => {
    await service.delete(connectionOf(request.params), entityNamed(request.params.entityType), request.params.entityId!)
    return {}
  })
}

export function registerEntityRoutes (app: FastifyInstance, service: EntityService): void {
  for (const entity of ENTITIES.values()) registerEntity(app, service, entity)
  registerGeneric(app, service)
}
