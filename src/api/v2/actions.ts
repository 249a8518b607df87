/**
 * The v2 actions API: `GET …/actions`, `GET …/actions/{action}` and `POST …/actions/{action}:execute`. Every action
 * gets its own execute path (`…/actions/SendMessage:execute`), so the OpenAPI document types its parameters and
 * results; a generic route behind them answers unknown actions (404).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { actionView } from '../../actions/action-view.js'
import type { ActionDefinition } from '../../actions/catalog.js'
import { ACTION_NAMES, ACTIONS, actionNamed } from '../../actions/catalog.js'
import type { ActionService } from '../../runtime/action-service.js'
import type { ConnectionRuntime } from '../../runtime/connections.js'
import { actionSchemaIds } from './action-schemas.js'
import { IDEMPOTENCY_HEADERS_SCHEMA, IDEMPOTENCY_QUERY_SCHEMA, idempotencyKeyOf, markReplayed } from './idempotency-key.js'
import type { ConnectionParams } from './params.js'
import { CONNECTION_PATH, connectionOf, connectionParamsSchema, fixedListPage, pageSizeOf, pageSizeSchema } from './params.js'
import { ERROR_RESPONSES } from './schemas.js'

const LIST_VIEWS = ['ACTION_VIEW_UNSPECIFIED', 'ACTION_VIEW_BASIC', 'ACTION_VIEW_FULL']
const GET_VIEWS = ['ACTION_SCHEMA_VIEW_UNSPECIFIED', 'ACTION_SCHEMA_VIEW_BASIC', 'ACTION_SCHEMA_VIEW_ENRICHED']
const DEFAULT_PAGE_SIZE = 25
const MAX_PAGE_SIZE = 100
const tags = ['Actions']

interface ActionParams extends ConnectionParams { action: string }
interface ExecuteBody { parameters?: unknown }

/** Runs the action a request names and answers Google's `ExecuteActionResponse`. */
async function executed (service: ActionService, action: ActionDefinition, request: FastifyRequest<{ Params: ConnectionParams, Body: ExecuteBody | null }>, reply: FastifyReply): Promise<{ results: unknown[] }> {
  const { results, replayed } = await service.execute(connectionOf(request.params), action, request.body?.parameters, idempotencyKeyOf(request))
  markReplayed(reply, replayed)
  return { results }
}

function registerExecute (app: FastifyInstance, service: ActionService, action: ActionDefinition): void {
  const ids = actionSchemaIds(action)
  app.post<{ Params: ConnectionParams, Body: ExecuteBody }>(`${CONNECTION_PATH}/actions/${action.name}::execute`, {
    config: { operation: 'EXECUTE_ACTION', entity: action.entity },
    schema: {
      tags,
      operationId: `execute${action.name}`,
      summary: action.displayName,
      description: action.description,
      params: connectionParamsSchema,
      ...(action.creates ? { querystring: IDEMPOTENCY_QUERY_SCHEMA, headers: IDEMPOTENCY_HEADERS_SCHEMA } : {}),
      body: { $ref: `${ids.request}#` },
      response: { 200: { $ref: `${ids.response}#` }, ...ERROR_RESPONSES }
    }
  }, async (request, reply) => executed(service, action, request, reply))
}

export function registerActionRoutes (app: FastifyInstance, connections: ConnectionRuntime, service: ActionService): void {
  app.get<{ Params: ConnectionParams, Querystring: { view?: string, pageSize?: number, pageToken?: string } }>(`${CONNECTION_PATH}/actions`, {
    schema: {
      tags,
      operationId: 'listActions',
      summary: 'List the actions of a connection',
      description: 'ACTION_VIEW_BASIC answers names only; FULL (the default) adds parameters, result fields and their JSON schemas.',
      params: connectionParamsSchema,
      querystring: {
        type: 'object',
        properties: {
          view: { type: 'string', enum: LIST_VIEWS },
          pageSize: pageSizeSchema(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
          pageToken: { type: 'string' }
        }
      },
      response: { 200: { $ref: 'ListActionsResponse#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => {
    await connections.connection(connectionOf(request.params))
    const view = request.query.view === 'ACTION_VIEW_BASIC' ? 'BASIC' : 'FULL'
    const { page, nextPageToken } = fixedListPage([...ACTIONS.values()], pageSizeOf(request.query.pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE), request.query.pageToken)
    return { actions: page.map((action) => actionView(action, view)), nextPageToken }
  })

  app.get<{ Params: ActionParams, Querystring: { view?: string } }>(`${CONNECTION_PATH}/actions/:action`, {
    schema: {
      tags,
      operationId: 'getAction',
      summary: 'Get an action: its parameters, result fields and their JSON schemas',
      description: 'Every view answers the whole action.',
      params: {
        ...connectionParamsSchema,
        required: [...connectionParamsSchema.required, 'action'],
        properties: { ...connectionParamsSchema.properties, action: { type: 'string', description: `One of ${ACTION_NAMES.join(', ')}.` } }
      },
      querystring: { type: 'object', properties: { view: { type: 'string', enum: GET_VIEWS } } },
      response: { 200: { $ref: 'Action#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => {
    await connections.connection(connectionOf(request.params))
    return actionView(actionNamed(request.params.action), 'FULL')
  })

  for (const action of ACTIONS.values()) registerExecute(app, service, action)
  app.post<{ Params: ActionParams, Body: ExecuteBody | null }>(`${CONNECTION_PATH}/actions/:action(^[^/:]+)::execute`, {
    schema: { hide: true },
    config: { operation: 'EXECUTE_ACTION' }
  }, async (request, reply) => executed(service, actionNamed(request.params.action), request, reply))
}
