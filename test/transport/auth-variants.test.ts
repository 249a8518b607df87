/**
 * Twilio's credential variants and its region/edge hosts, through the gateway's v2 runtime:
 *
 * - Account SID + Auth Token; an API key (`SK…` + secret) with the `account_sid` config variable; a parent
 *   account's credentials acting on its subaccount through `account_sid`; a key without `account_sid` (refused at
 *   configuration). The upstream is the sandbox served over TLS (the gateway's sandbox, `sandbox=true`), which logs
 *   each request's Basic username and path.
 * - `region` / `edge`: without a base URL override the SDK addresses Twilio's real hosts (`api.twilio.com`,
 *   `api.dublin.ie1.twilio.com` …) on port 443. The connection reaches them through a real squid (TUNNEL), so the
 *   CONNECT authority in squid's access log shows the host the SDK chose. Squid resolves those names to 127.0.0.1
 *   through its `hosts_file` (for its access rules), and its URL rewriter maps each `host:443` authority to the TLS
 *   sandbox's port — squid's own port mapping, so no listener on port 443 (and no root) is needed. The gateway
 *   verifies the sandbox's certificate for the name it asked for (the test CA issued it for those names).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { expectRpcError } from '../api/v2/support.js'
import { startGateway, type Answer, type TestGateway } from '../helpers/gateway.js'
import { startSquid, type Squid } from '../helpers/proxy.js'
import { createTestPki, type TestPki } from '../helpers/tls.js'
import { OWNED_NUMBER, SEEDED_MESSAGE, entityPath, startTlsSandbox, twilioConnection } from './support.js'

type TlsSandbox = Awaited<ReturnType<typeof startTlsSandbox>>

const TWILIO_HOSTS = ['api.twilio.com', 'api.dublin.ie1.twilio.com', 'api.ie1.twilio.com', 'api.sydney.au1.twilio.com'] as const

let pki: TestPki
let sandbox: TlsSandbox
let squid: Squid
let gateway: TestGateway
let secrets: { token: string, keySecret: string, wrongKeySecret: string }
let connectionCount = 0

beforeAll(async () => {
  pki = createTestPki(['127.0.0.1', 'localhost', ...TWILIO_HOSTS])
  sandbox = await startTlsSandbox(pki.server)
  squid = await startSquid({
    auth: 'NONE',
    hostNames: [...TWILIO_HOSTS],
    connectMap: Object.fromEntries(TWILIO_HOSTS.map((host) => [`${host}:443`, `127.0.0.1:${sandbox.port}`]))
  })
  // The TLS sandbox is the gateway's sandbox; no Twilio base URL override, so region/edge apply elsewhere.
  gateway = await startGateway({ sandbox, config: { upstreamCa: [pki.ca.cert], upstreamTimeoutMs: 10_000 } })
  secrets = {
    token: gateway.secrets.addVersion('projects/transport/secrets/auth-token', sandbox.authToken),
    keySecret: gateway.secrets.addVersion('projects/transport/secrets/api-key-secret', sandbox.apiKey.secret),
    wrongKeySecret: gateway.secrets.addVersion('projects/transport/secrets/wrong-key-secret', 'f'.repeat(32))
  }
})

afterAll(async () => {
  await gateway?.close()
  await Promise.all([sandbox?.close(), squid?.stop()])
})

beforeEach(() => { sandbox.control.requests.clear() })

function connect (spec: Omit<Parameters<typeof twilioConnection>[0], 'id'>): string {
  const id = `auth-${++connectionCount}`
  gateway.connections.put(twilioConnection({ id, ...spec }))
  return id
}

const accountPath = (accountSid: string): string => `/2010-04-01/Accounts/${accountSid}/`

function expectOk (answer: Answer): any {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body
}

describe('credentials', () => {
  it('an auth token stored with a trailing line break (echo … | gcloud secrets versions add) is accepted by Twilio', async () => {
    const withNewline = gateway.secrets.addVersion('projects/transport/secrets/auth-token-echoed', `${sandbox.authToken}\n`)
    const id = connect({ username: sandbox.accountSid, secretVersion: withNewline, sandbox: true })
    expect(expectOk(await gateway.call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE))).fields.Sid).toBe(SEEDED_MESSAGE)
    expect(sandbox.control.requests.list()).toMatchObject([{ username: sandbox.accountSid, status: 200 }])
  })

  it.each([
    ['with account_sid', true],
    ['without account_sid (the username is the account)', false]
  ])('Account SID + Auth Token, %s', async (_case, withAccountSid) => {
    const id = connect({ username: sandbox.accountSid, secretVersion: secrets.token, sandbox: true, ...(withAccountSid ? { accountSid: sandbox.accountSid } : {}) })
    expect(expectOk(await gateway.call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE))).fields.Sid).toBe(SEEDED_MESSAGE)
    expect(sandbox.control.requests.list()).toMatchObject([
      { method: 'GET', path: `${accountPath(sandbox.accountSid)}Messages/${SEEDED_MESSAGE}.json`, username: sandbox.accountSid, status: 200 }
    ])
  })

  it('API key SID + secret with account_sid: the key authenticates, the path names the account', async () => {
    const key = sandbox.apiKey
    expect(key.sid).toMatch(/^SK[0-9a-f]{32}$/)
    const id = connect({ username: key.sid, secretVersion: secrets.keySecret, accountSid: sandbox.accountSid, sandbox: true })

    expect(expectOk(await gateway.call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE))).fields.AccountSid).toBe(sandbox.accountSid)
    const list = expectOk(await gateway.call('GET', entityPath(id, 'Messages')))
    expect(list.entities.length).toBeGreaterThan(0)
    for (const row of list.entities) expect(row.fields.AccountSid).toBe(sandbox.accountSid)
    const created = expectOk(await gateway.call('POST', entityPath(id, 'Messages'), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'sent with a key' } }))
    expect(created.fields.AccountSid).toBe(sandbox.accountSid)

    const requests = sandbox.control.requests.list()
    expect(requests.map((request) => [request.method, request.username, request.status])).toEqual([
      ['GET', key.sid, 200], ['GET', key.sid, 200], ['POST', key.sid, 201]
    ])
    for (const request of requests) expect(request.path.startsWith(accountPath(sandbox.accountSid)), request.path).toBe(true)
  })

  it('an API key with a wrong secret: 400 FAILED_PRECONDITION, Twilio refused the credentials', async () => {
    const id = connect({ username: sandbox.apiKey.sid, secretVersion: secrets.wrongKeySecret, accountSid: sandbox.accountSid, sandbox: true })
    const error = expectRpcError(await gateway.call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)), 400, 'FAILED_PRECONDITION')
    expect(error.message).toMatch(/refused the credentials/)
    expect(sandbox.control.requests.list().every((request) => request.username === sandbox.apiKey.sid && request.status === 401)).toBe(true)
  })

  it('an API key without account_sid: refused at configuration with a clear 400, nothing sent', async () => {
    const id = connect({ username: sandbox.apiKey.sid, secretVersion: secrets.keySecret, sandbox: true })
    const error = expectRpcError(await gateway.call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)), 400, 'FAILED_PRECONDITION')
    expect(error.message).toMatch(/account_sid/)
    expect(error.message).toMatch(/API key/)
    expect(sandbox.control.requests.list()).toEqual([])
  })

  it("a parent account's credentials act on its subaccount through account_sid: rows are the subaccount's", async () => {
    const sub = sandbox.subaccount
    const id = connect({ username: sandbox.accountSid, secretVersion: secrets.token, accountSid: sub.sid, sandbox: true })

    const list = expectOk(await gateway.call('GET', entityPath(id, 'Messages')))
    expect(list.entities.length).toBeGreaterThan(0)
    for (const row of list.entities) expect(row.fields.AccountSid).toBe(sub.sid)
    const [first] = list.entities
    expect(expectOk(await gateway.call('GET', entityPath(id, 'Messages', first.fields.Sid))).fields.AccountSid).toBe(sub.sid)
    // The main account's message is not the subaccount's.
    expectRpcError(await gateway.call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE)), 404, 'NOT_FOUND')

    const requests = sandbox.control.requests.list()
    expect(requests).toHaveLength(3)
    for (const request of requests) {
      expect(request.username).toBe(sandbox.accountSid)
      expect(request.path.startsWith(accountPath(sub.sid)), request.path).toBe(true)
    }
  })

  it("the main account's API key acts on the subaccount through account_sid too", async () => {
    const sub = sandbox.subaccount
    const id = connect({ username: sandbox.apiKey.sid, secretVersion: secrets.keySecret, accountSid: sub.sid, sandbox: true })
    const list = expectOk(await gateway.call('GET', entityPath(id, 'Messages')))
    expect(list.entities.length).toBeGreaterThan(0)
    for (const row of list.entities) expect(row.fields.AccountSid).toBe(sub.sid)
    expect(sandbox.control.requests.list()).toMatchObject([{ username: sandbox.apiKey.sid, path: `${accountPath(sub.sid)}Messages.json` }])
  })
})

describe('region and edge', () => {
  /** A connection to Twilio's own hosts (no sandbox, no override) through squid with TUNNEL. */
  function regional (settings: { region?: string, edge?: string }): string {
    return connect({
      username: sandbox.accountSid,
      secretVersion: secrets.token,
      accountSid: sandbox.accountSid,
      ...settings,
      proxy: { squid, ssl: 'TUNNEL', scheme: 'NONE' }
    })
  }

  it.each([
    ['region ie1 and edge dublin', { region: 'ie1', edge: 'dublin' }, 'api.dublin.ie1.twilio.com'],
    ['region au1 and edge sydney', { region: 'au1', edge: 'sydney' }, 'api.sydney.au1.twilio.com'],
    ['region ie1 alone', { region: 'ie1' }, 'api.ie1.twilio.com'],
    ['neither', {}, 'api.twilio.com']
  ] as const)('with %s the SDK addresses %s, and the call succeeds', async (_case, settings, host) => {
    const id = regional(settings)
    const from = squid.entries().length
    expect(expectOk(await gateway.call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE))).fields.Sid).toBe(SEEDED_MESSAGE)
    expect(sandbox.control.requests.list()).toMatchObject([{ method: 'GET', username: sandbox.accountSid, status: 200 }])
    const tunnel = await squid.waitFor((entry) => entry.method === 'CONNECT' && entry.status === 200, { from, nudge: sandbox.closeIdle })
    // The authority the gateway asked squid for is the SDK's host on 443; squid mapped it to the TLS sandbox.
    expect(tunnel).toMatchObject({ url: `${host}:443`, squidUrl: `127.0.0.1:${sandbox.port}`, server: `127.0.0.1:${sandbox.port}`, result: 'TCP_TUNNEL' })
    expect(squid.entries().slice(from).map((entry) => entry.url)).toEqual([`${host}:443`])
  })

  it('are not applied when the connection reaches a base URL (the sandbox): the call goes to it unchanged', async () => {
    const id = connect({ username: sandbox.accountSid, secretVersion: secrets.token, accountSid: sandbox.accountSid, region: 'ie1', edge: 'dublin', sandbox: true })
    const from = squid.entries().length
    expect(expectOk(await gateway.call('GET', entityPath(id, 'Messages', SEEDED_MESSAGE))).fields.Sid).toBe(SEEDED_MESSAGE)
    expect(sandbox.control.requests.list()).toMatchObject([{ path: `${accountPath(sandbox.accountSid)}Messages/${SEEDED_MESSAGE}.json`, status: 200 }])
    // Nothing went through squid: after closing every sandbox connection (a tunnel would be logged then), a marker
    // call through squid is the only line logged since `from`.
    sandbox.closeIdle()
    expectOk(await gateway.call('GET', entityPath(regional({}), 'Messages', SEEDED_MESSAGE)))
    const marker = await squid.waitFor((entry) => entry.method === 'CONNECT', { from, nudge: sandbox.closeIdle })
    expect(marker.url).toBe('api.twilio.com:443')
    expect(squid.entries().slice(from)).toEqual([marker])
  })
})
