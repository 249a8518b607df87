/**
 * Builds the gateway for tests, optionally wired to a sandbox listening on a real socket, and calls it through
 * `inject` with the admin token.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { buildApp, type ClusterState, type GatewayConfig } from '../../src/app.js'
import { CallerDirectory } from '../../src/auth/tokens.js'
import { SingleProcess } from '../../src/cluster/membership.js'
import type { Connection } from '../../src/connections/connection.js'
import { MemoryConnectionRegistry } from '../../src/connections/registry.js'
import { SANDBOX_CONNECTION_NAME, SANDBOX_TOKEN_SECRET, sandboxConnection } from '../../src/connections/sandbox-connection.js'
import { DatabaseIdempotencyKeyStore } from '../../src/idempotency/key-store.js'
import { MemorySecretStore } from '../../src/secrets/secret-store.js'
import { DatabaseNodeCounts } from '../../src/throttle/node-counts.js'
import { openTestDatabase, type TestDatabase } from './database.js'
import { startSandbox, type TestSandbox } from './sandbox.js'

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef'
/** The runtime path of the built-in sandbox connection. */
export const SANDBOX_PATH = `/v2/${SANDBOX_CONNECTION_NAME}`

export interface Answer<T = any> { status: number, body: T, headers: Record<string, unknown> }

export interface TestGateway {
  app: FastifyInstance
  connections: MemoryConnectionRegistry
  secrets: MemorySecretStore
  /** Present when the gateway was built with a sandbox. */
  sandbox?: TestSandbox
  /** Present when the gateway was built with a database (and so the v1 management API). */
  db?: TestDatabase
  /** Calls the gateway with the admin token; JSON bodies are sent and parsed. */
  call<T = any>(method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string>): Promise<Answer<T>>
  close(): Promise<void>
}

export interface GatewayOptions {
  /** Start a sandbox (or use this one) and register the `sandbox` connection to it. */
  sandbox?: boolean | TestSandbox
  connections?: Connection[]
  /** Store connections in a database (embedded, or this one) and serve the v1 management API. */
  database?: boolean | TestDatabase
  /**
   * Overrides of the gateway's configuration. The throttle is raised out of the way (1,000,000 transactions per
   * second per node) unless `tpsPerNode` is given: suites that are not about it must not see 429s.
   */
  config?: Partial<GatewayConfig>
}

/** Node counts and idempotency keys in the test database (one process: membership stays in memory). */
async function databaseCluster (db: TestDatabase): Promise<ClusterState> {
  return {
    membership: new SingleProcess(),
    nodeCounts: await DatabaseNodeCounts.open(db.database.pool, db.feed),
    idempotencyKeys: new DatabaseIdempotencyKeyStore(db.database.pool)
  }
}

export async function startGateway (options: GatewayOptions = {}): Promise<TestGateway> {
  const secrets = new MemorySecretStore()
  const connections = new MemoryConnectionRegistry(options.connections ?? [])
  const sandbox = options.sandbox === true ? await startSandbox() : options.sandbox || undefined
  const db = options.database === true ? await openTestDatabase() : options.database || undefined
  const ensure = sandbox ? [sandboxConnection(sandbox.accountSid, secrets.addVersion(SANDBOX_TOKEN_SECRET, sandbox.authToken))] : []
  if (!db) for (const connection of [...(options.connections ?? []), ...ensure]) connections.put(connection)
  const app = await buildApp({
    adminToken: ADMIN_TOKEN,
    tpsPerNode: 1_000_000,
    connections: db?.store ?? connections,
    ...(db ? { management: { store: db.store, operations: db.operations, ensure: [...(options.connections ?? []), ...ensure] } } : {}),
    ...(db ? { callers: await CallerDirectory.open(db.database.pool, db.feed) } : {}),
    ...(db ? { cluster: await databaseCluster(db) } : {}),
    secrets,
    pageTokenKey: randomBytes(32),
    sandboxBaseUrl: sandbox?.baseUrl,
    ...options.config
  })
  await app.ready()
  return {
    app,
    connections,
    secrets,
    sandbox,
    db,
    async call (method, url, body, headers = {}) {
      const response = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] })
      })
      const text = response.body
      return { status: response.statusCode, body: text ? JSON.parse(text) : undefined, headers: response.headers }
    },
    async close () {
      await app.close()
      if (options.sandbox === true) await sandbox?.close()
      if (options.database === true) await db?.close()
    }
  }
}

/** Asserts the google.rpc.Status shape and answers its `error`. */
export function rpcError (answer: Answer): { code: number, message: string, status: string, details: any[] } {
  const error = answer.body?.error
  if (!error || typeof error.message !== 'string' || typeof error.status !== 'string' || !Array.isArray(error.details) || error.code !== answer.status) {
    throw new Error(`not a google.rpc.Status answer: ${answer.status} ${JSON.stringify(answer.body)}`)
  }
  return error
}

/** The detail of the given `@type` suffix (`ErrorInfo`, `BadRequest`, `RetryInfo`). */
export function detail (answer: Answer, type: string): any {
  return rpcError(answer).details.find((item) => item['@type'] === `type.googleapis.com/google.rpc.${type}`)
}
