/**
 * The read-only catalogue: `/v1/projects/{p}/locations/global/providers/twilio/connectors/twilio/versions/1` and
 * the lists above it, with the connector version's config variable, auth and destination templates.
 */
import type { FastifyInstance } from 'fastify'
import packageJson from '../../../package.json' with { type: 'json' }
import {
  AUTH_CONFIG_TEMPLATES, CONFIG_VARIABLE_TEMPLATES, CONNECTOR, DESTINATION_CONFIG_TEMPLATES, PROVIDER, VERSION
} from '../../connections/templates.js'
import { NotFoundError } from '../../errors.js'
import { ERROR_RESPONSES } from '../v2/schemas.js'

const tags = ['Catalog (v1)']
/** The catalogue describes the connector, nothing of a project: any admin token may read it. */
const config = { unscoped: true }
const BASE = '/v1/projects/:project/locations/:location/providers'

interface CatalogParams { project: string, location: string, provider?: string, connector?: string, version?: string }

function scope (params: CatalogParams): string {
  if (params.location !== 'global') throw new NotFoundError(`Providers exist in location global only, not ${params.location}`)
  return `projects/${params.project}/locations/global`
}

function provider (base: string): Record<string, unknown> {
  return {
    name: `${base}/providers/${PROVIDER}`,
    displayName: 'Twilio',
    description: 'Twilio communications APIs, served by the self-hosted Twilio connector gateway.',
    externalUri: 'https://www.twilio.com',
    launchStage: 'GA'
  }
}

function connector (base: string): Record<string, unknown> {
  return {
    name: `${base}/providers/${PROVIDER}/connectors/${CONNECTOR}`,
    displayName: 'Twilio',
    description: 'Twilio resources (Recordings, Calls, Feedback, FeedbackSummary, Messages, IncomingPhoneNumbers, OutgoingCallerIds) as entities.',
    connectorType: 'CONNECTOR_TYPE_THIRD_PARTY',
    category: 'Communication',
    launchStage: 'GA'
  }
}

function connectorVersion (base: string): Record<string, unknown> {
  return {
    name: `${base}/providers/${PROVIDER}/connectors/${CONNECTOR}/versions/${VERSION}`,
    displayName: 'Twilio connector version 1',
    releaseVersion: packageJson.version,
    launchStage: 'GA',
    configVariableTemplates: CONFIG_VARIABLE_TEMPLATES,
    authConfigTemplates: AUTH_CONFIG_TEMPLATES,
    destinationConfigTemplates: DESTINATION_CONFIG_TEMPLATES,
    supportedRuntimeFeatures: { entityApis: true, actionApis: false, sqlQuery: false, asyncOperations: false },
    isCustomEntitiesSupported: false,
    isCustomActionsSupported: false
  }
}

function found<T> (value: T, what: string, expected: string, given: string | undefined): T {
  if (given !== expected) throw new NotFoundError(`${what} ${given} not found (this gateway hosts ${expected})`)
  return value
}

export function registerCatalogRoutes (app: FastifyInstance): void {
  const item = { 200: { $ref: 'CatalogResource#' }, ...ERROR_RESPONSES }
  const list = { 200: { $ref: 'CatalogList#' }, ...ERROR_RESPONSES }
  app.get<{ Params: CatalogParams }>(BASE, { config, schema: { tags, operationId: 'listProviders', response: list } },
    async (request) => ({ providers: [provider(scope(request.params))], nextPageToken: '', unreachable: [] }))
  app.get<{ Params: CatalogParams }>(`${BASE}/:provider`, { config, schema: { tags, operationId: 'getProvider', response: item } },
    async (request) => found(provider(scope(request.params)), 'Provider', PROVIDER, request.params.provider))
  app.get<{ Params: CatalogParams }>(`${BASE}/:provider/connectors`, { config, schema: { tags, operationId: 'listConnectors', response: list } },
    async (request) => {
      const base = scope(request.params)
      found(null, 'Provider', PROVIDER, request.params.provider)
      return { connectors: [connector(base)], nextPageToken: '', unreachable: [] }
    })
  app.get<{ Params: CatalogParams }>(`${BASE}/:provider/connectors/:connector`, { config, schema: { tags, operationId: 'getConnector', response: item } },
    async (request) => {
      found(null, 'Provider', PROVIDER, request.params.provider)
      return found(connector(scope(request.params)), 'Connector', CONNECTOR, request.params.connector)
    })
  app.get<{ Params: CatalogParams }>(`${BASE}/:provider/connectors/:connector/versions`, { config, schema: { tags, operationId: 'listConnectorVersions', response: list } },
    async (request) => {
      const base = scope(request.params)
      found(null, 'Provider', PROVIDER, request.params.provider)
      found(null, 'Connector', CONNECTOR, request.params.connector)
      return { connectorVersions: [connectorVersion(base)], nextPageToken: '', unreachable: [] }
    })
  app.get<{ Params: CatalogParams }>(`${BASE}/:provider/connectors/:connector/versions/:version`, { config, schema: { tags, operationId: 'getConnectorVersion', response: item } },
    async (request) => {
      found(null, 'Provider', PROVIDER, request.params.provider)
      found(null, 'Connector', CONNECTOR, request.params.connector)
      return found(connectorVersion(scope(request.params)), 'Connector version', VERSION, request.params.version)
    })
}
