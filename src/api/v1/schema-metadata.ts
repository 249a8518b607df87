/**
 * A connection's schema metadata in the v1 API: `connectionSchemaMetadata` (+ `:refresh`), `runtimeEntitySchemas`
 * and `runtimeActionSchemas`, generated like the v2 entity types and actions (with v1's key names: `field`,
 * `parameter`).
 */
import type { FastifyInstance } from 'fastify'
import { actionView } from '../../actions/action-view.js'
import type { ActionDefinition } from '../../actions/catalog.js'
import { ACTION_NAMES, ACTIONS, isActionName } from '../../actions/catalog.js'
import type { ConnectionManager } from '../../connections/management.js'
import { parentName } from '../../connections/management.js'
import { ENTITIES } from '../../entities/catalog.js'
import { entityTypeView } from '../../entities/entity-type-view.js'
import { InvalidArgumentError } from '../../errors.js'
import { completedOperation, type OperationStore } from '../../operations/operations.js'
import { ERROR_RESPONSES } from '../v2/schemas.js'
import { LOCATION_PATH } from './connections.js'

const tags = ['Schema metadata (v1)']
const METADATA_TYPE = 'type.googleapis.com/google.cloud.connectors.v1.ConnectionSchemaMetadata'

interface ConnectionParams { project: string, location: string, connection: string }

/** Parses the required `entity="X"` / `action="X"` filter (equality only, as Google's API). */
function equalityFilter (filter: string | undefined, key: 'entity' | 'action'): string {
  const match = new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"\\s*$`).exec(filter ?? '')
  if (!match) {
    throw new InvalidArgumentError(`filter is required, in the form ${key}="<name>"`, [{ field: 'filter', description: `must be ${key}="<name>"` }])
  }
  return match[1]!
}

/** v1's RuntimeActionSchema: the v2 Action with v1's key names (`parameter`, `field`); with the schemas as strings when asked. */
function runtimeActionSchema (action: ActionDefinition, schemaAsString: boolean): Record<string, unknown> {
  const { name, inputParameters, resultMetadata, ...view } = actionView(action, 'FULL')
  return {
    action: name,
    ...view,
    inputParameters: inputParameters!.map(({ name, additionalDetails: _details, ...parameter }) => ({ parameter: name, ...parameter })),
    resultMetadata: resultMetadata!.map(({ name, ...field }) => ({ field: name, ...field })),
    ...(schemaAsString ? { inputSchemaAsString: JSON.stringify(view.inputJsonSchema), resultSchemaAsString: JSON.stringify(view.resultJsonSchema) } : {})
  }
}

function runtimeEntitySchema (name: string): Record<string, unknown> {
  const view = entityTypeView(ENTITIES.get(name as never)!, 'FULL')
  return {
    entity: view.name,
    fields: view.fields!.map((field) => ({
      field: field.name,
      dataType: field.dataType,
      key: field.key,
      readonly: field.additionalDetails.readOnly === true,
      nullable: field.nullable,
      description: field.description,
      additionalDetails: field.additionalDetails
    })),
    jsonSchema: view.jsonSchema,
    operations: view.operations
  }
}

export function registerSchemaMetadataRoutes (app: FastifyInstance, manager: ConnectionManager, operations: OperationStore): void {
  const base = `${LOCATION_PATH}/connections/:connection`
  const connectionOf = async (params: ConnectionParams) => manager.get(`${parentName(params.project, params.location)}/connections/${params.connection}`)
  const metadata = (connection: Record<string, unknown> & { name: string }) => ({
    name: `${connection.name}/connectionSchemaMetadata`,
    entities: [...ENTITIES.keys()],
    actions: [...ACTION_NAMES],
    updateTime: connection.updateTime,
    refreshTime: connection.updateTime,
    state: 'UPDATED'
  })

  app.get<{ Params: ConnectionParams }>(`${base}/connectionSchemaMetadata`, {
    schema: { tags, operationId: 'getConnectionSchemaMetadata', response: { 200: { $ref: 'ConnectionSchemaMetadata#' }, ...ERROR_RESPONSES } }
  }, async (request) => metadata(await connectionOf(request.params)))

  app.post<{ Params: ConnectionParams }>(`${base}/connectionSchemaMetadata::refresh`, {
    schema: {
      tags,
      operationId: 'refreshConnectionSchemaMetadata',
      summary: 'Refresh the schema metadata (the schemas are the connector version\'s, so this answers them as they are)',
      response: { 200: { $ref: 'Operation#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => {
    const connection = await connectionOf(request.params)
    const operation = completedOperation(parentName(request.params.project, request.params.location),
      `${connection.name}/connectionSchemaMetadata`, 'refresh', new Date(), { '@type': METADATA_TYPE, ...metadata(connection) })
    await operations.insert(operation)
    return operation
  })

  app.get<{ Params: ConnectionParams, Querystring: { filter?: string } }>(`${base}/runtimeEntitySchemas`, {
    schema: {
      tags,
      operationId: 'listRuntimeEntitySchemas',
      querystring: { type: 'object', properties: { filter: { type: 'string', description: 'entity="<name>" (required)' } } },
      response: { 200: { $ref: 'ListRuntimeEntitySchemasResponse#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => {
    const entity = equalityFilter(request.query.filter, 'entity')
    await connectionOf(request.params)
    return { runtimeEntitySchemas: ENTITIES.has(entity as never) ? [runtimeEntitySchema(entity)] : [], nextPageToken: '' }
  })

  app.get<{ Params: ConnectionParams, Querystring: { filter?: string, schemaAsString?: boolean } }>(`${base}/runtimeActionSchemas`, {
    schema: {
      tags,
      operationId: 'listRuntimeActionSchemas',
      querystring: {
        type: 'object',
        properties: {
          filter: { type: 'string', description: 'action="<name>" (required)' },
          schemaAsString: { type: 'boolean', description: 'Also answer both JSON schemas as strings (inputSchemaAsString, resultSchemaAsString).' }
        }
      },
      response: { 200: { $ref: 'ListRuntimeActionSchemasResponse#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => {
    const action = equalityFilter(request.query.filter, 'action')
    await connectionOf(request.params)
    return {
      runtimeActionSchemas: isActionName(action) ? [runtimeActionSchema(ACTIONS.get(action)!, request.query.schemaAsString === true)] : [],
      nextPageToken: ''
    }
  })
}
