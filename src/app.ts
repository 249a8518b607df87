/**
 * Builds the gateway from a configuration object. `server.ts` reads the environment and listens; tests build the
 * app here and call it with `inject`.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import packageJson from '../package.json' with { type: 'json' }
import { registerAuth } from './api/auth.js'
import { frameworkErrors, registerErrorHandling } from './api/error-handler.js'
import { registerHealthRoutes } from './api/health.js'
import { registerJsonBodies } from './api/json-body.js'
import { registerConnectionStatusRoutes } from './api/v2/connection-status.js'
import { registerEntityRoutes } from './api/v2/entities.js'
import { registerEntityTypeRoutes } from './api/v2/entity-types.js'
import { ENTITY_REQUEST_IDS, runtimeSchemas } from './api/v2/schemas.js'
import { registerCatalogRoutes } from './api/v1/catalog.js'
import { registerConnectionRoutes } from './api/v1/connections.js'
import { registerOperationRoutes } from './api/v1/operations.js'
import { registerSchemaMetadataRoutes } from './api/v1/schema-metadata.js'
import { CONNECTION_ID, managementSchemas } from './api/v1/schemas.js'
import { ConnectionManager } from './connections/management.js'
import type { CallerDirectory } from './auth/tokens.js'
import type { Connection } from './connections/connection.js'
import type { ConnectionRegistry } from './connections/registry.js'
import type { ConnectionStore } from './connections/store.js'
import { ConnectionValidator } from './connections/validation.js'
import type { OperationStore } from './operations/operations.js'
import { EntityInputValidator } from './entities/input-validator.js'
import { registerOpenApi } from './plugins/openapi.js'
import { ConnectionStatusService } from './runtime/connection-status.js'
import { ConnectionRuntime } from './runtime/connections.js'
import { EntityService } from './runtime/entity-service.js'
import { PageTokens } from './runtime/page-tokens.js'
import type { SecretStore } from './secrets/secret-store.js'
import { TwilioClients } from './twilio/client.js'
import { buildSerializerCompilers, buildValidatorCompilers, objectBody, type BodyCheck } from './validation/fastify-compilers.js'

export interface GatewayConfig {
  /** The bearer token callers send. */
  adminToken: string
  /** Where the runtime finds connections. */
  connections: ConnectionRegistry
  /**
   * With it, the v1 management API: connections and operations stored in the database; `ensure` lists
   * connections created at start-up when missing (the sandbox connection).
   */
  management?: { store: ConnectionStore, operations: OperationStore, ensure?: Connection[] }
  /** Caller tokens created with the tokens CLI (with a database). */
  callers?: CallerDirectory
  /** Whether the gateway can serve requests (e.g. its database answers); `/readyz` says so. */
  ready?: () => Promise<boolean>
  /** Transactions per second each node of a connection admits (Google's 25). */
  tpsPerNode?: number
  secrets: SecretStore
  /** HMAC key (≥ 32 bytes) that signs page tokens. */
  pageTokenKey: Buffer
  /** Base URL of the built-in Twilio sandbox while it runs; connections with `sandbox=true` reach it. */
  sandboxBaseUrl?: string
  /** Operator override of Twilio's API host (a Twilio-compatible endpoint). */
  twilioApiBaseUrl?: string
  /** Upstream request timeout, milliseconds (default 30 s). */
  upstreamTimeoutMs?: number
  /** Extra trusted CA certificates (PEM) for upstream TLS: a private Twilio-compatible endpoint, tests. */
  upstreamCa?: string[]
  logger?: FastifyServerOptions['logger']
}

// Fastify's published types for these factories do not match what Fastify passes them ({ schema, httpPart, … }).
type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>

/** Largest request body accepted: the Connectors task's payload limit. */
export const BODY_LIMIT_BYTES = 10 * 1024 * 1024

/** Request bodies whose content a service validates itself; Fastify only checks their envelope. */
const SERVICE_VALIDATED_BODIES: ReadonlyMap<string, BodyCheck> = new Map([
  ...[...ENTITY_REQUEST_IDS].map((id) => [id, objectBody('an Entity', ['fields'])] as const),
  [CONNECTION_ID, objectBody('a Connection')]
])

export async function buildApp (config: GatewayConfig): Promise<FastifyInstance> {
  const app = Fastify({
    logger: config.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    frameworkErrors,
    schemaController: {
      compilersFactory: {
        buildValidator: buildValidatorCompilers(SERVICE_VALIDATED_BODIES) as CompilersFactory['buildValidator'],
        buildSerializer: buildSerializerCompilers() as CompilersFactory['buildSerializer']
      }
    }
  })
  registerErrorHandling(app)
  registerJsonBodies(app)
  registerAuth(app, { adminToken: config.adminToken, directory: config.callers })
  await registerOpenApi(app, packageJson.version)
  for (const schema of [...runtimeSchemas(), ...managementSchemas()]) app.addSchema(schema)

  const clients = new TwilioClients({
    secrets: config.secrets,
    sandboxBaseUrl: config.sandboxBaseUrl,
    apiBaseUrl: config.twilioApiBaseUrl,
    timeoutMs: config.upstreamTimeoutMs,
    upstreamCa: config.upstreamCa,
    logger: app.log
  })
  const connections = new ConnectionRuntime(config.connections, clients)
  const pageTokens = new PageTokens(config.pageTokenKey)
  const entities = new EntityService(connections, new EntityInputValidator(), pageTokens)
  const status = new ConnectionStatusService(connections, clients)

  registerHealthRoutes(app, config.ready ?? (async () => true))
  // Routes live in a child context: Fastify then builds its validator and serializer compilers once for all of
  // them, instead of once per route in the context the shared schemas were added to.
  const management = config.management
  const manager = management && new ConnectionManager({
    store: management.store,
    operations: management.operations,
    validator: new ConnectionValidator(),
    status,
    pageTokens,
    tpsPerNode: config.tpsPerNode ?? 25
  })
  await app.register(async (routes) => {
    await routes.register(async (runtime) => {
      // The v2 runtime is what invoker tokens may call.
      runtime.addHook('onRoute', (route) => { route.config = { ...route.config, role: 'invoker' } })
      registerEntityTypeRoutes(runtime, connections)
      registerEntityRoutes(runtime, entities)
      registerConnectionStatusRoutes(runtime, status)
    })
    if (management && manager) {
      registerConnectionRoutes(routes, manager)
      registerOperationRoutes(routes, management.operations, pageTokens)
      registerCatalogRoutes(routes)
      registerSchemaMetadataRoutes(routes, manager, management.operations)
    }
  })
  for (const connection of management?.ensure ?? []) await manager!.ensure(connection)
  return app
}
