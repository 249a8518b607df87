/**
 * The gateway process: reads the environment, opens the database (PostgreSQL at DATABASE_URL, or the embedded
 * one under DATA_DIR) and the local secret store, joins the cluster of processes sharing the database, starts the
 * built-in Twilio sandbox when SANDBOX is on, builds the app and listens. Prints where generated credentials are
 * kept, never the credentials themselves. On SIGTERM or SIGINT it stops accepting calls, lets the ones in flight
 * finish (for at most SHUTDOWN_TIMEOUT_SECONDS), leaves the cluster and closes the database.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { CallerDirectory } from './auth/tokens.js'
import { DatabaseMembership } from './cluster/membership.js'
import { ConfigError, readConfig } from './config.js'
import type { Connection } from './connections/connection.js'
import { SANDBOX_TOKEN_SECRET, sandboxConnection } from './connections/sandbox-connection.js'
import { ConnectionStore } from './connections/store.js'
import { ensureDataDir, generatedSecret } from './data-dir.js'
import { NotFoundError } from './errors.js'
import { DatabaseIdempotencyKeyStore } from './idempotency/key-store.js'
import { GatewayMetrics } from './metrics.js'
import { loggerOptions } from './logging.js'
import { OperationStore } from './operations/operations.js'
import { SANDBOX_ACCOUNT_SID, buildSandbox } from './sandbox/app.js'
import type { ServerConfig } from './config.js'
import { CachingSecretStore } from './secrets/cache.js'
import type { LocalSecretStore } from './secrets/local.js'
import { openLocalSecretStore } from './secrets/local.js'
import { PrefixRestrictedSecretStore } from './secrets/restricted.js'
import { SecretManagerStore } from './secrets/secret-manager.js'
import type { SecretStore } from './secrets/secret-store.js'
import { ChangeFeed } from './store/changes.js'
import { openDatabase } from './store/database.js'
import { DatabaseNodeCounts } from './throttle/node-counts.js'
import { gatewayKey } from './store/gateway-secrets.js'
import { migrate } from './store/migrations.js'

/** The sandbox account's auth token, kept in the local secret store (generated on first start). */
async function sandboxToken (secrets: LocalSecretStore): Promise<string> {
  try {
    return await secrets.access(`${SANDBOX_TOKEN_SECRET}/versions/latest`)
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error
    const token = randomBytes(16).toString('hex')
    await secrets.addVersion(SANDBOX_TOKEN_SECRET, token)
    return token
  }
}

/** The connections' secret store, as configured: explicit backend, local prefixes, cache. */
function connectionSecrets (config: ServerConfig, local: LocalSecretStore | undefined, metrics: GatewayMetrics): SecretStore {
  let backend: SecretStore = config.secretsBackend === 'secret-manager'
    ? new SecretManagerStore({
      endpoint: config.secretManagerEndpoint,
      insecure: config.secretManagerInsecure,
      iamCredentialsEndpoint: config.iamCredentialsEndpoint
    })
    : local!
  if (config.secretsBackend === 'local' && config.localSecretPrefixes) backend = new PrefixRestrictedSecretStore(backend, config.localSecretPrefixes)
  return new CachingSecretStore(backend, {
    ttlMs: config.secretCacheTtlSeconds * 1000,
    graceMs: config.secretCacheGraceSeconds * 1000,
    onLookup: (outcome) => metrics.secretCacheLookups.inc({ outcome })
  })
}

async function main (): Promise<void> {
  const config = readConfig(process.env)
  const dataDir = await ensureDataDir(config.dataDir)
  const logger = loggerOptions(config.logLevel)
  const adminToken = config.adminToken ?? (await generatedSecret(dataDir, 'admin-token'))

  const database = await openDatabase({ url: config.databaseUrl, dataDir, warn: (message) => console.warn(message) })
  await migrate(database.pool)
  const feed = await ChangeFeed.start(database, {
    // NOTIFY wakes PostgreSQL readers at once; the poll is the fallback (and the only signal for PGlite).
    pollMs: database.kind === 'postgres' ? 1000 : 250,
    onError: (error) => console.warn(`reading database changes failed: ${error.message}`)
  })
  const store = await ConnectionStore.open(database.pool, feed)
  const operations = new OperationStore(database.pool)
  const callers = await CallerDirectory.open(database.pool, feed)
  const membership = await DatabaseMembership.join(database.pool, {
    onError: (error) => console.warn(`writing this process's heartbeat failed: ${error.message}`)
  })
  const metrics = new GatewayMetrics()
  const local = config.secretsBackend === 'local' ? await openLocalSecretStore(process.env, dataDir) : undefined

  let sandbox: FastifyInstance | undefined
  let sandboxBaseUrl: string | undefined
  const ensure: Connection[] = []
  if (config.sandbox) {
    sandbox = await buildSandbox({
      authToken: await sandboxToken(local!),
      seed: { calls: config.sandboxCalls, messages: config.sandboxMessages }
    })
    await sandbox.listen({ port: config.sandboxPort, host: '127.0.0.1' })
    const address = sandbox.server.address()
    sandboxBaseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : config.sandboxPort}`
    ensure.push(sandboxConnection(SANDBOX_ACCOUNT_SID, `${SANDBOX_TOKEN_SECRET}/versions/latest`))
  }

  let stopping = false
  const app = await buildApp({
    adminToken: typeof adminToken === 'string' ? adminToken : adminToken.value,
    connections: store,
    management: { store, operations, ensure },
    callers,
    secrets: connectionSecrets(config, local, metrics),
    pageTokenKey: await gatewayKey(database.pool, 'page-token-key'),
    sandboxBaseUrl,
    twilioApiBaseUrl: config.twilioApiBaseUrl,
    ready: async () => !stopping && (await database.pool.query('SELECT 1')).rowCount === 1,
    tpsPerNode: config.throttleTpsPerNode,
    callLimits: { deadlineMs: config.callDeadlineSeconds * 1000, budget: config.callUpstreamBudget },
    upstreamTimeoutMs: config.upstreamTimeoutSeconds * 1000,
    upstreamConcurrencyPerAccount: config.upstreamConcurrencyPerAccount,
    cluster: {
      membership,
      nodeCounts: await DatabaseNodeCounts.open(database.pool, feed),
      idempotencyKeys: new DatabaseIdempotencyKeyStore(database.pool)
    },
    metrics,
    logger
  })
  if (config.twilioApiBaseUrl) {
    app.log.warn(`TWILIO_API_BASE_URL is set: every connection that is not a sandbox connection sends its Twilio traffic to ${config.twilioApiBaseUrl} instead of Twilio`)
  }
  if (typeof adminToken !== 'string') app.log.info(`Admin token (send it as Authorization: Bearer <token>) is in ${adminToken.path}`)
  app.log.info(database.kind === 'postgres' ? 'Database: PostgreSQL at DATABASE_URL' : `Database: embedded PostgreSQL in ${dataDir}/pgdata`)
  app.log.info(config.secretsBackend === 'secret-manager' ? 'Secrets: Google Secret Manager' : `Secrets: local encrypted store in ${dataDir}/secrets`)
  if (sandboxBaseUrl) {
    app.log.info(`Twilio sandbox listening on ${sandboxBaseUrl} (account ${SANDBOX_ACCOUNT_SID}; its auth token is the secret ${SANDBOX_TOKEN_SECRET})`)
  } else {
    app.log.info('Sandbox off: connections reach Twilio')
  }
  await app.listen({ port: config.port, host: config.host })

  const shutdown = async (signal: string): Promise<void> => {
    stopping = true
    app.log.info(`${signal}: no new calls; finishing the calls in flight (at most ${config.shutdownTimeoutSeconds} s)`)
    const force = setTimeout(() => {
      app.log.warn(`calls still in flight after ${config.shutdownTimeoutSeconds} s: closing their connections`)
      app.server.closeAllConnections()
    }, config.shutdownTimeoutSeconds * 1000)
    // Keep-alive connections left idle by calls that finish are closed at once: a client (a load balancer) keeping
    // one open would otherwise hold the shutdown until the timeout.
    const idle = setInterval(() => app.server.closeIdleConnections(), 100)
    await app.close()
    clearInterval(idle)
    clearTimeout(force)
    await sandbox?.close()
    await membership.stop()
    await feed.close()
    await database.close()
    app.log.info('stopped')
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // A second signal stops at once.
      process.once(signal, () => process.exit(1))
      shutdown(signal).then(() => process.exit(0), (error: unknown) => {
        console.error(error)
        process.exit(1)
      })
    })
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error)
  process.exit(1)
})
