/**
 * Shared schemas of the v1 management API (Connection, Operation, list answers, catalogue, schema metadata), for
 * serialisation and the OpenAPI document. The Connection schema is built from the same field definitions the
 * validator uses, so what is accepted, stored and answered cannot drift apart.
 */
import { SETTABLE_FIELDS } from '../../connections/resource-schema.js'

type Schema = Record<string, unknown>

const freeForm = { type: 'object', additionalProperties: true }
const string = { type: 'string' }

export const CONNECTION_ID = 'Connection'

export function managementSchemas (): Schema[] {
  return [
    {
      $id: CONNECTION_ID,
      description: 'google.cloud.connectors.v1.Connection: every field a user sets is answered exactly as stored.',
      type: 'object',
      additionalProperties: true,
      properties: {
        name: { ...string, readOnly: true, description: 'projects/{project}/locations/{location}/connections/{connection}' },
        createTime: { ...string, format: 'date-time', readOnly: true },
        updateTime: { ...string, format: 'date-time', readOnly: true },
        ...SETTABLE_FIELDS,
        status: {
          type: 'object',
          readOnly: true,
          properties: {
            state: { type: 'string', enum: ['STATE_UNSPECIFIED', 'CREATING', 'ACTIVE', 'INACTIVE', 'DELETING', 'UPDATING', 'ERROR', 'AUTHORIZATION_REQUIRED'] },
            description: string,
            status: string
          }
        },
        connectionRevision: { ...string, readOnly: true, description: 'int64, bumped by every create or update' },
        connectorVersionLaunchStage: { ...string, readOnly: true },
        connectorVersionInfraConfig: { type: 'object', readOnly: true, additionalProperties: true }
      }
    },
    {
      $id: 'Operation',
      description: 'google.longrunning.Operation; the gateway answers its operations finished (done: true).',
      type: 'object',
      required: ['name', 'done'],
      properties: {
        name: string,
        metadata: freeForm,
        done: { type: 'boolean' },
        response: freeForm,
        error: freeForm
      }
    },
    {
      $id: 'ListConnectionsResponse',
      type: 'object',
      required: ['connections', 'nextPageToken'],
      properties: {
        connections: { type: 'array', items: { $ref: `${CONNECTION_ID}#` } },
        nextPageToken: string,
        unreachable: { type: 'array', items: string }
      }
    },
    {
      $id: 'ListOperationsResponse',
      type: 'object',
      required: ['operations', 'nextPageToken'],
      properties: { operations: { type: 'array', items: { $ref: 'Operation#' } }, nextPageToken: string, unreachable: { type: 'array', items: string } }
    },
    { $id: 'CatalogResource', description: 'A Provider, Connector or ConnectorVersion.', ...freeForm, properties: { name: string } },
    {
      $id: 'CatalogList',
      type: 'object',
      properties: {
        providers: { type: 'array', items: { $ref: 'CatalogResource#' } },
        connectors: { type: 'array', items: { $ref: 'CatalogResource#' } },
        connectorVersions: { type: 'array', items: { $ref: 'CatalogResource#' } },
        nextPageToken: string,
        unreachable: { type: 'array', items: string }
      }
    },
    {
      $id: 'ConnectionSchemaMetadata',
      type: 'object',
      properties: {
        name: string,
        entities: { type: 'array', items: string },
        actions: { type: 'array', items: string },
        updateTime: string,
        refreshTime: string,
        state: string
      }
    },
    {
      $id: 'ListRuntimeEntitySchemasResponse',
      type: 'object',
      properties: { runtimeEntitySchemas: { type: 'array', items: freeForm }, nextPageToken: string }
    },
    {
      $id: 'ListRuntimeActionSchemasResponse',
      type: 'object',
      properties: { runtimeActionSchemas: { type: 'array', items: freeForm }, nextPageToken: string }
    }
  ]
}
