/**
 * Builds the gateway from a configuration object. `server.ts` reads the environment and listens; tests build the
 * app here and call it with `inject`.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import packageJson from '../package.json' with { type: 'json' }
import { registerAuth } from './api/auth.js'
import { observeRuntimeCalls, registerMetricsRoute } from './api/metrics.js'
import { frameworkErrors, registerErrorHandling } from './api/error-handler.js'
import { registerHealthRoutes } from './api/health.js'
import { registerJsonBodies } from './api/json-body.js'
import { ACTION_REQUEST_IDS, actionSchemas } from './api/v2/action-schemas.js'
import { registerActionRoutes } from './api/v2/actions.js'
import { registerConnectionStatusRoutes } from './api/v2/connection-status.js'
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, entityNamed, registerEntityRoutes } from './api/v2/entities.js'
import { registerEntityTypeRoutes } from './api/v2/entity-types.js'
import { registerSqlRoute } from './api/v2/sql.js'
import { registerConnectorTaskRoute } from './api/v2/connector-task.js'
import { ConnectorTasks } from './runtime/connector-task.js'
import { ENTITY_REQUEST_IDS, runtimeSchemas } from './api/v2/schemas.js'
import { registerCatalogRoutes } from './api/v1/catalog.js'
import { registerConnectionRoutes } from './api/v1/connections.js'
import { registerOperationRoutes } from './api/v1/operations.js'
import { registerSchemaMetadataRoutes } from './api/v1/schema-metadata.js'
import { CONNECTION_ID, managementSchemas } from './api/v1/schemas.js'
import type { CallerDirectory } from './auth/tokens.js'
import { SingleProcess, type ClusterMembership } from './cluster/membership.js'
import { ConnectionManager } from './connections/management.js'
import type { Connection } from './connections/connection.js'
import type { ConnectionRegistry } from './connections/registry.js'
import type { ConnectionStore } from './connections/store.js'
import { ConnectionValidator } from './connections/validation.js'
import type { OperationStore } from './operations/operations.js'
import { EntityInputValidator } from './entities/input-validator.js'
import { IdempotentCalls } from './idempotency/idempotent-calls.js'
import { MemoryIdempotencyKeyStore, type IdempotencyKeyStore } from './idempotency/key-store.js'
import { GatewayMetrics } from './metrics.js'
import { registerOpenApi } from './plugins/openapi.js'
import { ActionService } from './runtime/action-service.js'
import { actionNamed } from './actions/catalog.js'
import { ConnectionStatusService } from './runtime/connection-status.js'
import { ConnectionRuntime } from './runtime/connections.js'
import { BULK_ROW_LIMIT, EntityService } from './runtime/entity-service.js'
import { SqlQueries } from './runtime/sql-queries.js'
import { PageTokens } from './runtime/page-tokens.js'
import type { SecretStore } from './secrets/secret-store.js'
import { SLOT_MS } from './throttle/autoscaler.js'
import { MemoryNodeCounts, type NodeCounts } from './throttle/node-counts.js'
import { ConnectionThrottle, DEFAULT_TPS_PER_NODE, type CallLimits } from './throttle/throttle.js'
import type { Clock } from './throttle/token-bucket.js'
import { TwilioClients } from './twilio/client.js'
import { AccountConcurrency } from './twilio/concurrency.js'
import { RetryPolicy, type RetryOptions } from './twilio/retry.js'
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
  /** Transactions per second each node of a connection admits (Google's 25; THROTTLE_TPS_PER_NODE). */
  tpsPerNode?: number
  /** What one runtime call may spend upstream: a deadline (ms) and a number of upstream requests. */
  callLimits?: Partial<CallLimits>
  /** Concurrent upstream requests per Twilio account, per process. */
  upstreamConcurrencyPerAccount?: number
  /** Upstream retry backoff (tests shorten it). */
  retry?: RetryOptions
  /**
   * State shared by the gateway processes of one database: live processes, node counts, idempotency keys. Without
   * it the gateway is a cluster of one, with that state in memory.
   */
  cluster?: ClusterState
  metrics?: GatewayMetrics
  /** Injectable clock for the throttle and idempotency keys (tests). */
  clock?: Clock
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

export interface ClusterState {
  membership: ClusterMembership
  nodeCounts: NodeCounts
  idempotencyKeys: IdempotencyKeyStore
}

/** What a runtime call may spend unless configured otherwise: 60 s and 50 upstream requests (retries included). */
export const DEFAULT_CALL_LIMITS: CallLimits = { deadlineMs: 60_000, budget: 50 }

// Fastify's published types for these factories do not match what Fastify passes them ({ schema, httpPart, … }).
type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>

/** Largest request body accepted: the Connectors task's payload limit. */
export const BODY_LIMIT_BYTES = 10 * 1024 * 1024

/** Request bodies whose content a service validates itself; Fastify only checks their envelope. */
const SERVICE_VALIDATED_BODIES: ReadonlyMap<string, BodyCheck> = new Map([
  ...[...ENTITY_REQUEST_IDS].map((id) => [id, objectBody('an Entity', ['fields'])] as const),
  ...[...ACTION_REQUEST_IDS].map((id) => [id, objectBody('an ExecuteActionRequest', ['parameters'])] as const),
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
  for (const schema of [...runtimeSchemas(), ...actionSchemas(), ...managementSchemas()]) app.addSchema(schema)

  const metrics = config.metrics ?? new GatewayMetrics()
  const cluster = config.cluster ?? {
    membership: new SingleProcess(),
    nodeCounts: new MemoryNodeCounts(),
    idempotencyKeys: new MemoryIdempotencyKeyStore()
  }
  const tpsPerNode = config.tpsPerNode ?? DEFAULT_TPS_PER_NODE
  const limits = { ...DEFAULT_CALL_LIMITS, ...config.callLimits }
  const clients = new TwilioClients({
    secrets: config.secrets,
    sandboxBaseUrl: config.sandboxBaseUrl,
    apiBaseUrl: config.twilioApiBaseUrl,
    timeoutMs: config.upstreamTimeoutMs,
    upstreamCa: config.upstreamCa,
    logger: app.log,
    concurrency: new AccountConcurrency(config.upstreamConcurrencyPerAccount),
    retry: new RetryPolicy(config.retry),
    metrics
  })
  const throttle = new ConnectionThrottle({
    tpsPerNode,
    nodeCounts: cluster.nodeCounts,
    membership: cluster.membership,
    clock: config.clock,
    onRejected: (connection) => metrics.throttleRejections.inc({ connection }),
    onScaled: (connection, from, to) => app.log.info({ connection, from, to }, 'connection autoscaled'),
    onError: (error) => app.log.warn({ err: error }, 'autoscaling failed')
  })
  metrics.observeCapacity(() => throttle.nodeCounts(), () => cluster.membership.liveProcesses())
  const connections = new ConnectionRuntime({ registry: config.connections, clients, throttle, limits })
  const pageTokens = new PageTokens(config.pageTokenKey)
  const entities = new EntityService({
    connections,
    inputs: new EntityInputValidator(),
    pageTokens,
    idempotency: new IdempotentCalls({ store: cluster.idempotencyKeys, membership: cluster.membership, clock: config.clock }),
    duplicateWaitMs: limits.deadlineMs,
    clock: config.clock,
    // Room for every row of the largest bulk change (and a retry each), at no less than 20 rows a second.
    bulkLimits: { budget: limits.budget + 2 * BULK_ROW_LIMIT, deadlineMs: limits.deadlineMs + 50 * BULK_ROW_LIMIT }
  })
  const queries = new SqlQueries(entities)
  const actions = new ActionService(entities)
  const tasks = new ConnectorTasks({
    entities,
    queries,
    actions: async (connection, name, parameters, idempotencyKey) =>
      (await actions.execute(connection, actionNamed(name), parameters, idempotencyKey)).results,
    entityNamed,
    pageSize: { fallback: DEFAULT_PAGE_SIZE, max: MAX_PAGE_SIZE }
  })
  const status = new ConnectionStatusService(connections, clients)
  // Quiet connections scale down even when no call comes to notice it.
  const scaling = setInterval(() => {
    throttle.tick((name) => config.connections.get(name)).catch((error: Error) => app.log.warn({ err: error }, 'autoscaling failed'))
  }, SLOT_MS)
  scaling.unref()
  app.addHook('onClose', async () => clearInterval(scaling))

  registerHealthRoutes(app, config.ready ?? (async () => true))
  registerMetricsRoute(app, metrics)
  // Routes live in a child context: Fastify then builds its validator and serializer compilers once for all of
  // them, instead of once per route in the context the shared schemas were added to.
  const management = config.management
  const manager = management && new ConnectionManager({
    store: management.store,
    operations: management.operations,
    validator: new ConnectionValidator(),
    status,
    pageTokens,
    tpsPerNode,
    capacity: (connection) => `running on ${throttle.nodes(connection)} nodes: ${throttle.limit(connection)} transactions per second`
  })
  await app.register(async (routes) => {
    await routes.register(async (runtime) => {
      // The v2 runtime is what invoker tokens may call.
      runtime.addHook('onRoute', (route) => { route.config = { ...route.config, role: 'invoker' } })
      observeRuntimeCalls(runtime, metrics, (name) => config.connections.has(name))
      registerEntityTypeRoutes(runtime, connections)
      registerEntityRoutes(runtime, entities)
      registerSqlRoute(runtime, queries)
      registerConnectorTaskRoute(runtime, tasks)
      registerActionRoutes(runtime, connections, actions)
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
