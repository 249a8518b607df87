/**
 * Twilio SDK clients per connection. A connection reaches the built-in sandbox only when it says so
 * (`sandbox` config variable) and the sandbox runs; otherwise it reaches Twilio at its region/edge host, or at the
 * operator's `TWILIO_API_BASE_URL` override. Clients are cached per connection until its settings or secret change.
 */
import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import twilio from 'twilio'
import type { Connection } from '../connections/connection.js'
import { runtimeSettings, type RuntimeSettings } from '../connections/connection.js'
import { FailedPreconditionError, GatewayError } from '../errors.js'
import type { SecretStore } from '../secrets/secret-store.js'
import type RequestClient from 'twilio/lib/base/RequestClient.js'
import type { GatewayMetrics } from '../metrics.js'
import type { CallAllowance } from '../throttle/call-allowance.js'
import type { AccountConcurrency } from './concurrency.js'
import { proxyMode } from './proxy.js'
import type { RetryPolicy } from './retry.js'
import { UpstreamTransport, type SdkRequest } from './transport.js'

export type TwilioClient = ReturnType<typeof twilio>

/** Everything an entity adapter needs to call Twilio for one connection. */
export interface UpstreamContext {
  client: TwilioClient
  /** The account whose resources are read and written. */
  accountSid: string
  /** The connection's full name, for messages. */
  connection: string
  /** Logs at the level the connection's `logConfig` asks for (silent unless enabled). */
  log: FastifyBaseLogger
  /** Whether the call's upstream budget still covers one more request with all its retries. */
  canAffordRequest: () => boolean
}

export interface TwilioClientOptions {
  secrets: SecretStore
  /** Base URL of the built-in sandbox, when it runs. */
  sandboxBaseUrl?: string
  /** Operator override of Twilio's host, for a Twilio-compatible endpoint. */
  apiBaseUrl?: string
  /** Upstream request timeout in milliseconds. */
  timeoutMs?: number
  /** The gateway's logger; each connection logs through a child at its `logConfig` level. */
  logger: FastifyBaseLogger
  /** Extra trusted CA certificates (PEM) for upstream TLS: a private Twilio-compatible endpoint, tests. */
  upstreamCa?: string[]
  /** The per-account cap on concurrent upstream requests (shared by connections of one account). */
  concurrency: AccountConcurrency
  retry: RetryPolicy
  metrics?: GatewayMetrics
}

/** The pino level of a connection's `logConfig`: nothing unless enabled; ERROR by default when enabled. */
export function connectionLogLevel (connection: Connection): string {
  if (!connection.logConfig?.enabled) return 'silent'
  const level = connection.logConfig.level
  return level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : 'error'
}

interface CachedClient {
  fingerprint: string
  transport: UpstreamTransport
  /** The context for calls that are not charged to a runtime call (status probes). */
  context: UpstreamContext
  /** A client whose requests are charged to `call`: a few microseconds to make. */
  clientFor (call: CallAllowance): TwilioClient
}

export class TwilioClients {
  readonly #cache = new Map<string, CachedClient>()

  constructor (private readonly options: TwilioClientOptions) {}

  /** The base URL a connection reaches, or undefined for Twilio itself. */
  #baseUrl (connection: Connection, settings: RuntimeSettings): string | undefined {
    if (settings.sandbox) {
      if (!this.options.sandboxBaseUrl) {
        throw new FailedPreconditionError(
          `Connection ${connection.name} asks for the sandbox (config variable sandbox=true), but the sandbox is ` +
          'not running on this gateway; set sandbox to false to reach Twilio')
      }
      return this.options.sandboxBaseUrl
    }
    return this.options.apiBaseUrl
  }

  /**
   * A secret the connection names. A secret that is missing, malformed or not readable is the connection's
   * problem, not the caller's: 400 FAILED_PRECONDITION naming the secret version (never a 404 that would read as
   * "the entity does not exist").
   */
  async #secret (connection: Connection, versionName: string): Promise<string> {
    try {
      // A line break at the end is an accident of `echo … | gcloud secrets versions add` (Twilio tokens and proxy
      // passwords have none): dropped, or Twilio would refuse the token.
      return (await this.options.secrets.access(versionName, { serviceAccount: connection.serviceAccount })).replace(/[\r\n]+$/, '')
    } catch (error) {
      if (error instanceof GatewayError && ['NOT_FOUND', 'INVALID_ARGUMENT', 'PERMISSION_DENIED'].includes(error.code)) {
        throw new FailedPreconditionError(`Connection ${connection.name} cannot read its secret version ${versionName}: ${error.message}`)
      }
      throw error
    }
  }

  /** Forgets the connection's client and cached secrets, so the next call reads them again (rotation). */
  invalidate (connection: Connection): void {
    this.#retire(connection.name)
    const settings = runtimeSettings(connection)
    for (const secretVersion of [settings.passwordSecretVersion, settings.proxy?.passwordSecretVersion]) {
      if (secretVersion) this.options.secrets.invalidate?.(secretVersion)
    }
  }

  /** The connection's upstream; with `call`, every request sent through it is charged to that call. */
  async forConnection (connection: Connection, call?: CallAllowance): Promise<UpstreamContext> {
    const settings = runtimeSettings(connection)
    const baseUrl = this.#baseUrl(connection, settings)
    const protocol = baseUrl ? new URL(baseUrl).protocol : 'https:'
    if (settings.proxy && protocol === 'https:' && proxyMode(settings.proxy, protocol) === 'forward') {
      throw new FailedPreconditionError(`Connection ${connection.name} uses proxy_ssltype ${settings.proxy.ssl}, which cannot reach an https upstream: use AUTO, TUNNEL or ALWAYS`)
    }
    const password = await this.#secret(connection, settings.passwordSecretVersion)
    const proxyPassword = settings.proxy?.passwordSecretVersion ? await this.#secret(connection, settings.proxy.passwordSecretVersion) : undefined
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([settings, baseUrl, password, proxyPassword, connectionLogLevel(connection)]))
      .digest('hex')
    const cached = this.#cache.get(connection.name)
    if (cached?.fingerprint === fingerprint) return call ? this.#chargedTo(cached, call) : cached.context

    const log = this.options.logger.child({ connection: connection.name }, { level: connectionLogLevel(connection) })
    const transport = new UpstreamTransport({
      baseUrl: baseUrl?.replace(/\/+$/, ''),
      timeoutMs: this.options.timeoutMs ?? 30_000,
      ...(settings.proxy ? { proxy: { ...settings.proxy, password: proxyPassword } } : {}),
      ca: this.options.upstreamCa,
      log,
      connection: connection.name,
      accountSid: settings.accountSid,
      concurrency: this.options.concurrency,
      retry: this.options.retry,
      metrics: this.options.metrics
    })
    const clientFor = (call?: CallAllowance): TwilioClient => twilio(settings.username, password, {
      accountSid: settings.accountSid,
      httpClient: { request: (request: SdkRequest) => transport.request(request, call) } as unknown as RequestClient,
      // Region and edge rewrite Twilio's hostname; with another base URL they would mangle it. An empty string (not
      // undefined) keeps the SDK from taking TWILIO_REGION / TWILIO_EDGE from the gateway's own environment.
      region: baseUrl ? '' : settings.region ?? '',
      edge: baseUrl ? '' : settings.edge ?? ''
    })
    const context: UpstreamContext = { client: clientFor(), accountSid: settings.accountSid, connection: connection.name, log, canAffordRequest: () => true }
    const fresh = { fingerprint, context, transport, clientFor }
    this.#retire(connection.name)
    this.#cache.set(connection.name, fresh)
    return call ? this.#chargedTo(fresh, call) : context
  }

  /** The cached context with a client whose requests are charged to `call`. */
  #chargedTo (cached: CachedClient, call: CallAllowance): UpstreamContext {
    const attempts = this.options.retry.maxAttempts
    return { ...cached.context, client: cached.clientFor(call), canAffordRequest: () => call.remainingRequests() >= attempts }
  }

  /** Drops a connection's client, closing its connections once calls in flight are done. */
  #retire (name: string): void {
    const cached = this.#cache.get(name)
    this.#cache.delete(name)
    cached?.transport.close().catch(() => {})
  }
}
