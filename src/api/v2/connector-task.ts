/**
 * `POST …/connections/{connection}:executeConnectorTask` — a gateway extension, not part of Google's API: the
 * inputs of Application Integration's Connectors task in, its outputs out (see runtime/connector-task.ts), so a
 * self-hosted workflow can do what the task does without Google's Service Directory in between.
 */
import type { FastifyInstance } from 'fastify'
import { InvalidArgumentError } from '../../errors.js'
import { TASK_OPERATIONS, type ConnectorTaskInput, type ConnectorTasks } from '../../runtime/connector-task.js'
import { IDEMPOTENCY_HEADERS_SCHEMA, IDEMPOTENCY_QUERY_SCHEMA, idempotencyKeyOf, type IdempotencyQuery } from './idempotency-key.js'
import type { ConnectionParams } from './params.js'
import { CONNECTION_VERB_PATH, connectionOf, connectionParamsSchema } from './params.js'
import { ERROR_RESPONSES } from './schemas.js'
import { QUERY_PROPERTIES } from './sql.js'

const text = (description: string, maxLength = 1_000): Record<string, unknown> => ({ type: 'string', maxLength, description })
const bodySchema = {
  type: 'object',
  required: ['operation'],
  additionalProperties: false,
  properties: {
    operation: { type: 'string', enum: [...TASK_OPERATIONS], description: 'The task\'s operation.' },
    entityType: text('The entity of an entity operation (Messages, Calls, …).'),
    actionName: text('The action of EXECUTE_ACTION (SendMessage, …).'),
    entityId: text('The Sid of GET_ENTITY, and of UPDATE_ENTITY or DELETE_ENTITY without a filterClause.'),
    connectorInputPayload: {
      anyOf: [{ type: 'object' }, { type: 'string', maxLength: 10_000_000 }],
      description: 'The row of CREATE_ENTITY / UPDATE_ENTITY, or the parameters of EXECUTE_ACTION: a JSON object, or a string holding one.'
    },
    filterClause: text('Conditions of LIST_ENTITIES, UPDATE_ENTITY and DELETE_ENTITY (the filter language of List).', 10_000),
    listEntitiesPageSize: { type: 'integer', minimum: 0, description: 'Rows per page of LIST_ENTITIES (default 25, at most 200).' },
    listEntitiesPageToken: text('The listEntitiesNextPageToken of the previous LIST_ENTITIES.', 10_000),
    listEntitiesSortByColumns: { type: 'array', maxItems: 1, items: text('A column.'), description: 'One column to sort LIST_ENTITIES by.' },
    // EXECUTE_QUERY: Google's Query fields (maxRows defaults to 25 and timeout to 180 s, as in the task).
    ...QUERY_PROPERTIES,
    // Parts of the task's configuration that name what the path already names; accepted and not used.
    connectionName: text('Accepted and ignored: the path names the connection.'),
    connectionVersion: text('Accepted and ignored.'),
    authOverrideEnabled: { type: 'boolean', description: 'Accepted and ignored: the connection\'s own credentials are used.' }
  }
}

const responseSchema = {
  type: 'object',
  properties: {
    connectorOutputPayload: { description: 'The task\'s output: rows, a row\'s key, an action\'s results.' },
    listEntitiesNextPageToken: { type: 'string', description: 'LIST_ENTITIES: the next page\'s token; empty on the last page.' }
  }
}

type TaskBody = Omit<ConnectorTaskInput, 'connectorInputPayload'> & { connectorInputPayload?: Record<string, unknown> | string }

/** The payload as an object: Application Integration passes JSON variables as objects or as JSON text. */
function payloadOf (payload: Record<string, unknown> | string | undefined): Record<string, unknown> | undefined {
  if (typeof payload !== 'string') return payload
  let parsed: unknown
  try {
    parsed = JSON.parse(payload)
  } catch {
    parsed = undefined
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('connectorInputPayload is a string that does not hold a JSON object', [
      { field: 'connectorInputPayload', description: 'must be a JSON object, or a string holding one' }
    ])
  }
  return parsed as Record<string, unknown>
}

export function registerConnectorTaskRoute (app: FastifyInstance, tasks: ConnectorTasks): void {
  app.post<{ Params: ConnectionParams, Body: TaskBody, Querystring: IdempotencyQuery }>(`${CONNECTION_VERB_PATH}::executeConnectorTask`, {
    config: { operation: 'EXECUTE_CONNECTOR_TASK' },
    schema: {
      tags: ['Connectors task'],
      operationId: 'executeConnectorTask',
      summary: 'Run an Application Integration Connectors task (gateway extension)',
      description: 'Takes the inputs of Application Integration\'s Connectors task and answers its outputs, in the shapes of ' +
        'Google\'s Twilio connector page. Not part of Google\'s API: Google\'s own task reaches the runtime through Service Directory.',
      params: connectionParamsSchema,
      querystring: IDEMPOTENCY_QUERY_SCHEMA,
      headers: IDEMPOTENCY_HEADERS_SCHEMA,
      body: bodySchema,
      response: { 200: responseSchema, ...ERROR_RESPONSES }
    }
  }, async (request) => tasks.run(connectionOf(request.params),
    { ...request.body, connectorInputPayload: payloadOf(request.body.connectorInputPayload) }, idempotencyKeyOf(request)))
}
