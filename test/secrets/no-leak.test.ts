/**
 * Never leak a secret (issue 4, item 7): a full create / use / rotate / fail cycle through the gateway, with every
 * log line captured at DEBUG (the gateway's logger and the connection's `logConfig` at DEBUG), real secret values in
 * play — the Twilio auth token (read from Secret Manager as the connection's service account), a proxy password in
 * the `proxy_password` config variable (really sent to a Basic-auth HTTP proxy run by this test), a wrong token
 * during rotation, a wrong proxy password, the gateway's and the impersonated Google access tokens, the admin token
 * — and then: no secret value (raw, JSON-escaped, URL-encoded, base64, inside HTTP Basic credentials, or its first
 * half) in any log line, any API answer (bodies and headers), any stored operation or connection, any error message.
 *
 * The logger has no redaction configured: this proves nothing ever hands a secret to the logger at all (the
 * production logger's redaction is defence in depth on top).
 */
import { randomBytes } from 'node:crypto'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { format } from 'node:util'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest'
import { CachingSecretStore } from '../../src/secrets/cache.js'
import { ADMIN_TOKEN, startGateway, type TestGateway } from '../helpers/gateway.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { GATEWAY, TEAM_A, TEAM_B, gatewayDatabase, startLocalGoogle, type LocalGoogle } from './google.js'

const PROJECT = 'acme-proj'
const PARENT = `projects/${PROJECT}/locations/us-central1`
const CONNECTOR_VERSION = `projects/${PROJECT}/locations/global/providers/twilio/connectors/twilio/versions/1`
const TTL = 300_000
const GRACE = 3_600_000

const AUTH_TOKEN = randomBytes(16).toString('hex')
const WRONG_TOKEN = randomBytes(16).toString('hex')
const PROXY_USER = 'gateway-proxy-user'
/** With characters that JSON, URLs and base64 each encode differently. */
const PROXY_PASSWORD = `Px-${randomBytes(12).toString('hex')}:"/@+%é`
const WRONG_PROXY_PASSWORD = `Wp-${randomBytes(12).toString('hex')}`

interface Captured { method: string, url: string, status: number, headers: IncomingHttpHeaders, body: string }

let google: LocalGoogle
let sandbox: TestSandbox
let gateway: TestGateway
let database: Awaited<ReturnType<typeof gatewayDatabase>>
let proxy: Server
let clock = 1_700_000_000_000
const logLines: string[] = []
const answers: Captured[] = []
const proxied: Array<{ url: string, authorized: boolean }> = []
let dump = ''
/** Whatever reached the console or the process's stdout / stderr during the cycle (passed through, and kept). */
const spies: Array<MockInstance<(...args: any[]) => any>> = []
const consoleOutput = (): string[] => spies.flatMap((spy) => spy.mock.calls.map((args) => format(...args)))

/** Calls the gateway through inject, keeping the raw answer (status, headers, body text). */
async function call (method: InjectOptions['method'], url: string, body?: unknown, token = ADMIN_TOKEN): Promise<{ status: number, body: any }> {
  const response = await gateway.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] })
  })
  answers.push({ method: String(method), url, status: response.statusCode, headers: response.headers as IncomingHttpHeaders, body: response.body })
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined }
}

/** A forwarding HTTP proxy that wants `Proxy-Authorization: Basic PROXY_USER:PROXY_PASSWORD`. */
async function startProxy (): Promise<Server> {
  const expected = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`
  const server = createServer((request, response) => {
    const authorized = request.headers['proxy-authorization'] === expected
    proxied.push({ url: request.url ?? '', authorized })
    if (!authorized) {
      response.writeHead(407, { 'proxy-authenticate': 'Basic realm="test proxy"' }).end()
      return
    }
    const { 'proxy-authorization': _dropped, ...headers } = request.headers
    const upstream = httpRequest(request.url ?? '', { method: request.method, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    })
    upstream.on('error', () => response.writeHead(502).end())
    request.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return server
}

function connectionBody (tokenVersion: string, proxyPasswordVersion: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const port = (proxy.address() as AddressInfo).port
  return {
    connectorVersion: CONNECTOR_VERSION,
    serviceAccount: TEAM_A,
    logConfig: { enabled: true, level: 'DEBUG' },
    configVariables: [
      { key: 'sandbox', boolValue: true },
      { key: 'proxy_enabled', boolValue: true },
      { key: 'proxy_auth_scheme', stringValue: 'BASIC' },
      { key: 'proxy_user', stringValue: PROXY_USER },
      { key: 'proxy_password', secretValue: { secretVersion: proxyPasswordVersion } },
      { key: 'proxy_ssltype', stringValue: 'NEVER' }
    ],
    destinationConfigs: [{ key: 'proxy_server', destinations: [{ host: '127.0.0.1', port }] }],
    authConfig: { authType: 'USER_PASSWORD', userPassword: { username: sandbox.accountSid, password: { secretVersion: tokenVersion } } },
    ...extra
  }
}

const CONNECTION = 'leakproof'
const runtimePath = (id = CONNECTION): string => `/v2/${PARENT}/connections/${id}`
const messages = (id = CONNECTION): string => `${runtimePath(id)}/entityTypes/Messages/entities`

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) spies.push(vi.spyOn(console, method))
  spies.push(vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write'))
  google = await startLocalGoogle()
  sandbox = await startSandbox({ authToken: AUTH_TOKEN })
  proxy = await startProxy()
  google.sm.addVersion('projects/local/secrets/sandbox-auth-token', AUTH_TOKEN)
  google.sm.grant('projects/local/secrets/sandbox-auth-token', GATEWAY)
  const secrets = new CachingSecretStore(google.store(), { ttlMs: TTL, graceMs: GRACE, now: () => clock })
  database = await gatewayDatabase()
  gateway = await startGateway({
    sandbox,
    database: database.db,
    config: { secrets, logger: { level: 'debug', stream: { write: (line: string) => { logLines.push(line) } } } }
  })

  const tokenSecret = `projects/${PROJECT}/secrets/twilio-auth-token`
  const proxySecret = `projects/${PROJECT}/secrets/proxy-password`
  google.sm.createSecret(tokenSecret, [TEAM_A])
  google.sm.createSecret(proxySecret, [TEAM_A])
  google.sm.addVersion(tokenSecret, AUTH_TOKEN)
  google.sm.addVersion(proxySecret, PROXY_PASSWORD)
  const tokenLatest = `${tokenSecret}/versions/latest`
  const proxyLatest = `${proxySecret}/versions/latest`

  // ---- create ----
  const created = await call('POST', `/v1/${PARENT}/connections?connectionId=${CONNECTION}&alt=json`, connectionBody(tokenLatest, proxyLatest))
  expect(created.status, JSON.stringify(created.body)).toBe(200)
  expect(created.body.response.status.state, JSON.stringify(created.body)).toBe('ACTIVE')

  // ---- use ----
  await call('GET', `/v1/${PARENT}/connections/${CONNECTION}`)
  await call('GET', `/v1/${PARENT}/connections`)
  await call('GET', `${runtimePath()}/entityTypes`)
  const list = await call('GET', `${messages()}?pageSize=3`)
  expect(list.status, JSON.stringify(list.body)).toBe(200)
  const sid = list.body.entities?.[0]?.fields?.Sid as string | undefined
  if (sid) expect((await call('GET', `${messages()}/${sid}`)).status).toBe(200)
  if (list.body.nextPageToken) await call('GET', `${messages()}?pageSize=3&pageToken=${encodeURIComponent(list.body.nextPageToken as string)}`)
  const sent = await call('POST', messages(), { fields: { To: '+14155550100', Sender: '+15005550006', Body: 'hello through the proxy' } })
  expect(sent.status, JSON.stringify(sent.body)).toBe(200)
  expect((await call('GET', `${runtimePath()}:checkStatus`)).body.state).toBe('ACTIVE')
  await call('GET', `${runtimePath()}:checkReadiness`)

  // ---- rotate: a wrong token is added (and refused), then the right one again ----
  google.sm.addVersion(tokenSecret, WRONG_TOKEN)
  clock += TTL
  expect((await call('GET', `${messages()}?pageSize=1`)).status).toBe(400)
  expect((await call('GET', `/v1/${PARENT}/connections/${CONNECTION}`)).body.status.state).toBe('AUTHORIZATION_REQUIRED')
  expect((await call('GET', `${runtimePath()}:checkStatus`)).body.state).toBe('AUTH_ERROR')
  google.sm.addVersion(tokenSecret, AUTH_TOKEN)
  expect((await call('GET', `${messages()}?pageSize=1`)).status).toBe(200)

  // ---- rotate the proxy password wrongly, then back ----
  google.sm.addVersion(proxySecret, WRONG_PROXY_PASSWORD)
  clock += TTL
  const proxyRefused = await call('GET', `${messages()}?pageSize=1`)
  expect(proxyRefused.status).toBeGreaterThanOrEqual(400)
  await call('GET', `${runtimePath()}:checkStatus`)
  google.sm.addVersion(proxySecret, PROXY_PASSWORD)
  clock += TTL
  expect((await call('GET', `${messages()}?pageSize=1`)).status).toBe(200)

  // ---- fail in every other way ----
  // An update to a secret that does not exist, and back.
  const missing = `projects/${PROJECT}/secrets/never-created/versions/1`
  const patched = await call('PATCH', `/v1/${PARENT}/connections/${CONNECTION}?updateMask=authConfig`, { authConfig: { authType: 'USER_PASSWORD', userPassword: { username: sandbox.accountSid, password: { secretVersion: missing } } } })
  expect(patched.body.response?.status?.state, JSON.stringify(patched.body)).toBe('ERROR')
  expect((await call('GET', `${messages()}?pageSize=1`)).status).toBe(400)
  await call('PATCH', `/v1/${PARENT}/connections/${CONNECTION}?updateMask=authConfig`, { authConfig: { authType: 'USER_PASSWORD', userPassword: { username: sandbox.accountSid, password: { secretVersion: tokenLatest } } } })
  // Another team's account pointed at this secret.
  const stolen = await call('POST', `/v1/${PARENT}/connections?connectionId=other-team`, connectionBody(tokenLatest, proxyLatest, { serviceAccount: TEAM_B }))
  expect(stolen.body.response?.status?.state, JSON.stringify(stolen.body)).toBe('ERROR')
  await call('GET', `${messages('other-team')}?pageSize=1`)
  await call('GET', `${runtimePath('other-team')}:checkStatus`)
  // Twilio failing upstream.
  sandbox.control.faults.add([{ kind: 'status', status: 500, count: 2, when: 'before', pathContains: 'Messages' }])
  await call('GET', `${messages()}?pageSize=1`)
  sandbox.control.faults.clear()
  // Secret Manager down past the grace period.
  google.sm.unavailable = true
  clock += TTL + GRACE
  expect((await call('GET', `${messages()}?pageSize=1`)).status).toBe(503)
  google.sm.unavailable = false
  // Bad requests: an invalid body, a wrong caller token.
  await call('POST', `/v1/${PARENT}/connections?connectionId=broken`, { authConfig: { authType: 'USER_PASSWORD' } })
  await call('GET', `/v1/${PARENT}/connections`, undefined, `wrong-${randomBytes(8).toString('hex')}`)
  // Delete, and every operation the cycle left.
  await call('DELETE', `/v1/${PARENT}/connections/other-team`)
  const operations = await call('GET', `/v1/${PARENT}/operations?pageSize=100`)
  for (const operation of operations.body.operations ?? []) await call('GET', `/v1/${operation.name as string}`)

  // Everything the database holds (connections, statuses, operations, …).
  const pool = gateway.db!.database.pool
  const { rows: tables } = await pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
  for (const { table_name: table } of tables) {
    const { rows } = await pool.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${table}" t`)
    dump += `${table}\n${rows.map((row) => row.row).join('\n')}\n`
  }
}, 60_000)

afterAll(async () => {
  for (const spy of spies) spy.mockRestore()
  await gateway?.close()
  await database?.close()
  await sandbox?.close()
  await google?.close()
  proxy?.closeAllConnections()
  await new Promise<void>((resolve) => proxy ? proxy.close(() => resolve()) : resolve())
})

/** Every form a secret value could take in text. */
function forms (value: string): string[] {
  const users = [sandbox.accountSid, PROXY_USER]
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
    ...users.map((user) => Buffer.from(`${user}:${value}`).toString('base64')),
    // A partly masked or truncated value still leaks.
    value.slice(0, Math.ceil(value.length / 2))
  ]
}

function secrets (): Record<string, string> {
  return {
    'Twilio auth token': AUTH_TOKEN,
    'wrong token added during rotation': WRONG_TOKEN,
    'proxy password': PROXY_PASSWORD,
    'wrong proxy password': WRONG_PROXY_PASSWORD,
    'admin token': ADMIN_TOKEN,
    'gateway Google access token': google.gatewayToken,
    ...Object.fromEntries(google.iam.minted.map((item, index) => [`impersonated token ${index + 1} (${item.serviceAccount})`, item.token]))
  }
}

function leaks (texts: string[]): string[] {
  const found: string[] = []
  for (const [label, value] of Object.entries(secrets())) {
    for (const form of forms(value)) {
      const index = texts.findIndex((text) => text.includes(form))
      if (index >= 0) found.push(`${label} (as "${form}") in: ${texts[index]!.slice(0, 400)}`)
    }
  }
  return found
}

describe('a full create / use / rotate / fail cycle', () => {
  it('really exercised the secrets: Twilio and the proxy accepted them, and rejected the wrong ones', () => {
    expect(proxied.some((request) => request.authorized)).toBe(true)
    expect(proxied.some((request) => !request.authorized)).toBe(true)
    const statuses = sandbox.control.requests.list().map((request) => request.status)
    expect(statuses).toContain(200)
    expect(statuses).toContain(401)
    expect(google.iam.minted.some((item) => item.serviceAccount === TEAM_A)).toBe(true)
    expect(google.sm.accesses({ principal: TEAM_A, code: 'OK' }).length).toBeGreaterThan(0)
  })

  it('captured DEBUG logs, including the connection\'s Twilio request lines', () => {
    const records = logLines.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(records.some((record) => record.level === 20 && record.connection === `${PARENT}/connections/${CONNECTION}`)).toBe(true)
    expect(records.some((record) => record.level === 50 || record.level === 40)).toBe(true)
    expect(answers.length).toBeGreaterThan(25)
  })

  it('control: the search finds each secret in each form it could take', () => {
    for (const [label, value] of Object.entries(secrets())) {
      for (const form of forms(value)) expect(leaks([`prefix ${form} suffix`]).length, `${label}: ${form}`).toBeGreaterThan(0)
    }
  })

  it('no secret value in any log line', () => {
    expect(leaks(logLines)).toEqual([])
  })

  it('no secret value in anything written to the console, stdout or stderr', () => {
    expect(leaks(consoleOutput())).toEqual([])
  })

  it('no secret value in any API answer: bodies and headers', () => {
    expect(leaks(answers.map((answer) => `${answer.method} ${answer.url} → ${answer.status} ${JSON.stringify(answer.headers)} ${answer.body}`))).toEqual([])
  })

  it('no secret value in any error message or operation', () => {
    const errors = answers.filter((answer) => answer.status >= 400).map((answer) => answer.body)
    expect(errors.length).toBeGreaterThan(5)
    expect(leaks(errors)).toEqual([])
    const operations = answers.filter((answer) => answer.url.includes('/operations')).map((answer) => answer.body)
    expect(operations.length).toBeGreaterThan(1)
    expect(leaks(operations)).toEqual([])
  })

  it('no secret value stored in the database (connections, statuses, operations)', () => {
    expect(dump).toContain(CONNECTION)
    expect(leaks([dump])).toEqual([])
  })
})
