/**
 * Schema discovery: `GET …/entityTypes` and `GET …/entityTypes/{entityType}`, generated from `schemas/`.
 */
import type { FastifyInstance } from 'fastify'
import { ENTITIES } from '../../entities/catalog.js'
import { entityTypeView } from '../../entities/entity-type-view.js'
import type { ConnectionRuntime } from '../../runtime/connections.js'
import { entityNamed } from './entities.js'
import type { ConnectionParams } from './params.js'
import { CONNECTION_PATH, connectionOf, connectionParamsSchema, fixedListPage, pageSizeOf, pageSizeSchema } from './params.js'
import { ERROR_RESPONSES } from './schemas.js'

const LIST_VIEWS = ['ENTITY_TYPE_VIEW_UNSPECIFIED', 'ENTITY_TYPE_VIEW_BASIC', 'ENTITY_TYPE_VIEW_FULL']
const GET_VIEWS = ['ENTITY_TYPE_SCHEMA_VIEW_UNSPECIFIED', 'ENTITY_TYPE_SCHEMA_VIEW_BASIC', 'ENTITY_TYPE_SCHEMA_VIEW_ENRICHED']

export function registerEntityTypeRoutes (app: FastifyInstance, connections: ConnectionRuntime): void {
  app.get<{ Params: ConnectionParams, Querystring: { view?: string, pageSize?: number, pageToken?: string } }>(
    `${CONNECTION_PATH}/entityTypes`, {
      schema: {
        tags: ['Schema'],
        operationId: 'listEntityTypes',
        summary: 'List the entity types of a connection',
        description: 'ENTITY_TYPE_VIEW_BASIC answers names only; FULL (the default) adds fields, JSON schema and operations.',
        params: connectionParamsSchema,
        querystring: {
          type: 'object',
          properties: {
            view: { type: 'string', enum: LIST_VIEWS },
            pageSize: pageSizeSchema(25, 100),
            pageToken: { type: 'string' }
          }
        },
        response: { 200: { $ref: 'ListEntityTypesResponse#' }, ...ERROR_RESPONSES }
      }
    }, async (request) => {
      await connections.connection(connectionOf(request.params))
      const view = request.query.view === 'ENTITY_TYPE_VIEW_BASIC' ? 'BASIC' : 'FULL'
      const { page, nextPageToken } = fixedListPage([...ENTITIES.values()], pageSizeOf(request.query.pageSize, 25, 100), request.query.pageToken)
      return { types: page.map((entity) => entityTypeView(entity, view)), nextPageToken }
    })

  app.get<{ Params: ConnectionParams & { entityType: string }, Querystring: { view?: string } }>(
    `${CONNECTION_PATH}/entityTypes/:entityType`, {
      schema: {
        tags: ['Schema'],
        operationId: 'getEntityType',
        summary: 'Get an entity type: fields, JSON schema and operations',
        params: {
          ...connectionParamsSchema,
          required: [...connectionParamsSchema.required, 'entityType'],
          properties: { ...connectionParamsSchema.properties, entityType: { type: 'string', description: `One of ${[...ENTITIES.keys()].join(', ')}.` } }
        },
        querystring: { type: 'object', properties: { view: { type: 'string', enum: GET_VIEWS } } },
        response: { 200: { $ref: 'EntityType#' }, ...ERROR_RESPONSES }
      }
    }, async (request) => {
      await connections.connection(connectionOf(request.params))
      return entityTypeView(entityNamed(request.params.entityType), 'FULL')
    })
}
