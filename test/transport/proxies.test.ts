/**
 * A connection's HTTP proxy (`proxy_enabled`, `proxy_ssltype`, `proxy_auth_scheme`, `proxy_user`, `proxy_password`
 * from the secret store, the `proxy_server` destination), against real squid proxies (test/helpers/proxy.ts) — one
 * open, one with BASIC (htpasswd), one with DIGEST — and real sandboxes: one over TLS with a test CA (the gateway's
 * Twilio upstream, `twilioApiBaseUrl`), one over plain HTTP (the gateway's sandbox, for connections with
 * `sandbox=true`). Every call goes through the gateway's v2 runtime; what went through each proxy is read back from
 * its access log, and what reached Twilio from the sandbox's request log.
 */
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CachingSecretStore } from '../../src/secrets/cache.js'
import { MemorySecretStore } from '../../src/secrets/secret-store.js'
import { expectRpcError } from '../api/v2/support.js'
import { startGateway, type Answer, type TestGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/process.js'
import { findSquid, startSquid, startTlsFront, type AccessEntry, type ProxyAuth, type Squid } from '../helpers/proxy.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { createTestPki, type TestPki } from '../helpers/tls.js'
import {
  OWNED_NUMBER, SEEDED_MESSAGE, entityPath, outcomeUnknown, startTlsSandbox, twilioConnection, type ProxySpec
} from './support.js'

type TlsSandbox = Awaited<ReturnType<typeof startTlsSandbox>>

let pki: TestPki
let tlsSandbox: TlsSandbox
let plainSandbox: TestSandbox
let gateway: TestGateway
const squids = {} as Record<ProxyAuth, Squid>
/** Every answer of the gateway in this file, to check that no proxy password ever shows. */
const answers: Answer[] = []
let tokenVersion: string
let connectionCount = 0
/** The TLS server name (SNI) of each connection the TLS sandbox accepted; false when the client sent none. */
const serverNames: Array<string | false | null> = []

beforeAll(async () => {
  pki = createTestPki()
  const started = await Promise.all([
    startTlsSandbox(pki.server),
    startSandbox({ seed: { calls: 10, messages: 10 } }),
    ...(['NONE', 'BASIC', 'DIGEST'] as const).map((auth) => startSquid({ auth, tls: pki.server }))
  ])
  tlsSandbox = started[0] as TlsSandbox
  plainSandbox = started[1] as TestSandbox
  squids.NONE = started[2] as Squid
  squids.BASIC = started[3] as Squid
  squids.DIGEST = started[4] as Squid
  gateway = await startGateway({
    // The plain sandbox is the gateway's sandbox (connections with sandbox=true); the TLS one is "Twilio".
    sandbox: plainSandbox,
    config: { twilioApiBaseUrl: tlsSandbox.baseUrl, upstreamCa: [pki.ca.cert], upstreamTimeoutMs: 10_000 }
  })
  tokenVersion = gateway.secrets.addVersion('projects/transport/secrets/twilio-token', tlsSandbox.authToken)
  tlsSandbox.app.server.on('secureConnection', (socket: TLSSocket) => { serverNames.push(socket.servername) })
})

afterAll(async () => {
  await gateway?.close()
  await Promise.all([tlsSandbox?.close(), plainSandbox?.close(), ...Object.values(squids).map((squid) => squid.stop())])
})

beforeEach(() => {
  tlsSandbox.control.requests.clear()
  plainSandbox.control.requests.clear()
})

async function call (method: 'GET' | 'POST', url: string, body?: unknown): Promise<Answer> {
  const answer = await gateway.call(method, url, body)
  answers.push(answer)
  return answer
}

/** The proxy password of `squid` as a new secret version (or `password` instead). */
function passwordVersion (squid: Squid, password = squid.password): string {
  return gateway.secrets.addVersion(`projects/transport/secrets/proxy-${squid.auth.toLowerCase()}`, password)
}

/** Registers a new connection (a fresh name, so no client is shared between tests) and answers its id. */
function connect (proxy: ProxySpec | undefined, options: { sandbox?: boolean } = {}): string {
  const id = `proxied-${++connectionCount}`
  gateway.connections.put(twilioConnection({
    id,
    username: tlsSandbox.accountSid,
    secretVersion: tokenVersion,
    accountSid: tlsSandbox.accountSid,
    ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
    ...(proxy ? { proxy } : {})
  }))
  return id
}

/** A proxy spec with the squid's own account (none for NONE). */
function through (auth: ProxyAuth, ssl: ProxySpec['ssl']): ProxySpec {
  const squid = squids[auth]
  return {
    squid,
    ssl,
    scheme: auth,
    ...(auth === 'NONE' ? {} : { user: squid.user, passwordVersion: passwordVersion(squid) })
  }
}

function expectMessage (answer: Answer): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  expect(answer.body.fields.Sid).toBe(SEEDED_MESSAGE)
}

const messagePath = (sandbox: TestSandbox): string => `/2010-04-01/Accounts/${sandbox.accountSid}/Messages/${SEEDED_MESSAGE}.json`

/** The CONNECT line of a tunnel to `authority`, waiting for the tunnel to close (idle sandbox connections are closed). */
function tunnelEntry (squid: Squid, from: number, authority: string): Promise<AccessEntry> {
  return squid.waitFor((entry) => entry.method === 'CONNECT' && entry.url === authority && entry.status === 200,
    { from, nudge: tlsSandbox.closeIdle })
}

describe.each(['TUNNEL', 'ALWAYS'] as const)('proxy_ssltype %s to the TLS upstream', (ssl) => {
  it.each(['NONE', 'BASIC', 'DIGEST'] as const)('with proxy_auth_scheme %s: the call succeeds through a CONNECT tunnel of squid', async (auth) => {
    const squid = squids[auth]
    const id = connect(through(auth, ssl))
    const from = squid.entries().length

    expectMessage(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)))

    // It reached the TLS sandbox, with the connection's credentials…
    const [request, ...more] = tlsSandbox.control.requests.list()
    expect(more).toEqual([])
    expect(request).toMatchObject({ method: 'GET', path: messagePath(tlsSandbox), username: tlsSandbox.accountSid, status: 200 })
    // … through a tunnel squid opened to it, for the proxy user, entered over TLS for ALWAYS.
    const tunnel = await tunnelEntry(squid, from, `127.0.0.1:${tlsSandbox.port}`)
    expect(tunnel).toMatchObject({ result: 'TCP_TUNNEL', user: auth === 'NONE' ? null : squid.user, server: `127.0.0.1:${tlsSandbox.port}` })
    expect(tunnel.port).toBe(ssl === 'ALWAYS' ? squid.tlsEntryPort : squid.port)
    const lines = squid.entries().slice(from)
    // Only tunnels: squid never saw the request itself (it is encrypted end to end).
    expect(lines.every((entry) => entry.method === 'CONNECT'), lines.map((entry) => entry.raw).join('\n')).toBe(true)
    // DIGEST answers squid's challenge (a 407 first); BASIC sends its credentials at once.
    const challenges = lines.filter((entry) => entry.status === 407)
    if (auth === 'DIGEST') expect(challenges.length).toBeGreaterThanOrEqual(1)
    else expect(challenges).toEqual([])
  })

  it.each(['BASIC', 'DIGEST'] as const)('with a wrong %s password: 503 UNAVAILABLE, the proxy refused (407), nothing reached Twilio', async (auth) => {
    const squid = squids[auth]
    const id = connect({ ...through(auth, ssl), passwordVersion: passwordVersion(squid, 'not-the-password') })
    const from = squid.entries().length

    const error = expectRpcError(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)), 503, 'UNAVAILABLE')
    expect(error.message).toMatch(/proxy/i)
    expect(error.message).toMatch(/refused/)
    expect(error.message).toMatch(/407/)
    expect(tlsSandbox.control.requests.list()).toEqual([])
    await squid.waitFor((entry) => entry.method === 'CONNECT' && entry.status === 407 && entry.result === 'TCP_DENIED', { from })
    expect(squid.entries().slice(from).filter((entry) => entry.status === 200)).toEqual([])
  })

  it('a create through a proxy that refuses the credentials was never sent: 503, not 504 outcome-unknown', async () => {
    const squid = squids.DIGEST
    const id = connect({ ...through('DIGEST', ssl), passwordVersion: passwordVersion(squid, 'wrong-again') })
    const answer = await call('POST', entityPath(id, 'Messages'), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'never sent' } })
    expectRpcError(answer, 503, 'UNAVAILABLE')
    expect(outcomeUnknown(answer)).toBe(false)
    expect(tlsSandbox.control.requests.list()).toEqual([])
  })
})

describe('proxy_ssltype AUTO', () => {
  it('tunnels to an https upstream (CONNECT)', async () => {
    const squid = squids.BASIC
    const id = connect(through('BASIC', 'AUTO'))
    const from = squid.entries().length
    expectMessage(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)))
    expect(tlsSandbox.control.requests.list().map((request) => request.path)).toEqual([messagePath(tlsSandbox)])
    const tunnel = await tunnelEntry(squid, from, `127.0.0.1:${tlsSandbox.port}`)
    expect(tunnel).toMatchObject({ result: 'TCP_TUNNEL', user: squid.user, port: squid.port })
  })

  it('is the default when proxy_ssltype is not set', async () => {
    const squid = squids.NONE
    const id = connect({ squid })
    const from = squid.entries().length
    expectMessage(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)))
    await tunnelEntry(squid, from, `127.0.0.1:${tlsSandbox.port}`)
  })

  it('forwards to an http upstream in absolute form', async () => {
    const squid = squids.DIGEST
    const id = connect(through('DIGEST', 'AUTO'), { sandbox: true })
    const from = squid.entries().length
    expectMessage(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)))
    const url = `${plainSandbox.baseUrl}${messagePath(plainSandbox)}`
    await squid.waitFor((entry) => entry.method === 'GET' && entry.url === url && entry.status === 200 && entry.user === squid.user, { from })
  })
})

describe('proxy_ssltype NEVER', () => {
  it.each(['NONE', 'BASIC', 'DIGEST'] as const)('with %s: an http upstream is reached by forwarding in absolute form', async (auth) => {
    const squid = squids[auth]
    const id = connect(through(auth, 'NEVER'), { sandbox: true })
    const from = squid.entries().length

    // A read…
    expectMessage(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)))
    const url = `${plainSandbox.baseUrl}${messagePath(plainSandbox)}`
    const entry = await squid.waitFor((line) => line.method === 'GET' && line.url === url && line.status === 200, { from })
    expect(entry).toMatchObject({ result: 'TCP_MISS', user: auth === 'NONE' ? null : squid.user, hierarchy: 'HIER_DIRECT', server: plainSandbox.baseUrl.slice('http://'.length) })

    // … and a create, whose form body survives the proxy (and, for DIGEST, being sent again after the challenge).
    const created = await call('POST', entityPath(id, 'Messages'), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: `via ${auth} & co` } })
    expect(created.status, JSON.stringify(created.body)).toBe(200)
    const posts = plainSandbox.control.requests.list().filter((request) => request.method === 'POST')
    expect(posts).toHaveLength(1)
    expect(posts[0]?.body).toMatchObject({ To: '+14155550100', From: OWNED_NUMBER, Body: `via ${auth} & co` })
    await squid.waitFor((line) => line.method === 'POST' && line.url === `${plainSandbox.baseUrl}/2010-04-01/Accounts/${plainSandbox.accountSid}/Messages.json` &&
      line.status === 201, { from })
    // Nothing reached the TLS sandbox, and squid opened no tunnel.
    expect(tlsSandbox.control.requests.list()).toEqual([])
    expect(squid.entries().slice(from).filter((line) => line.method === 'CONNECT')).toEqual([])
  })

  it('keeps the query string of a list call when forwarding', async () => {
    const squid = squids.NONE
    const id = connect(through('NONE', 'NEVER'), { sandbox: true })
    const from = squid.entries().length
    const answer = await call('GET', `${entityPath(id, 'Messages')}?pageSize=3`)
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    const [request] = plainSandbox.control.requests.list()
    expect(request?.query).toMatchObject({ PageSize: '3' })
    const entry = await squid.waitFor((line) => line.method === 'GET' && line.url.startsWith(`${plainSandbox.baseUrl}/2010-04-01/Accounts/`), { from })
    expect(new URL(entry.url).searchParams.get('PageSize')).toBe('3')
  })

  it('refuses an https upstream: 400 FAILED_PRECONDITION, nothing sent anywhere', async () => {
    const squid = squids.NONE
    const id = connect(through('NONE', 'NEVER'))
    const from = squid.entries().length
    const error = expectRpcError(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)), 400, 'FAILED_PRECONDITION')
    expect(error.message).toMatch(/proxy_ssltype NEVER/)
    expect(tlsSandbox.control.requests.list()).toEqual([])
    expect(plainSandbox.control.requests.list()).toEqual([])
    // A later call through the same squid is the first thing it logs after `from`.
    const marker = connect(through('NONE', 'NEVER'), { sandbox: true })
    expectMessage(await call('GET', entityPath(marker, 'Messages', SEEDED_MESSAGE)))
    const entry = await squid.waitFor((line) => line.method === 'GET', { from })
    expect(squid.entries().slice(from)).toEqual([entry])
  })

  it.each(['BASIC', 'DIGEST'] as const)('with a wrong %s password: 503 UNAVAILABLE, the proxy refused (407); a create is not outcome-unknown', async (auth) => {
    const squid = squids[auth]
    const id = connect({ ...through(auth, 'NEVER'), passwordVersion: passwordVersion(squid, 'wrong') }, { sandbox: true })
    const read = expectRpcError(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)), 503, 'UNAVAILABLE')
    expect(read.message).toMatch(/proxy.*refused.*407/)
    const create = await call('POST', entityPath(id, 'Messages'), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'never sent' } })
    expectRpcError(create, 503, 'UNAVAILABLE')
    expect(outcomeUnknown(create)).toBe(false)
    expect(plainSandbox.control.requests.list()).toEqual([])
  })
})

describe('refusals and failures that never reach Twilio', () => {
  it('a proxy that refuses the destination (403 to CONNECT): 503 UNAVAILABLE naming the proxy; a create is not outcome-unknown', async () => {
    // The gateway's upstream is an address squid does not allow (TEST-NET-1): squid answers 403 without connecting.
    const blocked = await startGateway({ config: { twilioApiBaseUrl: 'https://192.0.2.1', upstreamCa: [pki.ca.cert], upstreamTimeoutMs: 10_000 } })
    try {
      const squid = squids.NONE
      const version = blocked.secrets.addVersion('projects/transport/secrets/token', tlsSandbox.authToken)
      blocked.connections.put(twilioConnection({ id: 'blocked', username: tlsSandbox.accountSid, secretVersion: version, proxy: { squid, ssl: 'TUNNEL', scheme: 'NONE' } }))
      const from = squid.entries().length
      const read = expectRpcError(await blocked.call('GET', entityPath('blocked', 'Messages', SEEDED_MESSAGE)), 503, 'UNAVAILABLE')
      expect(read.message).toMatch(/proxy 127\.0\.0\.1:\d+ refused to open a tunnel to 192\.0\.2\.1:443 \(403\)/)
      const create = await blocked.call('POST', entityPath('blocked', 'Messages'), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'x' } })
      expectRpcError(create, 503, 'UNAVAILABLE')
      expect(outcomeUnknown(create)).toBe(false)
      await squid.waitFor((entry) => entry.method === 'CONNECT' && entry.url === '192.0.2.1:443' && entry.status === 403, { from })
    } finally {
      await blocked.close()
    }
  })

  it('a proxy that refuses to forward (403 to an absolute-form request) is not Twilio refusing the credentials', async () => {
    // NEVER to an http upstream squid does not allow: squid answers 403 itself (its own HTML page).
    const blocked = await startGateway({ config: { sandboxBaseUrl: 'http://192.0.2.1', upstreamTimeoutMs: 10_000 } })
    try {
      const squid = squids.NONE
      const version = blocked.secrets.addVersion('projects/transport/secrets/token', tlsSandbox.authToken)
      const connection = twilioConnection({ id: 'forward-blocked', username: tlsSandbox.accountSid, secretVersion: version, sandbox: true, proxy: { squid, ssl: 'NEVER', scheme: 'NONE' } })
      blocked.connections.put(connection)
      const from = squid.entries().length
      const read = await blocked.call('GET', entityPath('forward-blocked', 'Messages', SEEDED_MESSAGE))
      await squid.waitFor((entry) => entry.method === 'GET' && entry.url.startsWith('http://192.0.2.1/') && entry.status === 403, { from })
      // Not "Twilio refused the credentials" (400 FAILED_PRECONDITION): no re-read of the secret and second try, and
      // the connection is not marked AUTHORIZATION_REQUIRED.
      const error = expectRpcError(read, 503, 'UNAVAILABLE')
      expect(error.message).toMatch(/proxy/i)
      expect(squid.entries().slice(from).filter((entry) => entry.method === 'GET')).toHaveLength(1)
      expect((await blocked.connections.get(connection.name))?.status?.state).not.toBe('AUTHORIZATION_REQUIRED')
      const create = await blocked.call('POST', entityPath('forward-blocked', 'Messages'), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'x' } })
      expectRpcError(create, 503, 'UNAVAILABLE')
      expect(outcomeUnknown(create)).toBe(false)
    } finally {
      await blocked.close()
    }
  })

  it('a proxy that does not listen: 503 UNAVAILABLE (ECONNREFUSED); a create is not outcome-unknown', async () => {
    const closed = await freePort()
    const id = connect({ ...through('NONE', 'TUNNEL'), port: closed })
    const read = expectRpcError(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)), 503, 'UNAVAILABLE')
    expect(read.message).toMatch(/ECONNREFUSED/)
    const create = await call('POST', entityPath(id, 'Messages'), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'x' } })
    expectRpcError(create, 503, 'UNAVAILABLE')
    expect(outcomeUnknown(create)).toBe(false)
    expect(tlsSandbox.control.requests.list()).toEqual([])
  })

  it('ALWAYS to a proxy whose certificate the gateway does not trust: 503 naming the TLS failure, not sent', async () => {
    // The gateway trusts only the test CA beside the system's; this proxy's certificate comes from another CA (a TLS
    // front, with that certificate, before the open squid).
    const squid = squids.NONE
    const front = await startTlsFront(createTestPki(['127.0.0.1']).server, squid.port)
    try {
      const from = squid.entries().length
      const id = connect({ squid, ssl: 'ALWAYS', scheme: 'NONE', port: front.port })
      const create = await call('POST', entityPath(id, 'Messages'), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'x' } })
      const error = expectRpcError(create, 503, 'UNAVAILABLE')
      expect(outcomeUnknown(create)).toBe(false)
      expect(error.message).toMatch(/Twilio could not be reached \([A-Z_]+: /)
      expect(tlsSandbox.control.requests.list()).toEqual([])
      expect(squid.entries().slice(from)).toEqual([])
    } finally {
      await front.close()
    }
  })
})

describe('the test proxy itself', () => {
  it('without squid, starting one fails with how to install it (the proxy tests never skip)', () => {
    expect(() => findSquid({ SQUID: 'none' })).toThrow(/apt-get install -y squid-openssl/)
    expect(findSquid()).toMatch(/squid$/)
  })
})

describe('TLS through the tunnel', () => {
  it('to an upstream named by IP address sends no server name, as a direct connection does (RFC 6066)', async () => {
    tlsSandbox.closeIdle()
    serverNames.length = 0
    expectMessage(await call('GET', entityPath(connect(undefined), 'Messages', SEEDED_MESSAGE)))
    expectMessage(await call('GET', entityPath(connect(through('NONE', 'TUNNEL')), 'Messages', SEEDED_MESSAGE)))
    expect(serverNames).toHaveLength(2)
    // Direct (undici) first, then through the tunnel (the gateway's own TLS over the CONNECT socket).
    expect(serverNames).toEqual([false, false])
  })
})

describe('without proxy_enabled', () => {
  it('the proxy sees nothing, even with a proxy_server and proxy settings configured', async () => {
    const squid = squids.BASIC
    const from = squid.entries().length
    const off = connect({ ...through('BASIC', 'TUNNEL'), enabled: false })
    const none = connect(undefined)
    expectMessage(await call('GET', entityPath(off, 'Messages', SEEDED_MESSAGE)))
    expectMessage(await call('GET', entityPath(none, 'Messages', SEEDED_MESSAGE)))
    expect(tlsSandbox.control.requests.list()).toHaveLength(2)
    // Close every connection to the sandbox (a tunnel, had there been one, would be logged now), then a marker
    // request through squid: it is the only line squid logged since `from`.
    tlsSandbox.closeIdle()
    const marker = connect(through('BASIC', 'NEVER'), { sandbox: true })
    expectMessage(await call('GET', entityPath(marker, 'Messages', SEEDED_MESSAGE)))
    const entry = await squid.waitFor((line) => line.method === 'GET' && line.status === 200, { from })
    expect(squid.entries().slice(from)).toEqual([entry])
  })
})

describe('the proxy password', () => {
  it('is read from the secret store (a secretValue), follows its latest version, and never shows in an answer', async () => {
    const squid = squids.BASIC
    const secret = 'projects/transport/secrets/rotating-proxy-password'
    gateway.secrets.addVersion(secret, squid.password)
    const id = connect({ squid, ssl: 'TUNNEL', scheme: 'BASIC', user: squid.user, passwordVersion: `${secret}/versions/latest` })
    expectMessage(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)))
    // A new, wrong version: the next call uses it and squid refuses…
    gateway.secrets.addVersion(secret, 'rotated-to-something-wrong')
    expect(expectRpcError(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)), 503, 'UNAVAILABLE').message).toMatch(/407/)
    // … and a right one again: it works again, without any change to the connection.
    gateway.secrets.addVersion(secret, squid.password)
    expectMessage(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)))
  })

  it('a cached password the proxy refuses (407) is read again at once: a rotated password works at the next call, long before the cache expires', async () => {
    const squid = squids.BASIC
    const store = new MemorySecretStore()
    const secret = 'projects/transport/secrets/cached-proxy-password'
    store.addVersion(secret, 'stale-proxy-password')
    const id = 'cached-proxy-password'
    const cached = await startGateway({
      connections: [twilioConnection({
        id,
        username: tlsSandbox.accountSid,
        secretVersion: store.addVersion('projects/transport/secrets/twilio-token', tlsSandbox.authToken),
        accountSid: tlsSandbox.accountSid,
        proxy: { squid, ssl: 'TUNNEL', scheme: 'BASIC', user: squid.user, passwordVersion: `${secret}/versions/latest` }
      })],
      config: {
        secrets: new CachingSecretStore(store, { ttlMs: 3_600_000 }),
        twilioApiBaseUrl: tlsSandbox.baseUrl,
        upstreamCa: [pki.ca.cert],
        upstreamTimeoutMs: 10_000
      }
    })
    try {
      const refused = await cached.call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE))
      answers.push(refused)
      expect(expectRpcError(refused, 503, 'UNAVAILABLE').message).toMatch(/407/)
      store.addVersion(secret, squid.password)
      const answered = await cached.call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE))
      answers.push(answered)
      expectMessage(answered)
    } finally {
      await cached.close()
    }
  })

  it('a proxy_password secret version that does not exist: 400 FAILED_PRECONDITION naming the version', async () => {
    const squid = squids.BASIC
    const missing = 'projects/transport/secrets/absent-proxy-password/versions/7'
    const id = connect({ squid, ssl: 'TUNNEL', scheme: 'BASIC', user: squid.user, passwordVersion: missing })
    const error = expectRpcError(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)), 400, 'FAILED_PRECONDITION')
    expect(error.message).toContain(missing)
    expect(tlsSandbox.control.requests.list()).toEqual([])
  })

  it('BASIC or DIGEST without a proxy_password: 400 FAILED_PRECONDITION at configuration', async () => {
    const squid = squids.DIGEST
    const id = connect({ squid, ssl: 'TUNNEL', scheme: 'DIGEST', user: squid.user })
    const error = expectRpcError(await call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)), 400, 'FAILED_PRECONDITION')
    expect(error.message).toMatch(/proxy_auth_scheme DIGEST but lacks proxy_user or proxy_password/)
  })

  it('no proxy password, nor its Basic encoding, appears in any answer of this file', () => {
    expect(answers.length).toBeGreaterThan(20)
    const text = JSON.stringify(answers)
    for (const squid of Object.values(squids)) {
      if (squid.auth === 'NONE') continue
      expect(text).not.toContain(squid.password)
      expect(text).not.toContain(Buffer.from(`${squid.user}:${squid.password}`).toString('base64'))
    }
    for (const wrong of ['not-the-password', 'wrong-again', 'rotated-to-something-wrong']) expect(text).not.toContain(wrong)
  })
})
