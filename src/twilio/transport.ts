/**
 * The HTTP transport under the `twilio` SDK (its `httpClient` option), on undici: keep-alive connections, the
 * connection's proxy, extra trusted certificates, a timeout, and each upstream request logged (method, path,
 * status, time — never credentials) at the connection's debug level. Failures carry a `code` the error mapping
 * understands (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `EPROXY`, TLS codes …).
 *
 * Every attempt is charged to the runtime call it works for (a throttle token, its request budget, its deadline),
 * waits for a free slot of the account's concurrency cap, and is retried by the rules of `retry.ts`.
 */
import type { Socket } from 'node:net'
import tls from 'node:tls'
import type { FastifyBaseLogger } from 'fastify'
import { setTimeout as delay } from 'node:timers/promises'
import { Agent, type Dispatcher } from 'undici'
import { GatewayError } from '../errors.js'
import type { GatewayMetrics } from '../metrics.js'
import type { CallAllowance } from '../throttle/call-allowance.js'
import type { AccountConcurrency } from './concurrency.js'
import { rateLimitedError } from './errors.js'
import { ProxyError, basicAuthorization, digestAuthorization, openTunnel, proxyMode, startTls, type ProxySettings } from './proxy.js'
import { failedBeforeSending, retryAfterMs, type AttemptOutcome, type RetryPolicy } from './retry.js'

export interface TransportOptions {
  /** An origin that replaces `https://api.twilio.com` (the sandbox, or TWILIO_API_BASE_URL). */
  baseUrl?: string
  timeoutMs: number
  proxy?: ProxySettings
  /** Extra trusted CA certificates (PEM) for upstream TLS, beside the system's. */
  ca?: string[]
  log: FastifyBaseLogger
  /** The connection (metrics label) and the account whose concurrency cap its requests count against. */
  connection: string
  accountSid: string
  concurrency: AccountConcurrency
  retry: RetryPolicy
  metrics?: GatewayMetrics
  sleep?: (ms: number) => Promise<unknown>
}

/** What the SDK passes its httpClient (see twilio's BaseTwilio.request). */
export interface SdkRequest {
  method: string
  uri: string
  username?: string
  password?: string
  headers?: Record<string, string>
  params?: Record<string, unknown>
  data?: Record<string, unknown>
  timeout?: number
}

/** What the SDK expects back: it parses a string body as JSON itself. */
export interface SdkResponse { statusCode: number, body: string, headers: Record<string, string | string[] | undefined> }

const TWILIO_ORIGIN = /^https:\/\/[^/]+/

/** Form or query encoding as Twilio wants it: repeated keys for arrays, nothing for undefined. */
export function formEncode (values: Record<string, unknown> | undefined): string {
  const encoded = new URLSearchParams()
  for (const [key, value] of Object.entries(values ?? {})) {
    if (value === undefined || value === null) continue
    for (const item of Array.isArray(value) ? value : [value]) encoded.append(key, String(item))
  }
  return encoded.toString()
}

/**
 * Network failures with the codes of Node's own sockets, so callers can tell "not sent" from "outcome unknown";
 * a proxy's refusal keeps its status (a 407 means the proxy password is wrong).
 */
function transportError (error: unknown): Error & { code?: string, proxyStatus?: number } {
  const failure = error as Error & { code?: string, cause?: { code?: string } }
  const code = failure.code === 'UND_ERR_SOCKET' ? 'ECONNRESET'
    : ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_ABORTED', 'ABORT_ERR'].includes(failure.code ?? '') || failure.name === 'TimeoutError' ? 'ETIMEDOUT'
      : failure.cause?.code ?? failure.code
  const proxyError = [error, failure.cause].find((item) => item instanceof ProxyError)
  return Object.assign(new Error(failure.message), { code, ...(proxyError ? { proxyStatus: proxyError.status } : {}) })
}

/** Whether a forwarding proxy's answer is its own (it says so, or it is not Twilio's JSON), not Twilio's. */
function fromProxy (response: SdkResponse): boolean {
  if (response.headers['x-squid-error'] !== undefined || response.headers['proxy-status'] !== undefined) return true
  const type = response.headers['content-type']
  return !(typeof type === 'string' && type.includes('json'))
}

export class UpstreamTransport {
  readonly #dispatcher: Dispatcher
  readonly #ca: string[] | undefined

  constructor (private readonly options: TransportOptions) {
    this.#ca = options.ca?.length ? [...tls.rootCertificates, ...options.ca] : undefined
    const proxy = options.proxy
    const upstreamProtocol = options.baseUrl ? new URL(options.baseUrl).protocol : 'https:'
    this.#dispatcher = proxy && proxyMode(proxy, upstreamProtocol) === 'tunnel'
      ? new Agent({
        connect: (target, callback) => {
          const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80)
          openTunnel(proxy, target.hostname, port, options.ca, options.timeoutMs)
            .then((socket): Promise<Socket> | Socket => target.protocol === 'https:' ? startTls(socket, target.servername ?? target.hostname, options.ca) : socket)
            .then((socket) => callback(null, socket), (error: Error) => callback(error, null))
        }
      })
      : new Agent({ connect: { ...(this.#ca ? { ca: this.#ca } : {}), timeout: options.timeoutMs } })
  }

  /** Sends one SDK request (with its retries); every attempt is charged to `call` when there is one. */
  async request (request: SdkRequest, call?: CallAllowance): Promise<SdkResponse> {
    const uri = this.options.baseUrl ? request.uri.replace(TWILIO_ORIGIN, this.options.baseUrl) : request.uri
    const url = new URL(uri)
    const query = formEncode(request.params)
    if (query) url.search = url.search ? `${url.search}&${query}` : query
    const headers: Record<string, string> = { ...request.headers }
    if (request.username && request.password) headers.Authorization = basicAuthorization(request.username, request.password)
    const method = request.method.toUpperCase()
    const body = request.data && method !== 'GET' && method !== 'DELETE' ? formEncode(request.data) : undefined
    const timeoutMs = request.timeout ?? this.options.timeoutMs
    const deadline = performance.now() + timeoutMs
    const remainingMs = (): number => call ? call.remainingMs() : Math.max(0, deadline - performance.now())
    let mayHaveActed = false
    for (let attempt = 1; ; attempt++) {
      await call?.beforeUpstreamRequest()
      if (remainingMs() <= 0) {
        throw new GatewayError('DEADLINE_EXCEEDED', `The call's deadline passed before ${method} ${url.pathname} was sent to Twilio` +
          (attempt > 1 ? ` again (attempt ${attempt})` : ''))
      }
      const release = await this.options.concurrency.acquire(this.options.accountSid, remainingMs())
      let attemptResult: { response: SdkResponse } | { failure: Error & { code?: string, proxyStatus?: number } }
      try {
        attemptResult = { response: await this.#attempt(url, method, headers, body, Math.ceil(Math.min(timeoutMs, remainingMs()))) }
      } catch (error) {
        attemptResult = { failure: error as Error & { code?: string, proxyStatus?: number } }
      } finally {
        release()
      }
      const outcome: AttemptOutcome = 'response' in attemptResult
        ? { kind: 'answer', status: attemptResult.response.statusCode, retryAfterMs: retryAfterMs(attemptResult.response.headers['retry-after']) }
        : { kind: 'failure', code: attemptResult.failure.code, proxyStatus: attemptResult.failure.proxyStatus }
      // A DELETE repeated after one that may have acted: "not found" means the first one did it.
      if ('response' in attemptResult && method === 'DELETE' && mayHaveActed && attemptResult.response.statusCode === 404) {
        return { statusCode: 204, body: '', headers: attemptResult.response.headers }
      }
      const retry = this.options.retry.decide(method, outcome, attempt, remainingMs())
      if (!retry) {
        if ('failure' in attemptResult) throw attemptResult.failure
        if (outcome.kind === 'answer' && outcome.status === 429) throw rateLimitedError(attemptResult.response.body, outcome.retryAfterMs)
        return attemptResult.response
      }
      this.options.metrics?.upstreamRetries.inc({ connection: this.options.connection, reason: retry.reason })
      this.options.log.debug({ method, path: url.pathname, attempt, reason: retry.reason, delayMs: retry.delayMs }, 'Twilio request retried')
      mayHaveActed ||= outcome.kind === 'answer' ? outcome.status >= 500 : !failedBeforeSending(outcome.code)
      await (this.options.sleep ?? delay)(retry.delayMs)
    }
  }

  /** One attempt: sent, timed, logged and counted. */
  async #attempt (url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<SdkResponse> {
    const started = performance.now()
    const log = { method, path: url.pathname }
    const observe = (status: string): number => {
      const seconds = (performance.now() - started) / 1000
      this.options.metrics?.upstreamSeconds.observe({ connection: this.options.connection, method, status }, seconds)
      return Math.round(seconds * 1000)
    }
    try {
      const response = await this.#send(url, method, headers, body, timeoutMs)
      const ms = observe(String(response.statusCode))
      if (response.statusCode === 429) this.options.metrics?.upstream429.inc({ connection: this.options.connection })
      this.options.log.debug({ ...log, status: response.statusCode, ms }, 'Twilio request')
      return response
    } catch (error) {
      const failure = transportError(error)
      const ms = observe(failure.code ?? 'error')
      this.options.log.debug({ ...log, failure: failure.code, ms }, 'Twilio request failed')
      throw failure
    }
  }

  async #send (url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<SdkResponse> {
    const proxy = this.options.proxy
    const forward = proxy && proxyMode(proxy, url.protocol) === 'forward'
    const dispatch = async (proxyAuthorization?: string): Promise<SdkResponse> => {
      const response = await this.#dispatcher.request({
        origin: forward ? `http://${proxy.host}:${proxy.port}` : url.origin,
        // Through a forwarding proxy the request names its target in full.
        path: forward ? url.href : url.pathname + url.search,
        method: method as Dispatcher.HttpMethod,
        headers: { ...headers, ...(forward ? { host: url.host } : {}), ...(proxyAuthorization ? { 'proxy-authorization': proxyAuthorization } : {}) },
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs)
      })
      return { statusCode: response.statusCode, body: await response.body.text(), headers: response.headers }
    }
    if (!forward) return dispatch()
    const credentials = proxy.user !== undefined && proxy.password !== undefined
    const answer = await dispatch(proxy.scheme === 'BASIC' && credentials ? basicAuthorization(proxy.user!, proxy.password!) : undefined)
    const challenge = answer.headers['proxy-authenticate']
    const final = answer.statusCode === 407 && proxy.scheme === 'DIGEST' && credentials && typeof challenge === 'string'
      ? await dispatch(digestAuthorization(challenge, method, url.href, proxy.user!, proxy.password!))
      : answer
    // The proxy's own refusal is not Twilio's answer: the request never went further.
    if (final.statusCode === 407) throw new ProxyError(`the proxy ${proxy.host}:${proxy.port} refused the gateway's proxy credentials (407)`, 407)
    if (final.statusCode === 403 && fromProxy(final)) throw new ProxyError(`the proxy ${proxy.host}:${proxy.port} refused to forward the request (403)`, 403)
    return final
  }

  async close (): Promise<void> {
    await this.#dispatcher.close()
  }
}
