/**
 * Application Integration's Connectors task, run against the gateway (a gateway extension: Google's own task reaches
 * a connection's runtime through Service Directory). It takes the task's inputs — `operation`, `entityType` or
 * `actionName`, `entityId`, `connectorInputPayload`, `filterClause`, `listEntitiesPageSize`, `listEntitiesPageToken`,
 * `listEntitiesSortByColumns` — runs them through the same services as the v2 routes, and answers the task's outputs
 * in the shapes of Google's Twilio connector page:
 *
 *   LIST_ENTITIES  → an array of rows, and listEntitiesNextPageToken
 *   GET_ENTITY     → an array holding the row
 *   CREATE_ENTITY  → {"Sid": …} (OutgoingCallerIds: the validation request, with its code)
 *   UPDATE_ENTITY  → {"Sid": …} (Messages: {}), by entityId or for each row a filterClause matches
 *   DELETE_ENTITY  → nothing, by entityId or for every row a filterClause matches
 *   EXECUTE_ACTION → the action's results;  EXECUTE_QUERY → the query's rows
 */
import type { EntityDefinition } from '../entities/catalog.js'
import type { Fields } from '../entities/rows.js'
import { InvalidArgumentError } from '../errors.js'
import type { QueryParameter } from '../query/sql.js'
import type { EntityService } from './entity-service.js'
import type { SqlQueries } from './sql-queries.js'

export const TASK_OPERATIONS = [
  'LIST_ENTITIES', 'GET_ENTITY', 'CREATE_ENTITY', 'UPDATE_ENTITY', 'DELETE_ENTITY', 'EXECUTE_ACTION', 'EXECUTE_QUERY'
] as const
export type TaskOperation = typeof TASK_OPERATIONS[number]

/** The task's inputs. EXECUTE_QUERY takes Google's `Query` fields (the task's defaults: 25 rows, 180 s). */
export interface ConnectorTaskInput {
  operation: TaskOperation
  entityType?: string
  actionName?: string
  entityId?: string
  connectorInputPayload?: Record<string, unknown>
  filterClause?: string
  listEntitiesPageSize?: number
  listEntitiesPageToken?: string
  listEntitiesSortByColumns?: string[]
  query?: string
  queryParameters?: QueryParameter[]
  maxRows?: string | number
  timeout?: string | number
}

export interface ConnectorTaskOutput {
  connectorOutputPayload?: unknown
  listEntitiesNextPageToken?: string
}

/** Runs one of the connection's actions: the results of `…/actions/{action}:execute`. */
export type ActionRunner = (connection: string, action: string, parameters: Record<string, unknown>, idempotencyKey?: string) => Promise<unknown[]>

export interface ConnectorTaskOptions {
  entities: EntityService
  queries: SqlQueries
  actions: ActionRunner
  /** The entity a task's `entityType` names (404 NOT_FOUND when none). */
  entityNamed: (name: string) => EntityDefinition
  /** List's page sizes: the task's default and the largest. */
  pageSize: { fallback: number, max: number }
}

const TASK_QUERY_DEFAULTS = { maxRows: 25, timeout: 180 }

function required<T> (value: T | undefined, field: string, operation: TaskOperation): T {
  if (value === undefined || value === '') {
    throw new InvalidArgumentError(`${operation} needs ${field}`, [{ field, description: `is required for ${operation}` }])
  }
  return value
}

/** Exactly one of entityId and filterClause, as the task's Update and Delete take them. */
function target (input: ConnectorTaskInput): { entityId: string } | { filterClause: string } {
  const hasId = input.entityId !== undefined && input.entityId !== ''
  const hasClause = input.filterClause !== undefined && input.filterClause.trim() !== ''
  if (hasId === hasClause) {
    throw new InvalidArgumentError(`${input.operation} needs either entityId or filterClause (not both)`, [
      { field: hasId ? 'filterClause' : 'entityId', description: 'give exactly one of entityId and filterClause' }
    ])
  }
  return hasId ? { entityId: input.entityId! } : { filterClause: input.filterClause! }
}

/** What Google's Twilio page shows an update answering: the row's Sid, except `{}` for Messages. */
function updated (entity: EntityDefinition, sid: unknown): Record<string, unknown> {
  return entity.name === 'Messages' ? {} : { Sid: sid }
}

export class ConnectorTasks {
  constructor (private readonly options: ConnectorTaskOptions) {}

  async run (connection: string, input: ConnectorTaskInput, idempotencyKey?: string): Promise<ConnectorTaskOutput> {
    const { entities } = this.options
    const operation = input.operation
    if (operation === 'EXECUTE_ACTION') {
      const action = required(input.actionName, 'actionName', operation)
      return { connectorOutputPayload: await this.options.actions(connection, action, input.connectorInputPayload ?? {}, idempotencyKey) }
    }
    if (operation === 'EXECUTE_QUERY') {
      const rows = await this.options.queries.execute(connection, {
        query: required(input.query, 'query', operation),
        queryParameters: input.queryParameters,
        maxRows: input.maxRows ?? TASK_QUERY_DEFAULTS.maxRows,
        timeout: input.timeout ?? TASK_QUERY_DEFAULTS.timeout
      })
      return { connectorOutputPayload: rows }
    }
    const entity = this.options.entityNamed(required(input.entityType, 'entityType', operation))
    switch (operation) {
      case 'LIST_ENTITIES': {
        const { fallback, max } = this.options.pageSize
        const page = await entities.list(connection, entity, {
          pageSize: Math.min(input.listEntitiesPageSize || fallback, max),
          pageToken: input.listEntitiesPageToken || undefined,
          conditions: input.filterClause,
          sortBy: input.listEntitiesSortByColumns
        })
        return { connectorOutputPayload: page.entities.map((row) => row.fields), listEntitiesNextPageToken: page.nextPageToken }
      }
      case 'GET_ENTITY':
        return { connectorOutputPayload: [(await entities.get(connection, entity, required(input.entityId, 'entityId', operation))).fields] }
      case 'CREATE_ENTITY': {
        const { resource } = await entities.create(connection, entity, required(input.connectorInputPayload, 'connectorInputPayload', operation), idempotencyKey)
        return { connectorOutputPayload: entity.createResult ? resource.fields : { Sid: resource.fields.Sid } }
      }
      case 'UPDATE_ENTITY': {
        const payload = required(input.connectorInputPayload, 'connectorInputPayload', operation)
        const chosen = target(input)
        if ('entityId' in chosen) {
          const row = await entities.update(connection, entity, chosen.entityId, payload)
          return { connectorOutputPayload: updated(entity, row.fields.Sid) }
        }
        const result = await entities.changeWhere(connection, entity, 'UPDATE', chosen.filterClause, payload)
        const rows: Fields[] = result.affectedSids.map((sid) => updated(entity, sid))
        return { connectorOutputPayload: rows.length === 1 ? rows[0] : rows }
      }
      case 'DELETE_ENTITY': {
        const chosen = target(input)
        if ('entityId' in chosen) await entities.delete(connection, entity, chosen.entityId)
        else await entities.changeWhere(connection, entity, 'DELETE', chosen.filterClause)
        return {}
      }
    }
  }
}
