/**
 * `/v1/projects/{project}/locations/{location}/connections…`: Connection CRUD in the shapes of Google's Connectors
 * v1 API, as Terraform's `google_integration_connectors_connection` calls it (create, get, list, patch with an
 * update mask, delete; writes answer finished long-running operations).
 */
import type { FastifyInstance } from 'fastify'
import { assertCanReach, canReach } from '../auth.js'
import type { ConnectionManager } from '../../connections/management.js'
import { parentName } from '../../connections/management.js'
import { ERROR_RESPONSES } from '../v2/schemas.js'
import { pageSizeOf, pageSizeSchema } from '../v2/params.js'
import { CONNECTION_ID } from './schemas.js'

export const LOCATION_PATH = '/v1/projects/:project/locations/:location'

interface LocationParams { project: string, location: string }
interface ConnectionParams extends LocationParams { connection: string }

export const locationParamsSchema = {
  type: 'object',
  required: ['project', 'location'],
  properties: { project: { type: 'string' }, location: { type: 'string' } }
}
const connectionParamsSchema = {
  type: 'object',
  required: ['project', 'location', 'connection'],
  properties: { ...locationParamsSchema.properties, connection: { type: 'string' } }
}
const view = { type: 'string', enum: ['CONNECTION_VIEW_UNSPECIFIED', 'BASIC', 'FULL'], description: 'Accepted; both views answer the whole connection.' }
const tags = ['Connections (v1)']

const nameOf = (params: ConnectionParams): string => `${parentName(params.project, params.location)}/connections/${params.connection}`

export function registerConnectionRoutes (app: FastifyInstance, manager: ConnectionManager): void {
  app.post<{ Params: LocationParams, Querystring: { connectionId?: string }, Body: unknown }>(`${LOCATION_PATH}/connections`, {
    schema: {
      tags,
      operationId: 'createConnection',
      summary: 'Create a connection (answers a finished Operation whose response is the Connection)',
      params: locationParamsSchema,
      querystring: { type: 'object', properties: { connectionId: { type: 'string' } } },
      body: { $ref: `${CONNECTION_ID}#` },
      response: { 200: { $ref: 'Operation#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => {
    const parent = parentName(request.params.project, request.params.location)
    assertCanReach(request, `${parent}/connections/${request.query.connectionId ?? ''}`)
    return manager.create(parent, request.query.connectionId, request.body)
  })

  app.get<{ Params: LocationParams, Querystring: { filter?: string, orderBy?: string, pageSize?: number, pageToken?: string } }>(
    `${LOCATION_PATH}/connections`, {
      schema: {
        tags,
        operationId: 'listConnections',
        summary: 'List connections',
        description: 'filter: AIP-160, e.g. labels.env = "prod" AND name:twilio*; orderBy: e.g. createTime desc.',
        params: locationParamsSchema,
        querystring: {
          type: 'object',
          properties: { filter: { type: 'string' }, orderBy: { type: 'string' }, pageSize: pageSizeSchema(50, 1000), pageToken: { type: 'string' }, view }
        },
        response: { 200: { $ref: 'ListConnectionsResponse#' }, ...ERROR_RESPONSES }
      }
    }, async (request) => manager.list(parentName(request.params.project, request.params.location), {
      filter: request.query.filter,
      orderBy: request.query.orderBy,
      pageSize: pageSizeOf(request.query.pageSize, 50, 1000),
      pageToken: request.query.pageToken,
      visible: (name) => canReach(request, name)
    }))

  app.get<{ Params: ConnectionParams }>(`${LOCATION_PATH}/connections/:connection`, {
    schema: {
      tags,
      operationId: 'getConnection',
      summary: 'Get a connection (always with status.state)',
      params: connectionParamsSchema,
      querystring: { type: 'object', properties: { view } },
      response: { 200: { $ref: `${CONNECTION_ID}#` }, ...ERROR_RESPONSES }
    }
  }, async (request) => manager.get(nameOf(request.params)))

  app.patch<{ Params: ConnectionParams, Querystring: { updateMask?: string }, Body: unknown }>(`${LOCATION_PATH}/connections/:connection`, {
    schema: {
      tags,
      operationId: 'updateConnection',
      summary: 'Update the fields an update mask names (a masked field absent from the body is cleared)',
      params: connectionParamsSchema,
      querystring: { type: 'object', properties: { updateMask: { type: 'string', description: 'Comma-separated fields, camelCase or snake_case; * for all.' } } },
      body: { $ref: `${CONNECTION_ID}#` },
      response: { 200: { $ref: 'Operation#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => manager.update(nameOf(request.params), request.body, request.query.updateMask))

  app.delete<{ Params: ConnectionParams }>(`${LOCATION_PATH}/connections/:connection`, {
    schema: {
      tags,
      operationId: 'deleteConnection',
      summary: 'Delete a connection (its runtime paths answer 404 at once)',
      params: connectionParamsSchema,
      querystring: { type: 'object', properties: { force: { type: 'boolean' } } },
      response: { 200: { $ref: 'Operation#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => manager.delete(nameOf(request.params)))
}
