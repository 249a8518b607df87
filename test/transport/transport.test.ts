/**
 * UpstreamTransport (the `twilio` SDK's HTTP client in the gateway) on its own, against real loopback sockets:
 * what it sends (base URL rewriting, query and form encoding, Basic credentials), what it logs (never credentials),
 * and the `code` of each network failure — with the meaning the gateway's error mapping gives it ("not sent" or
 * "may have been sent"), since that decides whether a failed create is reported as safely retryable.
 */
import { once } from 'node:events'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import Fastify from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { upstreamError } from '../../src/twilio/errors.js'
import { AccountConcurrency } from '../../src/twilio/concurrency.js'
import { RetryPolicy } from '../../src/twilio/retry.js'
import { UpstreamTransport, formEncode, type SdkRequest, type TransportOptions } from '../../src/twilio/transport.js'
import { freePort } from '../helpers/process.js'
import { createCa, createTestPki, issueServerCertificate, selfSignedServerCertificate, type KeyPair, type TestPki } from '../helpers/tls.js'

const ACCOUNT = 'AC5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47'
const TOKEN = 'transport-test-token-0123456789ab'

interface Received { method: string, url: string, headers: http.IncomingHttpHeaders, body: string }

/** A server that records each request and answers `{"ok":true}`; or does what `behave` says instead. */
async function startServer (options: { tls?: KeyPair, behave?: (request: http.IncomingMessage, response: http.ServerResponse) => boolean } = {}) {
  const received: Received[] = []
  const sockets = new Set<net.Socket>()
  const handler = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => { body += chunk })
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body })
      if (options.behave?.(request, response)) return
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
  }
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler)
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.on('secureConnection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  // TLS handshakes the client aborts are expected here.
  server.on('tlsClientError', () => {})
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  return {
    port,
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    received,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

type Server = Awaited<ReturnType<typeof startServer>>

const logLines: string[] = []
const logger = Fastify({ logger: { level: 'debug', stream: { write: (line: string) => { logLines.push(line) } } } }).log
const transports: UpstreamTransport[] = []
const servers: Server[] = []

/** A transport with one attempt per request (the retry rules have tests of their own) unless `options` say otherwise. */
function transport (options: Partial<TransportOptions> = {}): UpstreamTransport {
  const made = new UpstreamTransport({
    timeoutMs: 5000,
    log: logger,
    connection: 'projects/p/locations/l/connections/transport',
    accountSid: 'AC00000000000000000000000000000000',
    concurrency: new AccountConcurrency(),
    retry: new RetryPolicy({ maxAttempts: 1 }),
    ...options
  })
  transports.push(made)
  return made
}

async function server (options: Parameters<typeof startServer>[0] = {}): Promise<Server> {
  const started = await startServer(options)
  servers.push(started)
  return started
}

const get = (path = `/2010-04-01/Accounts/${ACCOUNT}.json`): SdkRequest => ({
  method: 'get', uri: `https://api.twilio.com${path}`, username: ACCOUNT, password: TOKEN, headers: { Accept: 'application/json' }
})

/** The failure a request ends with (the test fails if it succeeds). */
async function failure (sending: Promise<unknown>): Promise<Error & { code?: string }> {
  const error = await sending.then(() => undefined, (caught: unknown) => caught)
  expect(error, 'the request should have failed').toBeInstanceOf(Error)
  return error as Error & { code?: string }
}

/** How the gateway reports this failure for a create: 503 when it was not sent, 504 outcome-unknown otherwise. */
function asCreate (error: unknown): string {
  return upstreamError(error, { connection: 'projects/p/locations/l/connections/c', operation: 'CREATE', subject: 'Messages' }).code
}

let pki: TestPki

beforeAll(() => { pki = createTestPki() })

afterEach(async () => {
  await Promise.all(transports.splice(0).map((made) => made.close().catch(() => {})))
  await Promise.all(servers.splice(0).map((started) => started.close()))
})

afterAll(() => {
  // Credentials never reach the log.
  const text = logLines.join('\n')
  expect(text).not.toContain(TOKEN)
  expect(text).not.toContain(Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64'))
})

describe('what is sent', () => {
  it('rewrites Twilio\'s origin to the base URL and encodes query and form with repeated keys', async () => {
    const upstream = await server()
    const answer = await transport({ baseUrl: upstream.origin }).request({
      method: 'post',
      uri: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Calls.json?Existing=1`,
      username: ACCOUNT,
      password: TOKEN,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      params: { To: ['+14155550100', '+14155550101'], Skipped: undefined, Nothing: null, Page: 0 },
      data: { StatusCallbackEvent: ['initiated', 'ringing'], Body: 'héllo & more=1 ✓', Empty: '', Omitted: undefined, Record: true }
    })
    expect(answer).toMatchObject({ statusCode: 200, body: '{"ok":true}' })
    expect(answer.headers['content-type']).toBe('application/json')

    const [request, ...more] = upstream.received
    expect(more).toEqual([])
    expect(request?.method).toBe('POST')
    expect(request?.url).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Calls.json?Existing=1&To=%2B14155550100&To=%2B14155550101&Page=0`)
    expect(request?.headers.host).toBe(`127.0.0.1:${upstream.port}`)
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(request?.body).toBe('StatusCallbackEvent=initiated&StatusCallbackEvent=ringing&Body=h%C3%A9llo+%26+more%3D1+%E2%9C%93&Empty=&Record=true')
    const form = new URLSearchParams(request?.body)
    expect(form.getAll('StatusCallbackEvent')).toEqual(['initiated', 'ringing'])
    expect(form.get('Body')).toBe('héllo & more=1 ✓')
  })

  it('sends the SDK\'s username and password as HTTP Basic credentials, and none without them', async () => {
    const upstream = await server()
    const client = transport({ baseUrl: upstream.origin })
    await client.request(get())
    await client.request({ ...get(), username: undefined, password: undefined })
    const [withCredentials, without] = upstream.received
    expect(withCredentials?.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`)
    expect(without?.headers.authorization).toBeUndefined()
  })

  it('sends no body with a GET or DELETE, even when the SDK passes data', async () => {
    const upstream = await server()
    const client = transport({ baseUrl: upstream.origin })
    await client.request({ ...get(), data: { Body: 'ignored' } })
    await client.request({ ...get(`/2010-04-01/Accounts/${ACCOUNT}/Messages/SM0.json`), method: 'delete', data: { Body: 'ignored' } })
    expect(upstream.received.map((request) => [request.method, request.body])).toEqual([['GET', ''], ['DELETE', '']])
  })

  it('rewrites a region/edge host of Twilio\'s too, and keeps the path and query as they are', async () => {
    const upstream = await server()
    await transport({ baseUrl: upstream.origin }).request({ ...get(`/2010-04-01/Accounts/${ACCOUNT}/Messages.json?PageSize=2`), uri: `https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Messages.json?PageSize=2` })
    expect(upstream.received.map((request) => request.url)).toEqual([`/2010-04-01/Accounts/${ACCOUNT}/Messages.json?PageSize=2`])
  })

  it('formEncode: arrays as repeated keys, nothing for undefined and null', () => {
    expect(formEncode({ A: ['1', 2, true], B: undefined, C: null, D: 'x y' })).toBe('A=1&A=2&A=true&D=x+y')
    expect(formEncode(undefined)).toBe('')
  })

  it('logs method, path and status at debug level — never the credentials or the query', async () => {
    const upstream = await server()
    const before = logLines.length
    await transport({ baseUrl: upstream.origin }).request({ ...get(), params: { To: '+14155550100' } })
    const lines = logLines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines).toMatchObject([{ level: 20, method: 'GET', path: `/2010-04-01/Accounts/${ACCOUNT}.json`, status: 200, msg: 'Twilio request' }])
    expect(JSON.stringify(lines)).not.toContain('14155550100')
  })
})

describe('failures and their codes', () => {
  it('no answer within the timeout → ETIMEDOUT (may have been sent: a create is outcome-unknown)', async () => {
    const upstream = await server({ behave: () => true }) // never answers
    const started = Date.now()
    const error = await failure(transport({ baseUrl: upstream.origin, timeoutMs: 300 }).request(get()))
    expect(error.code).toBe('ETIMEDOUT')
    expect(Date.now() - started).toBeLessThan(5000)
    expect(upstream.received).toHaveLength(1)
    expect(asCreate(error)).toBe('DEADLINE_EXCEEDED')
  })

  it('the SDK\'s own per-request timeout wins over the transport\'s', async () => {
    const upstream = await server({ behave: () => true })
    const started = Date.now()
    const error = await failure(transport({ baseUrl: upstream.origin, timeoutMs: 30_000 }).request({ ...get(), timeout: 300 }))
    expect(error.code).toBe('ETIMEDOUT')
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('nothing listening → ECONNREFUSED (not sent: a create is 503, not outcome-unknown)', async () => {
    const port = await freePort()
    const error = await failure(transport({ baseUrl: `http://127.0.0.1:${port}` }).request(get()))
    expect(error.code).toBe('ECONNREFUSED')
    expect(asCreate(error)).toBe('UNAVAILABLE')
  })

  it('the connection reset while waiting for the answer → ECONNRESET (may have been sent)', async () => {
    const upstream = await server({ behave: (request) => { request.socket.destroy(); return true } })
    const error = await failure(transport({ baseUrl: upstream.origin }).request({ ...get(), method: 'post', data: { Body: 'x' } }))
    expect(error.code).toBe('ECONNRESET')
    expect(upstream.received).toHaveLength(1)
    expect(asCreate(error)).toBe('DEADLINE_EXCEEDED')
  })
})

describe('TLS', () => {
  it('a certificate from a CA the gateway does not trust → a TLS failure code, not sent (a create is 503)', async () => {
    const stranger = createCa()
    const upstream = await server({ tls: issueServerCertificate(stranger, ['127.0.0.1', 'localhost']) })
    const error = await failure(transport({ baseUrl: upstream.origin, ca: [pki.ca.cert] }).request({ ...get(), method: 'post', data: { Body: 'x' } }))
    // Node's code for a leaf whose issuer is unknown.
    expect(error.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    expect(upstream.received).toEqual([])
    // The request never left the gateway: the mapping must say so.
    expect(asCreate(error)).toBe('UNAVAILABLE')
    const message = upstreamError(error, { connection: 'c', operation: 'GET', subject: 'Messages' }).message
    expect(message).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
  })

  it('a self-signed certificate → DEPTH_ZERO_SELF_SIGNED_CERT, not sent', async () => {
    const upstream = await server({ tls: selfSignedServerCertificate(['127.0.0.1']) })
    const error = await failure(transport({ baseUrl: upstream.origin, ca: [pki.ca.cert] }).request(get()))
    expect(error.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    expect(asCreate(error)).toBe('UNAVAILABLE')
  })

  it('a trusted certificate for another name → ERR_TLS_CERT_ALTNAME_INVALID, not sent', async () => {
    const upstream = await server({ tls: issueServerCertificate(pki.ca, ['api.twilio.com']) })
    const error = await failure(transport({ baseUrl: upstream.origin, ca: [pki.ca.cert] }).request(get()))
    expect(error.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
    expect(asCreate(error)).toBe('UNAVAILABLE')
  })

  it('the test CA trusted through `ca` → the request goes through; without it, the system roots refuse', async () => {
    const upstream = await server({ tls: pki.server })
    const answer = await transport({ baseUrl: upstream.origin, ca: [pki.ca.cert] }).request(get())
    expect(answer.statusCode).toBe(200)
    expect(upstream.received).toHaveLength(1)
    const error = await failure(transport({ baseUrl: upstream.origin }).request(get()))
    expect(error.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    expect(upstream.received).toHaveLength(1)
  })
})
