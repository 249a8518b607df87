/**
 * Reaching Twilio through a connection's HTTP proxy (config variables `proxy_enabled`, `proxy_auth_scheme`
 * BASIC | DIGEST | NONE, `proxy_user`, `proxy_password`, `proxy_ssltype` AUTO | ALWAYS | NEVER | TUNNEL and the
 * `proxy_server` destination):
 *
 * - TUNNEL: a CONNECT tunnel over plain TCP to the proxy, then TLS to Twilio through it;
 * - ALWAYS: TLS to the proxy itself, and the CONNECT tunnel inside that;
 * - NEVER: no TLS to the proxy; requests are forwarded in absolute form (only for http:// upstreams);
 * - AUTO: TUNNEL for https:// upstreams, NEVER for http:// ones.
 *
 * BASIC sends the credentials at once; DIGEST answers the proxy's 407 challenge (RFC 7616, MD5, qop=auth).
 */
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { isIP, type Socket } from 'node:net'
import tls from 'node:tls'

export type ProxyAuthScheme = 'BASIC' | 'DIGEST' | 'NONE'
export type ProxySslType = 'AUTO' | 'ALWAYS' | 'NEVER' | 'TUNNEL'

export interface ProxySettings {
  host: string
  port: number
  scheme: ProxyAuthScheme
  user?: string
  password?: string
  ssl: ProxySslType
}

/** How a request reaches its upstream through the proxy. */
export function proxyMode (proxy: ProxySettings, upstreamProtocol: string): 'tunnel' | 'forward' {
  if (proxy.ssl === 'NEVER') return 'forward'
  if (proxy.ssl === 'AUTO') return upstreamProtocol === 'https:' ? 'tunnel' : 'forward'
  return 'tunnel'
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex')

/** The parameters of a `Digest` challenge. */
function parseChallenge (header: string): Record<string, string> {
  const params: Record<string, string> = {}
  for (const match of header.replace(/^Digest\s+/i, '').matchAll(/([a-z0-9_-]+)=(?:"([^"]*)"|([^,\s]*))/gi)) {
    params[match[1]!.toLowerCase()] = match[2] ?? match[3] ?? ''
  }
  return params
}

/** The `Proxy-Authorization` answering a Digest challenge for `method` on `uri`. */
export function digestAuthorization (challenge: string, method: string, uri: string, user: string, password: string): string {
  const { realm = '', nonce = '', qop, opaque, algorithm } = parseChallenge(challenge)
  const ha1 = md5(`${user}:${realm}:${password}`)
  const ha2 = md5(`${method}:${uri}`)
  const cnonce = randomBytes(8).toString('hex')
  const nc = '00000001'
  const useQop = qop?.split(',').map((value) => value.trim()).includes('auth')
  const response = useQop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`)
  return [
    `Digest username="${user}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${uri}"`, `response="${response}"`,
    ...(useQop ? ['qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`] : []),
    ...(opaque !== undefined ? [`opaque="${opaque}"`] : []),
    ...(algorithm ? [`algorithm=${algorithm}`] : [])
  ].join(', ')
}

export function basicAuthorization (user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

/** A proxy error that never went past the proxy (the request was not sent upstream). */
export class ProxyError extends Error {
  readonly code = 'EPROXY'
  constructor (message: string, readonly status?: number) {
    super(message)
  }
}

interface Exchange { status: number, challenge?: string, socket?: Socket }

/** Sends CONNECT `authority` to the proxy; answers its status and, on 200, the tunnel's socket. */
function connectOnce (proxy: ProxySettings, authority: string, authorization: string | undefined, ca: string[] | undefined, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const request = (proxy.ssl === 'ALWAYS' ? https : http).request({
      host: proxy.host,
      port: proxy.port,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...(authorization ? { 'proxy-authorization': authorization } : {}) },
      agent: false,
      timeout: timeoutMs,
      ...(proxy.ssl === 'ALWAYS' && ca ? { ca: [...tls.rootCertificates, ...ca] } : {})
    })
    request.once('connect', (response, socket) => {
      if (response.statusCode === 200) {
        resolve({ status: 200, socket })
      } else {
        socket.destroy()
        const challenge = response.headers['proxy-authenticate']
        resolve({ status: response.statusCode ?? 0, challenge: Array.isArray(challenge) ? challenge.find((value) => /^digest/i.test(value)) : challenge })
      }
    })
    request.once('timeout', () => request.destroy(new ProxyError(`the proxy ${proxy.host}:${proxy.port} did not answer in time`)))
    request.once('error', reject)
    request.end()
  })
}

/** Opens a tunnel to `host:port` through the proxy, authenticating as its scheme says. */
export async function openTunnel (proxy: ProxySettings, host: string, port: number, ca: string[] | undefined, timeoutMs: number): Promise<Socket> {
  const authority = `${host}:${port}`
  const credentials = proxy.user !== undefined && proxy.password !== undefined
  let exchange = await connectOnce(proxy, authority, proxy.scheme === 'BASIC' && credentials ? basicAuthorization(proxy.user!, proxy.password!) : undefined, ca, timeoutMs)
  if (exchange.status === 407 && proxy.scheme === 'DIGEST' && credentials && exchange.challenge) {
    exchange = await connectOnce(proxy, authority, digestAuthorization(exchange.challenge, 'CONNECT', authority, proxy.user!, proxy.password!), ca, timeoutMs)
  }
  if (exchange.status !== 200 || !exchange.socket) {
    throw new ProxyError(exchange.status === 407
      ? `the proxy ${proxy.host}:${proxy.port} refused the gateway's proxy credentials (407)`
      : `the proxy ${proxy.host}:${proxy.port} refused to open a tunnel to ${authority} (${exchange.status})`, exchange.status)
  }
  return exchange.socket
}

/** TLS to `servername` over an open tunnel, resolved once the handshake is done. */
export function startTls (socket: Socket, servername: string, ca: string[] | undefined): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    // SNI carries host names only (RFC 6066): an IP address is checked against the certificate but not sent.
    const secure = tls.connect({
      socket,
      host: servername,
      ...(isIP(servername) ? {} : { servername }),
      ALPNProtocols: ['http/1.1'],
      ...(ca ? { ca: [...tls.rootCertificates, ...ca] } : {})
    })
    secure.once('secureConnect', () => resolve(secure))
    secure.once('error', reject)
  })
}
