/**
 * The runtime API's shared schemas: Google's shapes (Entity, ListEntitiesResponse, EntityType, google.rpc.Status …)
 * and, per entity, its row, create and update schemas taken from `schemas/`. They are registered once with
 * Fastify, which uses them to serialise answers and `@fastify/swagger` to publish named OpenAPI components, so a
 * generated client is typed per entity.
 */
import type { EntityDefinition, InputSchema, PropertySchema } from '../../entities/catalog.js'
import { ENTITIES } from '../../entities/catalog.js'
import { oneOfGroupsSchema } from '../../entities/inputs.js'

type Schema = Record<string, unknown>

const freeForm = { type: 'object', additionalProperties: true }

const RPC_STATUS_ID = 'GoogleRpcStatus'
/** Every runtime route answers its errors as google.rpc.Status. */
export const ERROR_RESPONSES = { '4xx': { $ref: `${RPC_STATUS_ID}#` }, '5xx': { $ref: `${RPC_STATUS_ID}#` } }

/** A list of schemas as Google answers it (entity types, actions): the items, `nextPageToken`, the names left out. */
export function schemaListResponse ($id: string, key: string, itemId: string, unsupportedKey: string): Schema {
  return {
    $id,
    type: 'object',
    required: [key, 'nextPageToken'],
    properties: {
      [key]: { type: 'array', items: { $ref: `${itemId}#` } },
      nextPageToken: { type: 'string', description: 'Empty on the last page.' },
      [unsupportedKey]: { type: 'array', items: { type: 'string' } }
    }
  }
}

const sharedSchemas: Schema[] = [
  {
    $id: RPC_STATUS_ID,
    description: 'google.rpc.Status: every error answer of the gateway.',
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'status', 'details'],
        properties: {
          code: { type: 'integer', description: 'The HTTP status.' },
          message: { type: 'string' },
          status: { type: 'string', description: 'The google.rpc.Code name, e.g. INVALID_ARGUMENT.' },
          details: {
            type: 'array',
            description: 'google.rpc detail messages (ErrorInfo, BadRequest, RetryInfo …), each with its @type.',
            items: freeForm
          }
        }
      }
    }
  },
  { $id: 'Empty', description: 'google.protobuf.Empty', type: 'object', properties: {} },
  {
    $id: 'Field',
    description: 'A field of an entity type.',
    type: 'object',
    required: ['name', 'dataType', 'key', 'nullable'],
    properties: {
      name: { type: 'string' },
      dataType: { type: 'string', description: 'Google DataType, e.g. VARCHAR, INTEGER, TIMESTAMP, STRUCT.' },
      key: { type: 'boolean' },
      nullable: { type: 'boolean' },
      description: { type: 'string' },
      additionalDetails: freeForm
    }
  },
  {
    $id: 'EntityType',
    description: 'An entity type: its fields, JSON schema and supported operations.',
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string' },
      fields: { type: 'array', items: { $ref: 'Field#' } },
      jsonSchema: freeForm,
      operations: { type: 'array', items: { type: 'string', enum: ['LIST', 'GET', 'CREATE', 'UPDATE', 'DELETE'] } },
      metadata: freeForm
    }
  },
  schemaListResponse('ListEntityTypesResponse', 'types', 'EntityType', 'unsupportedTypeNames'),
  {
    $id: 'CheckStatusResponse',
    type: 'object',
    required: ['state', 'description'],
    properties: {
      state: { type: 'string', enum: ['ACTIVE', 'ERROR', 'AUTH_ERROR'] },
      description: { type: 'string' }
    }
  },
  {
    $id: 'BulkChangeResponse',
    description: 'What updateEntitiesWithConditions or deleteEntitiesWithConditions changed: every matching row.',
    type: 'object',
    required: ['response'],
    properties: {
      response: {
        type: 'object',
        required: ['affectedRows', 'affectedSids'],
        properties: {
          affectedRows: { type: 'integer', description: 'How many rows were changed.' },
          affectedSids: { type: 'array', items: { type: 'string' }, description: 'The Sids of the rows changed.' }
        }
      }
    }
  },
  {
    $id: 'CheckReadinessResponse',
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['ACTIVE', 'ERROR'] } }
  }
]

/** Component ids of an entity's schemas. */
export function entitySchemaIds (entity: EntityDefinition): {
  row: string, create: string, update: string, createResult: string,
  entity: string, list: string, createRequest: string, updateRequest: string, createAnswer: string
} {
  const name = entity.name
  return {
    row: name,
    create: `${name}Create`,
    update: `${name}Update`,
    createResult: `${name}CreateResult`,
    entity: `${name}Entity`,
    list: `${name}List`,
    createRequest: `${name}CreateRequest`,
    updateRequest: `${name}UpdateRequest`,
    createAnswer: entity.createResult ? `${name}CreateResultEntity` : `${name}Entity`
  }
}

function envelope ($id: string, description: string, fieldsRef: string, withName: boolean, deprecated: boolean): Schema {
  return {
    $id,
    description,
    ...(deprecated ? { deprecated: true } : {}),
    type: 'object',
    required: ['fields'],
    properties: {
      ...(withName ? { name: { type: 'string', description: 'The entity\'s resource name (output only).', readOnly: true } } : {}),
      fields: { $ref: `${fieldsRef}#` },
      metadata: freeForm
    }
  }
}

/**
 * An input schema as published: Twilio's own names (`From`, `FriendlyName`) appear as alias properties, and the
 * one-of groups the gateway enforces (`x-required-one-of`) are spelled out as `anyOf` so clients can see them.
 */
export function publishedInput (schema: InputSchema, description: string): Schema {
  const { title: _title, properties, ...rest } = schema
  const published: Record<string, PropertySchema> = {}
  for (const [field, property] of Object.entries(properties)) {
    published[field] = property
    const { 'x-aliases': aliases = [], ...aliasProperty } = property
    for (const alias of aliases) {
      published[alias] = { ...aliasProperty, description: `Twilio's name for ${field}; give one or the other. ${property.description ?? ''}`.trim() }
    }
  }
  return {
    ...rest,
    description,
    properties: published,
    ...oneOfGroupsSchema(schema, (field) => [field, ...(properties[field]?.['x-aliases'] ?? [])])
  }
}

function entityComponentSchemas (entity: EntityDefinition): Schema[] {
  const ids = entitySchemaIds(entity)
  const document = entity.document
  const deprecated = document.deprecated === true
  const schemas: Schema[] = [
    {
      $id: ids.row,
      title: entity.name,
      description: document.description,
      ...(deprecated ? { deprecated: true } : {}),
      type: 'object',
      required: Object.keys(entity.fields),
      properties: entity.fields
    },
    envelope(ids.entity, `An entity of type ${entity.name}.`, ids.row, true, deprecated)
  ]
  if (entity.operations.includes('LIST')) {
    schemas.push({
      $id: ids.list,
      ...(deprecated ? { deprecated: true } : {}),
      type: 'object',
      required: ['entities', 'nextPageToken'],
      properties: {
        entities: { type: 'array', items: { $ref: `${ids.entity}#` } },
        nextPageToken: { type: 'string', description: 'Pass as pageToken for the next page; empty on the last page.' },
        metadata: freeForm
      }
    })
  }
  for (const [schema, id, requestId, verb] of [
    [entity.create, ids.create, ids.createRequest, 'create'],
    [entity.update, ids.update, ids.updateRequest, 'update']
  ] as const) {
    if (!schema) continue
    const description = `${schema.title}: the fields a ${verb} accepts. ${schema.description}`.trim()
    schemas.push({ $id: id, ...publishedInput(schema, description), ...(deprecated ? { deprecated: true } : {}) })
    schemas.push(envelope(requestId, `The body of a ${entity.name} ${verb}.`, id, false, deprecated))
  }
  if (entity.createResult) {
    schemas.push({
      $id: ids.createResult,
      description: `What a ${entity.name} create answers.`,
      ...(deprecated ? { deprecated: true } : {}),
      type: 'object',
      required: Object.keys(entity.createResult),
      properties: entity.createResult
    })
    schemas.push(envelope(ids.createAnswer, `The answer of a ${entity.name} create.`, ids.createResult, false, deprecated))
  }
  return schemas
}

/** Every shared schema of the runtime API, in registration order. */
export function runtimeSchemas (): Schema[] {
  return [...sharedSchemas, ...[...ENTITIES.values()].flatMap(entityComponentSchemas)]
}

/** Ids of request bodies whose `fields` the entity input validator checks (Fastify only checks the envelope). */
export const ENTITY_REQUEST_IDS: ReadonlySet<string> = new Set(
  [...ENTITIES.values()].flatMap((entity) => {
    const ids = entitySchemaIds(entity)
    return [...(entity.create ? [ids.createRequest] : []), ...(entity.update ? [ids.updateRequest] : [])]
  })
)
