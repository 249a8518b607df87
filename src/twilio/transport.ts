/**
 * The HTTP transport under the `twilio` SDK (its `httpClient` option), on undici: keep-alive connections, the
 * connection's proxy, extra trusted certificates, a timeout, and each upstream request logged (method, path,
 * status, time — never credentials) at the connection's debug level. Failures carry a `code` the error mapping
 * understands (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `EPROXY`, TLS codes …).
 */
import type { Socket } from 'node:net'
import tls from 'node:tls'
import type { FastifyBaseLogger } from 'fastify'
import { Agent, type Dispatcher } from 'undici'
import { ProxyError, basicAuthorization, digestAuthorization, openTunnel, proxyMode, startTls, type ProxySettings } from './proxy.js'

export interface TransportOptions {
  /** An origin that replaces `https://api.twilio.com` (the sandbox, or TWILIO_API_BASE_URL). */
  baseUrl?: string
  timeoutMs: number
  proxy?: ProxySettings
  /** Extra trusted CA certificates (PEM) for upstream TLS, beside the system's. */
  ca?: string[]
  log: FastifyBaseLogger
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

/** Network failures with the codes of Node's own sockets, so callers can tell "not sent" from "outcome unknown". */
function transportError (error: unknown): Error {
  const failure = error as Error & { code?: string, cause?: { code?: string } }
  const code = failure.code === 'UND_ERR_SOCKET' ? 'ECONNRESET'
    : ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_ABORTED', 'ABORT_ERR'].includes(failure.code ?? '') || failure.name === 'TimeoutError' ? 'ETIMEDOUT'
      : failure.cause?.code ?? failure.code
  // A proxy's refusal keeps its status: a 407 means the proxy password is wrong (read it again).
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

  async request (request: SdkRequest): Promise<SdkResponse> {
    const uri = this.options.baseUrl ? request.uri.replace(TWILIO_ORIGIN, this.options.baseUrl) : request.uri
    const url = new URL(uri)
    const query = formEncode(request.params)
    if (query) url.search = url.search ? `${url.search}&${query}` : query
    const headers: Record<string, string> = { ...request.headers }
    if (request.username && request.password) headers.Authorization = basicAuthorization(request.username, request.password)
    const body = request.data && request.method !== 'get' && request.method !== 'delete' ? formEncode(request.data) : undefined
    const started = performance.now()
    const log = { method: request.method.toUpperCase(), path: url.pathname }
    try {
      const response = await this.#send(url, request.method.toUpperCase(), headers, body, request.timeout ?? this.options.timeoutMs)
      this.options.log.debug({ ...log, status: response.statusCode, ms: Math.round(performance.now() - started) }, 'Twilio request')
      return response
    } catch (error) {
      const failure = transportError(error)
      this.options.log.debug({ ...log, failure: (failure as { code?: string }).code, ms: Math.round(performance.now() - started) }, 'Twilio request failed')
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
