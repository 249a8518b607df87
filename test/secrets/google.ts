/**
 * Shared set-up of the Secret Manager tests: a local Secret Manager (gRPC) and IAM Credentials (HTTP) on loopback,
 * the gateway's own identity as an explicit auth client (so nothing probes a metadata server), the real
 * `SecretManagerStore` wired to both, and guards that prove nothing leaves loopback.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OAuth2Client } from 'google-auth-library'
import { SecretManagerStore, type SecretManagerStoreOptions } from '../../src/secrets/secret-manager.js'
import { openTestDatabase, type TestDatabase } from '../helpers/database.js'
import { createTestDatabase, realPostgres } from '../helpers/postgres.js'
import { startIamCredentialsServer, type IamCredentialsServer } from '../helpers/iam-credentials-server.js'
import { startSecretManagerServer, type SecretManagerServer } from '../helpers/secret-manager-server.js'

/** The gateway's own identity (what Application Default Credentials would be on Cloud Run). */
export const GATEWAY = 'twilio-gateway@gateway-proj.iam.gserviceaccount.com'
/** Connections' service accounts: two teams' and one the gateway may not act as. */
export const TEAM_A = 'team-a-connector@acme-proj.iam.gserviceaccount.com'
export const TEAM_B = 'team-b-connector@globex-proj.iam.gserviceaccount.com'
export const ROGUE = 'rogue@elsewhere-proj.iam.gserviceaccount.com'

/** An auth client holding a fixed access token, valid far into the future (never refreshed, never looked up). */
export function staticIdentity (token: string): OAuth2Client {
  const client = new OAuth2Client()
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 10 * 365 * 86_400_000 })
  return client
}

export interface LocalGoogle {
  sm: SecretManagerServer
  iam: IamCredentialsServer
  /** The gateway's own access token (Secret Manager knows it as GATEWAY). */
  gatewayToken: string
  /** A new SecretManagerStore on the local servers acting as the gateway (closed with `close`). */
  store (options?: Partial<SecretManagerStoreOptions>): SecretManagerStore
  close (): Promise<void>
}

/**
 * Secret Manager and IAM Credentials on loopback. The gateway may impersonate TEAM_A and TEAM_B (not ROGUE, which
 * exists); what each principal may read is up to the test (`sm.grant`).
 */
export async function startLocalGoogle (): Promise<LocalGoogle> {
  const gatewayToken = `ya29.gateway-${randomBytes(16).toString('hex')}`
  const sm = await startSecretManagerServer({ tokens: { [gatewayToken]: GATEWAY } })
  const iam = await startIamCredentialsServer(sm)
  iam.allow(GATEWAY, TEAM_A)
  iam.allow(GATEWAY, TEAM_B)
  iam.addServiceAccount(ROGUE)
  const stores: SecretManagerStore[] = []
  return {
    sm,
    iam,
    gatewayToken,
    store (options = {}) {
      const store = new SecretManagerStore({
        endpoint: sm.endpoint,
        insecure: true,
        identity: staticIdentity(gatewayToken),
        iamCredentialsEndpoint: iam.baseUrl,
        timeoutMs: 5000,
        ...options
      })
      stores.push(store)
      return store
    },
    async close () {
      await Promise.all(stores.map((store) => store.close().catch(() => {})))
      await sm.close()
      await iam.close()
    }
  }
}

/** Where a socket connects, from the arguments of `net.Socket.prototype.connect` (public or normalized form). */
function connectTarget (args: unknown[]): string {
  let first = args[0]
  if (Array.isArray(first)) first = first[0]
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string, port?: number | string, path?: string }
    if (options.path) return `unix:${options.path}`
    return `${options.host ?? 'localhost'}:${String(options.port)}`
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^[0-9]+$/.test(first))) {
    return `${typeof args[1] === 'string' ? args[1] : 'localhost'}:${String(first)}`
  }
  return `unix:${String(first)}`
}

const LOOPBACK = /^(unix:|127\.\d+\.\d+\.\d+:|localhost:|::1:|\[::1\]:)/

export function isLoopback (target: string): boolean {
  return LOOPBACK.test(target)
}

/**
 * Records every outgoing socket connection of this process (TCP, TLS, HTTP/2, fetch all go through
 * `net.Socket.prototype.connect`) until `restore`.
 */
export function watchConnections (): { targets: string[], offLoopback (): string[], restore (): void } {
  const targets: string[] = []
  const original = net.Socket.prototype.connect
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    targets.push(connectTarget(args))
    return (original as (...rest: unknown[]) => net.Socket).apply(this, args)
  } as typeof original
  return {
    targets,
    offLoopback: () => targets.filter((target) => !isLoopback(target)),
    restore: () => { net.Socket.prototype.connect = original }
  }
}

/**
 * A stand-in metadata server that answers every request 400 (not retried; a lookup also raises the library's
 * MetadataLookupWarning) and counts them; `GCE_METADATA_HOST` / `GCE_METADATA_IP` point at it while installed.
 * Also collects every process warning.
 */
export interface MetadataTrap {
  host: string
  /** Requests the metadata stand-in received. */
  requests: string[]
  /** Connections it accepted (a lookup that never sent a request still shows here). */
  connections: number
  /** Every warning the process emitted (name: message). */
  warnings: string[]
  restore (): Promise<void>
}

const METADATA_ENV = ['GCE_METADATA_HOST', 'GCE_METADATA_IP', 'METADATA_SERVER_DETECTION', 'GOOGLE_APPLICATION_CREDENTIALS', 'CLOUDSDK_CONFIG'] as const

export async function installMetadataTrap (): Promise<MetadataTrap> {
  const emptyConfigDir = mkdtempSync(join(tmpdir(), 'no-gcloud-config-'))
  const saved = Object.fromEntries(METADATA_ENV.map((name) => [name, process.env[name]]))
  const requests: string[] = []
  const warnings: string[] = []
  let connections = 0
  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`)
    response.writeHead(400, { 'metadata-flavor': 'Google' }).end('trap')
  })
  server.on('connection', () => { connections++ })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  process.env.GCE_METADATA_HOST = host
  process.env.GCE_METADATA_IP = host
  delete process.env.METADATA_SERVER_DETECTION
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS
  // No gcloud well-known credentials file either (an empty configuration directory, removed by restore).
  process.env.CLOUDSDK_CONFIG = emptyConfigDir
  const onWarning = (warning: Error): void => { warnings.push(`${warning.name}: ${warning.message}`) }
  process.on('warning', onWarning)
  return {
    host,
    requests,
    get connections () { return connections },
    warnings,
    async restore () {
      process.off('warning', onWarning)
      for (const name of METADATA_ENV) {
        if (saved[name] === undefined) delete process.env[name]
        else process.env[name] = saved[name]
      }
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      rmSync(emptyConfigDir, { recursive: true, force: true })
    }
  }
}

/** The error `promise` rejects with (failing the test if it resolves). */
export async function failure (promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then((value) => { throw new Error(`expected a failure, got ${JSON.stringify(value)}`) }, (error: Error) => error)
}

/**
 * A database for a gateway under test: a fresh database on the run's real PostgreSQL when there is one (fast to
 * create), else the embedded one (the first of a run costs seconds). `close` closes and removes it.
 */
export async function gatewayDatabase (): Promise<{ db: TestDatabase, close (): Promise<void> }> {
  if (realPostgres().url) {
    const created = await createTestDatabase('gateway_secrets')
    const db = await openTestDatabase({ url: created.url })
    return { db, close: async () => { await db.close(); await created.drop() } }
  }
  const db = await openTestDatabase()
  return { db, close: async () => { await db.close() } }
}
