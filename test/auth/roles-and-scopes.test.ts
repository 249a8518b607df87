/**
 * Callers, roles and scopes (issue 4, item 6), through the gateway's HTTP surface: who is refused with 401
 * UNAUTHENTICATED, who with 403 PERMISSION_DENIED, and what a scoped token may reach — one tenant's invoker cannot
 * send anything through another tenant's connection (nothing reaches Twilio), a project-scoped admin manages its
 * own connections only, a connection-scoped admin cannot create a sibling, operations outside a caller's scopes do
 * not exist for it. Tokens are kept as SHA-256 digests only, and a running gateway honours a new or revoked token
 * within a second.
 */
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenStore, type Role } from '../../src/auth/tokens.js'
import { ENTITIES, type EntityDefinition } from '../../src/entities/catalog.js'
import { connectionBody } from '../api/v1/support.js'
import { ADMIN_TOKEN, rpcError, SANDBOX_PATH, startGateway, type Answer, type TestGateway } from '../helpers/gateway.js'

/** How long a running gateway may take to honour a token created or revoked in the database. */
const HONOURED_WITHIN_MS = 1000

const ACME_US = 'projects/acme/locations/us'
const ACME_EU = 'projects/acme/locations/eu'
const GLOBEX_US = 'projects/globex/locations/us'
const TEAM_A = `${ACME_US}/connections/team-a`
const TEAM_B = `${ACME_US}/connections/team-b`
const GLOBEX_MAIN = `${GLOBEX_US}/connections/main`
const SANDBOX_MESSAGE = 'SM3ad97d41e786c02bca47c8ce1745053b'
const OWNED_NUMBER = '+15005550006'
const CATALOGUE = '/v1/projects/globex/locations/global/providers/twilio/connectors/twilio/versions/1'

let gateway: TestGateway
let tokens: TokenStore
/** Every token this file created, to look for in the database. */
const minted: string[] = []

async function callAs (token: string | undefined, method: InjectOptions['method'], url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await gateway.app.inject({
    method,
    url,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
    ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] })
  })
  const text = response.body
  return { status: response.statusCode, body: text ? JSON.parse(text) : undefined, headers: response.headers }
}

/** Polls `probe` every 20 ms; answers how long it took to hold, or fails once `withinMs` has passed. */
async function eventually (what: string, probe: () => Promise<boolean>, withinMs = HONOURED_WITHIN_MS): Promise<number> {
  const started = Date.now()
  for (;;) {
    if (await probe()) return Date.now() - started
    if (Date.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`)
    await sleep(20)
  }
}

/** A probe that needs a valid token and nothing else: any answer but 401 means the gateway knows the token. */
const knows = async (token: string): Promise<boolean> =>
  (await callAs(token, 'GET', '/v2/projects/probe/locations/probe/connections/probe:checkReadiness')).status !== 401

/** Creates a token in the database and waits (at most a second) until the running gateway honours it. */
async function mint (role: Role, scopes: string[] = []): Promise<string> {
  const { token } = await tokens.create(role, scopes, `test ${role} ${scopes.join(' ')}`)
  minted.push(token)
  await eventually(`the gateway honours a new ${role} token`, () => knows(token))
  return token
}

function expectDenied (answer: Answer, mentioning: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(403)
  const error = rpcError(answer)
  expect(error.status).toBe('PERMISSION_DENIED')
  expect(error.message).toContain(mentioning)
}

function expectUnauthenticated (answer: Answer): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(401)
  expect(answer.headers['www-authenticate']).toMatch(/^Bearer\b/)
  expect(rpcError(answer).status).toBe('UNAUTHENTICATED')
}

/** Neither 401 nor 403: the token was let through (what follows — 200, 400, 404 — is the route's own answer). */
function expectLetThrough (answer: Answer, what: string): void {
  expect([401, 403], `${what}: ${answer.status} ${JSON.stringify(answer.body)}`).not.toContain(answer.status)
  if (answer.status >= 400) expect(rpcError(answer).status).not.toMatch(/^(PERMISSION_DENIED|UNAUTHENTICATED)$/)
}

const v1Connection = (name: string): string => `/v1/${name}`
const v1Connections = (parent: string, query = ''): string => `/v1/${parent}/connections${query}`
const v2 = (connection: string): string => `/v2/${connection}`
const messages = (connection: string, query = '?pageSize=2'): string => `${v2(connection)}/entityTypes/Messages/entities${query}`
const newMessage = { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'scoped hello' } }

/** A well-formed id of the entity that no record has (its SID prefix and 32 zeros). */
function unknownId (entity: EntityDefinition): string {
  const prefix = /^\^\(?([A-Z]{2})/.exec(entity.idPattern.source)?.[1]
  if (!prefix) throw new Error(`no SID prefix in ${entity.idPattern.source}`)
  return `${prefix}${'0'.repeat(32)}`
}

/** Every v2 runtime request of a connection: schema, status checks and every operation of every entity. */
function runtimeRequests (connection: string): Array<{ what: string, method: InjectOptions['method'], url: string, body?: unknown }> {
  const base = v2(connection)
  const requests: Array<{ what: string, method: InjectOptions['method'], url: string, body?: unknown }> = [
    { what: 'listEntityTypes', method: 'GET', url: `${base}/entityTypes` },
    { what: 'getEntityType', method: 'GET', url: `${base}/entityTypes/Messages` },
    { what: 'checkStatus', method: 'GET', url: `${base}:checkStatus` },
    { what: 'checkReadiness', method: 'GET', url: `${base}:checkReadiness` }
  ]
  for (const entity of ENTITIES.values()) {
    const path = `${base}/entityTypes/${entity.name}/entities`
    const id = unknownId(entity)
    for (const operation of entity.operations) {
      const what = `${operation} ${entity.name}`
      if (operation === 'LIST') requests.push({ what, method: 'GET', url: `${path}?pageSize=1` })
      if (operation === 'GET') requests.push({ what, method: 'GET', url: `${path}/${id}` })
      // An empty payload: refused by validation (400), after the token was let through.
      if (operation === 'CREATE') requests.push({ what, method: 'POST', url: path, body: { fields: {} } })
      if (operation === 'UPDATE') requests.push({ what, method: 'PATCH', url: `${path}/${id}`, body: { fields: {} } })
      if (operation === 'DELETE') requests.push({ what, method: 'DELETE', url: `${path}/${id}` })
    }
  }
  return requests
}

/** Every v1 route of the OpenAPI document, with its parameters filled in (catalogue routes in `global`). */
async function v1Requests (): Promise<Array<{ what: string, method: InjectOptions['method'], url: string, body?: unknown }>> {
  const document = (await gateway.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> }
  const values: Record<string, string> = {
    // A connection that does not exist: an admin's DELETE of it changes nothing.
    project: 'acme', connection: 'absent', operation: 'operation-1', provider: 'twilio', connector: 'twilio', version: '1'
  }
  const requests: Array<{ what: string, method: InjectOptions['method'], url: string, body?: unknown }> = []
  for (const [template, operations] of Object.entries(document.paths)) {
    if (!template.startsWith('/v1/')) continue
    const location = template.includes('/providers') ? 'global' : 'us'
    const url = template.replace(/\{(\w+)\}/g, (_, name: string) => name === 'location' ? location : values[name] ?? 'x')
    for (const method of Object.keys(operations)) {
      const upper = method.toUpperCase() as InjectOptions['method']
      requests.push({ what: `${method.toUpperCase()} ${template}`, method: upper, url, ...(['POST', 'PATCH'].includes(upper as string) ? { body: {} } : {}) })
    }
  }
  return requests
}

let admin: string
let invoker: string
let acmeInvoker: string
let acmeAdmin: string
let teamAAdmin: string

beforeAll(async () => {
  gateway = await startGateway({ sandbox: true, database: true })
  tokens = new TokenStore(gateway.db!.database.pool)
  for (const [parent, id] of [[ACME_US, 'team-a'], [ACME_US, 'team-b'], [GLOBEX_US, 'main']] as const) {
    const answer = await gateway.call('POST', v1Connections(parent, `?connectionId=${id}`), connectionBody(gateway))
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  }
  admin = await mint('admin')
  invoker = await mint('invoker')
  acmeInvoker = await mint('invoker', ['projects/acme/locations/*/connections/*'])
  acmeAdmin = await mint('admin', ['projects/acme'])
  teamAAdmin = await mint('admin', [`${ACME_EU}/connections/team-a`])
})
afterAll(async () => { await gateway?.close() })

describe('401 UNAUTHENTICATED without a valid token', () => {
  const routes: Array<[string, InjectOptions['method'], string]> = [
    ['a v1 list', 'GET', v1Connections(ACME_US)],
    ['a v1 get', 'GET', v1Connection(TEAM_A)],
    ['a v1 create', 'POST', v1Connections(ACME_US, '?connectionId=nobody')],
    ['the catalogue', 'GET', CATALOGUE],
    ['a v2 list', 'GET', messages(TEAM_A)],
    ['a v2 create', 'POST', messages(TEAM_A, '')],
    [':checkStatus', 'GET', `${v2(TEAM_A)}:checkStatus`],
    ['an unknown path', 'GET', '/v3/nothing/here']
  ]

  it.each(routes)('%s: no Authorization header', async (_what, method, url) => {
    expectUnauthenticated(await callAs(undefined, method, url, method === 'POST' ? newMessage : undefined))
  })

  it.each(routes)('%s: a token the gateway never issued (well-formed gw_ token)', async (_what, method, url) => {
    const forged = `gw_${Buffer.alloc(32, 7).toString('base64url')}`
    expectUnauthenticated(await callAs(forged, method, url, method === 'POST' ? newMessage : undefined))
  })

  it.each([
    ['a Basic header with the admin token', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`],
    ['the admin token without a scheme', ADMIN_TOKEN],
    ['a bearer token with a space inside', `Bearer ${ADMIN_TOKEN.slice(0, 10)} ${ADMIN_TOKEN.slice(10)}`],
    ['two bearer tokens', `Bearer ${ADMIN_TOKEN}, Bearer ${ADMIN_TOKEN}`],
    ['a prefix of the admin token', `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
    ['the admin token and more', `Bearer ${ADMIN_TOKEN}0`]
  ])('refuses %s', async (_what, authorization) => {
    expectUnauthenticated(await callAs(undefined, 'GET', v1Connections(ACME_US), undefined, { authorization }))
  })

  it('a revoked token (by token or by id) stops working within a second, on v1 and v2 alike', async () => {
    for (const by of ['token', 'id'] as const) {
      const { token, record } = await tokens.create('admin', [], `revoked by ${by}`)
      minted.push(token)
      await eventually('the new token works', () => knows(token))
      expect((await callAs(token, 'GET', v1Connections(ACME_US))).status).toBe(200)

      const revoked = await tokens.revoke(by === 'token' ? token : record.id)
      expect(revoked).toMatchObject({ id: record.id, revoked: true })
      const took = await eventually(`the token revoked by ${by} is refused`, async () => (await callAs(token, 'GET', messages(TEAM_A))).status === 401)
      expect(took).toBeLessThanOrEqual(HONOURED_WITHIN_MS + 100)
      expectUnauthenticated(await callAs(token, 'GET', v1Connections(ACME_US)))
      expectUnauthenticated(await callAs(token, 'GET', messages(TEAM_A)))
    }
  })
})

describe('GATEWAY_ADMIN_TOKEN and an unscoped admin token reach everything', () => {
  it.each([
    ['GATEWAY_ADMIN_TOKEN', () => ADMIN_TOKEN],
    ['a stored admin token', () => admin]
  ])('%s: v1 of every project, the catalogue and the v2 runtime', async (_what, token) => {
    for (const url of [v1Connections(ACME_US), v1Connections(GLOBEX_US), v1Connection(GLOBEX_MAIN), `/v1/${GLOBEX_US}/operations`, CATALOGUE]) {
      const answer = await callAs(token(), 'GET', url)
      expect(answer.status, `${url}: ${JSON.stringify(answer.body)}`).toBe(200)
    }
    for (const connection of [TEAM_A, GLOBEX_MAIN]) {
      expect((await callAs(token(), 'GET', messages(connection))).status).toBe(200)
      expect((await callAs(token(), 'GET', `${v2(connection)}:checkStatus`)).body).toMatchObject({ state: 'ACTIVE' })
    }
    for (const answer of await Promise.all((await v1Requests()).map((request) => callAs(token(), request.method, request.url, request.body)))) {
      expectLetThrough(answer, 'a v1 route')
    }
  })

  it('a stored admin token creates, updates and deletes connections anywhere', async () => {
    const name = `${GLOBEX_US}/connections/by-stored-admin`
    expect((await callAs(admin, 'POST', v1Connections(GLOBEX_US, '?connectionId=by-stored-admin'), connectionBody(gateway))).status).toBe(200)
    expect((await callAs(admin, 'PATCH', `${v1Connection(name)}?updateMask=description`, { description: 'changed' })).status).toBe(200)
    expect((await callAs(admin, 'GET', v1Connection(name))).body).toMatchObject({ name, description: 'changed' })
    expect((await callAs(admin, 'DELETE', v1Connection(name))).status).toBe(200)
    expect((await callAs(admin, 'GET', v1Connection(name))).status).toBe(404)
  })
})

describe('an invoker token: the v2 runtime only', () => {
  it('every v1 route (and its HEAD) answers 403 PERMISSION_DENIED naming the role', async () => {
    const requests = await v1Requests()
    expect(requests.length).toBeGreaterThanOrEqual(15)
    for (const request of requests) {
      const answer = await callAs(invoker, request.method, request.url, request.body)
      expectDenied(answer, 'invoker')
      expect(rpcError(answer).message).toMatch(/needs an admin token/)
      if (request.method === 'GET') expect((await callAs(invoker, 'HEAD', request.url)).status).toBe(403)
    }
  })

  it('a project-scoped invoker is refused v1 in its own project too (the role, not the scope)', async () => {
    expectDenied(await callAs(acmeInvoker, 'GET', v1Connections(ACME_US)), 'invoker')
    expectDenied(await callAs(acmeInvoker, 'POST', v1Connections(ACME_US, '?connectionId=team-z'), connectionBody(gateway)), 'invoker')
    expectDenied(await callAs(acmeInvoker, 'GET', CATALOGUE), 'invoker')
  })

  it('reaches every runtime route: entity types, :checkStatus, :checkReadiness and every operation of every entity', async () => {
    const requests = runtimeRequests(TEAM_A)
    // Seven entities, each with its operations, and the four connection-level calls.
    expect(requests.length).toBe(4 + [...ENTITIES.values()].reduce((sum, entity) => sum + entity.operations.length, 0))
    for (const request of requests) {
      expectLetThrough(await callAs(invoker, request.method, request.url, request.body), `${request.what} as an invoker`)
    }
  })

  it('answers reads exactly as the admin token does, and really writes', async () => {
    for (const url of [
      `${v2(TEAM_A)}/entityTypes`, `${v2(TEAM_A)}/entityTypes/Calls`, `${v2(TEAM_A)}:checkStatus`, `${v2(TEAM_A)}:checkReadiness`,
      messages(TEAM_A), `${SANDBOX_PATH}/entityTypes/Messages/entities/${SANDBOX_MESSAGE}`
    ]) {
      const [asInvoker, asAdmin] = [await callAs(invoker, 'GET', url), await callAs(ADMIN_TOKEN, 'GET', url)]
      expect(asInvoker.status, url).toBe(200)
      expect(asInvoker.body, url).toEqual(asAdmin.body)
    }
    expect((await callAs(invoker, 'HEAD', `${v2(TEAM_A)}/entityTypes`)).status).toBe(200)
    const created = await callAs(invoker, 'POST', messages(TEAM_A, ''), newMessage)
    expect(created.status, JSON.stringify(created.body)).toBe(200)
    expect(created.body.fields).toMatchObject({ Body: 'scoped hello', To: '+14155550100' })
  })
})

describe('scopes: one tenant\'s invoker and another tenant\'s connection', () => {
  it('an invoker scoped to projects/acme/locations/*/connections/* reads and sends through acme\'s connections', async () => {
    for (const connection of [TEAM_A, TEAM_B]) {
      expect((await callAs(acmeInvoker, 'GET', messages(connection))).status).toBe(200)
      const sent = await callAs(acmeInvoker, 'POST', messages(connection, ''), newMessage)
      expect(sent.status, JSON.stringify(sent.body)).toBe(200)
    }
    for (const request of runtimeRequests(TEAM_A)) {
      expectLetThrough(await callAs(acmeInvoker, request.method, request.url, request.body), `${request.what} on acme`)
    }
  })

  it('gets 403 on every runtime route of globex\'s connection, and nothing reaches Twilio', async () => {
    const control = gateway.sandbox!.control
    control.requests.clear()
    for (const request of runtimeRequests(GLOBEX_MAIN)) {
      expectDenied(await callAs(acmeInvoker, request.method, request.url, request.body), GLOBEX_MAIN)
    }
    const intrusion = { fields: { ...newMessage.fields, Body: 'acme through globex: never sent' } }
    expectDenied(await callAs(acmeInvoker, 'POST', messages(GLOBEX_MAIN, ''), intrusion), GLOBEX_MAIN)
    expectDenied(await callAs(acmeInvoker, 'GET', `${SANDBOX_PATH}/entityTypes/Messages/entities/${SANDBOX_MESSAGE}`), 'projects/local')
    expect(control.requests.list()).toEqual([])
    // The (simulated) Twilio account holds no such message.
    const account = control.store.account(gateway.sandbox!.accountSid)!
    expect(account.messages.values().filter((message) => message.body === intrusion.fields.Body)).toEqual([])
  })

  it('learns nothing of globex: an existing and a missing connection answer the same 403', async () => {
    const existing = await callAs(acmeInvoker, 'GET', `${v2(GLOBEX_MAIN)}/entityTypes`)
    const missing = await callAs(acmeInvoker, 'GET', `${v2(`${GLOBEX_US}/connections/nothing`)}/entityTypes`)
    expect(existing.status).toBe(403)
    expect(missing.status).toBe(403)
    expect(rpcError(missing).message.replace('nothing', 'main')).toBe(rpcError(existing).message)
  })

  it('`*` matches one name segment only: a scope on connections does not cover a longer name', async () => {
    const narrow = await mint('invoker', [`${ACME_US}/connections/team-a`])
    expect((await callAs(narrow, 'GET', messages(TEAM_A))).status).toBe(200)
    expectDenied(await callAs(narrow, 'GET', messages(TEAM_B)), TEAM_B)
    expectDenied(await callAs(narrow, 'GET', messages(`${ACME_EU}/connections/team-a`)), `${ACME_EU}/connections/team-a`)
  })
})

describe('scopes: an admin scoped to projects/acme', () => {
  it('creates, lists, gets, updates and deletes acme\'s connections, and uses them', async () => {
    const name = `${ACME_US}/connections/team-c`
    const created = await callAs(acmeAdmin, 'POST', v1Connections(ACME_US, '?connectionId=team-c'), connectionBody(gateway))
    expect(created.status, JSON.stringify(created.body)).toBe(200)
    expect(created.body.response.name).toBe(name)
    const listed = await callAs(acmeAdmin, 'GET', v1Connections(ACME_US))
    expect(listed.status).toBe(200)
    expect(listed.body.connections.map((connection: { name: string }) => connection.name).sort()).toEqual([TEAM_A, TEAM_B, name])
    expect((await callAs(acmeAdmin, 'GET', v1Connection(name))).body).toMatchObject({ name })
    expect((await callAs(acmeAdmin, 'PATCH', `${v1Connection(name)}?updateMask=description`, { description: 'acme owns it' })).status).toBe(200)
    expect((await callAs(acmeAdmin, 'GET', v1Connection(name))).body.description).toBe('acme owns it')
    expect((await callAs(acmeAdmin, 'GET', messages(name))).status).toBe(200)
    expect((await callAs(acmeAdmin, 'GET', `/v1/${created.body.name as string}`)).status).toBe(200)
    expect((await callAs(acmeAdmin, 'DELETE', v1Connection(name))).status).toBe(200)
    expect((await callAs(acmeAdmin, 'GET', v1Connection(name))).status).toBe(404)
  })

  it('cannot create, list, read, change or delete globex\'s connections (403), and globex is left as it was', async () => {
    const before = (await gateway.call('GET', v1Connections(GLOBEX_US))).body
    expectDenied(await callAs(acmeAdmin, 'POST', v1Connections(GLOBEX_US, '?connectionId=intruder'), connectionBody(gateway)), GLOBEX_US)
    expectDenied(await callAs(acmeAdmin, 'GET', v1Connections(GLOBEX_US)), GLOBEX_US)
    expectDenied(await callAs(acmeAdmin, 'GET', v1Connection(GLOBEX_MAIN)), GLOBEX_MAIN)
    expectDenied(await callAs(acmeAdmin, 'PATCH', `${v1Connection(GLOBEX_MAIN)}?updateMask=description`, { description: 'mine' }), GLOBEX_MAIN)
    expectDenied(await callAs(acmeAdmin, 'DELETE', v1Connection(GLOBEX_MAIN)), GLOBEX_MAIN)
    expectDenied(await callAs(acmeAdmin, 'GET', `${v1Connection(GLOBEX_MAIN)}/connectionSchemaMetadata`), GLOBEX_MAIN)
    expectDenied(await callAs(acmeAdmin, 'GET', messages(GLOBEX_MAIN)), GLOBEX_MAIN)
    expect((await gateway.call('GET', v1Connections(GLOBEX_US))).body).toEqual(before)
  })

  it('cannot read, list, cancel or delete globex\'s operations: the same answer whether they exist or not', async () => {
    const operations = (await gateway.call('GET', `/v1/${GLOBEX_US}/operations`)).body.operations as Array<{ name: string }>
    expect(operations.length).toBeGreaterThan(0)
    const existing = operations[0]!.name
    const missing = `${GLOBEX_US}/operations/operation-0000000000000-0`
    for (const [method, suffix] of [['GET', ''], ['POST', ':cancel'], ['DELETE', '']] as const) {
      const one = await callAs(acmeAdmin, method, `/v1/${existing}${suffix}`)
      const other = await callAs(acmeAdmin, method, `/v1/${missing}${suffix}`)
      expectDenied(one, GLOBEX_US)
      expect({ status: other.status, body: other.body }).toEqual({ status: one.status, body: one.body })
    }
    expectDenied(await callAs(acmeAdmin, 'GET', `/v1/${GLOBEX_US}/operations`), GLOBEX_US)
    // The operation is still there for those who may see it.
    expect((await gateway.call('GET', `/v1/${existing}`)).status).toBe(200)
  })

  it('reads the catalogue, which belongs to no project', async () => {
    for (const token of [acmeAdmin, teamAAdmin, admin]) {
      const answer = await callAs(token, 'GET', CATALOGUE)
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      expect(answer.body.name).toBe('projects/globex/locations/global/providers/twilio/connectors/twilio/versions/1')
      expect((await callAs(token, 'GET', '/v1/projects/initech/locations/global/providers')).status).toBe(200)
    }
  })
})

describe('scopes: an admin scoped to one connection (projects/acme/locations/eu/connections/team-a)', () => {
  let siblingOperation: string

  beforeAll(async () => {
    const created = await gateway.call('POST', v1Connections(ACME_EU, '?connectionId=team-b'), connectionBody(gateway))
    expect(created.status).toBe(200)
    siblingOperation = created.body.name
  })

  it('creates its own connection, but not team-b in the same location', async () => {
    const own = await callAs(teamAAdmin, 'POST', v1Connections(ACME_EU, '?connectionId=team-a'), connectionBody(gateway))
    expect(own.status, JSON.stringify(own.body)).toBe(200)
    expectDenied(await callAs(teamAAdmin, 'POST', v1Connections(ACME_EU, '?connectionId=team-c'), connectionBody(gateway)), `${ACME_EU}/connections/team-c`)
    expectDenied(await callAs(teamAAdmin, 'POST', v1Connections(ACME_EU), connectionBody(gateway)), ACME_EU)
    expectDenied(await callAs(teamAAdmin, 'GET', v1Connection(`${ACME_EU}/connections/team-b`)), `${ACME_EU}/connections/team-b`)
    expectDenied(await callAs(teamAAdmin, 'DELETE', v1Connection(`${ACME_EU}/connections/team-b`)), `${ACME_EU}/connections/team-b`)
  })

  it('lists only its own connection in a location holding both', async () => {
    const all = (await gateway.call('GET', v1Connections(ACME_EU))).body.connections.map((connection: { name: string }) => connection.name)
    expect(all.sort()).toEqual([`${ACME_EU}/connections/team-a`, `${ACME_EU}/connections/team-b`])
    const listed = await callAs(teamAAdmin, 'GET', v1Connections(ACME_EU))
    expect(listed.status).toBe(200)
    expect(listed.body.connections.map((connection: { name: string }) => connection.name)).toEqual([`${ACME_EU}/connections/team-a`])
    expect(listed.body.nextPageToken).toBe('')
  })

  it('does not see team-b\'s operations: 404 as if absent, and they are missing from its list', async () => {
    const missing = await callAs(teamAAdmin, 'GET', `/v1/${ACME_EU}/operations/operation-0000000000000-0`)
    const sibling = await callAs(teamAAdmin, 'GET', `/v1/${siblingOperation}`)
    expect(sibling.status).toBe(404)
    expect(rpcError(sibling).status).toBe('NOT_FOUND')
    expect(rpcError(sibling).message.replace(siblingOperation, 'X')).toBe(rpcError(missing).message.replace(`${ACME_EU}/operations/operation-0000000000000-0`, 'X'))
    expect((await callAs(teamAAdmin, 'POST', `/v1/${siblingOperation}:cancel`)).status).toBe(404)
    expect((await callAs(teamAAdmin, 'DELETE', `/v1/${siblingOperation}`)).status).toBe(404)
    expect((await gateway.call('GET', `/v1/${siblingOperation}`)).status).toBe(200)

    const listed = await callAs(teamAAdmin, 'GET', `/v1/${ACME_EU}/operations`)
    expect(listed.status).toBe(200)
    const targets = listed.body.operations.map((operation: { metadata: { target: string } }) => operation.metadata.target)
    expect(targets.length).toBeGreaterThan(0)
    expect(new Set(targets)).toEqual(new Set([`${ACME_EU}/connections/team-a`]))
  })

  it('pages through its own operations past newer ones it cannot see: each exactly once', async () => {
    const teamB = v1Connection(`${ACME_EU}/connections/team-b`)
    for (let i = 0; i < 3; i++) expect((await gateway.call('PATCH', `${teamB}?updateMask=description`, { description: `b ${i}` })).status).toBe(200)
    const all = (await gateway.call('GET', `/v1/${ACME_EU}/operations?pageSize=1000`)).body.operations as Array<{ name: string, metadata: { target: string } }>
    const own = all.filter((operation) => operation.metadata.target === `${ACME_EU}/connections/team-a`).map((operation) => operation.name)
    expect(own.length).toBeGreaterThan(0)
    expect(all[0]!.metadata.target).toBe(`${ACME_EU}/connections/team-b`)
    const seen: string[] = []
    let token = ''
    for (let page = 0; page < 50; page++) {
      const answer = await callAs(teamAAdmin, 'GET', `/v1/${ACME_EU}/operations?pageSize=1${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`)
      expect(answer.status).toBe(200)
      seen.push(...answer.body.operations.map((operation: { name: string }) => operation.name))
      token = answer.body.nextPageToken
      if (!token) break
    }
    expect(seen).toEqual(own)
  })

  // A `%2F` in a path segment arrives decoded as `/`: the token's scope must not be stretched by a name with more
  // segments than the grammar allows (`projects/{p}/locations/{l}/connections/{c}`).
  it.each([
    ['the project', `/v1/projects/acme%2Flocations%2Feu%2Fconnections%2Fteam-a/locations/l/connections?connectionId=smuggled`],
    ['the location', `/v1/projects/acme/locations/eu%2Fconnections%2Fteam-a%2Fx/connections?connectionId=smuggled`]
  ])('cannot create a further connection by smuggling "/" into %s', async (_where, url) => {
    const answer = await callAs(teamAAdmin, 'POST', url, connectionBody(gateway))
    expect([400, 403, 404], JSON.stringify(answer.body)).toContain(answer.status)
    rpcError(answer)
    const all = (await gateway.call('GET', v1Connections(ACME_EU))).body.connections.map((connection: { name: string }) => connection.name)
    expect(all.sort()).toEqual([`${ACME_EU}/connections/team-a`, `${ACME_EU}/connections/team-b`])
  })
})

describe('public routes', () => {
  it.each(['/healthz', '/readyz', '/openapi.json', '/docs'])('%s needs no token, and a bad one does not spoil it', async (url) => {
    for (const headers of [{}, { authorization: 'Bearer gw_not-a-token' }, { authorization: 'garbage' }]) {
      const response = await gateway.app.inject({ method: 'GET', url, headers })
      expect(response.statusCode, url).toBeLessThan(400)
    }
  })
})

describe('token storage', () => {
  it('tokens are 256 random bits, gw_-prefixed, and all different', () => {
    expect(minted.length).toBeGreaterThanOrEqual(5)
    for (const token of minted) {
      expect(token).toMatch(/^gw_[A-Za-z0-9_-]{43}$/)
      expect(Buffer.from(token.slice(3), 'base64url')).toHaveLength(32)
    }
    expect(new Set(minted).size).toBe(minted.length)
  })

  it('the database holds their SHA-256 digests only: no table contains a token or its random part', async () => {
    const pool = gateway.db!.database.pool
    const { rows } = await pool.query<{ id: string, digest: string }>('SELECT id, digest FROM caller_tokens')
    for (const token of minted) {
      const digest = createHash('sha256').update(token).digest('hex')
      const row = rows.find((candidate) => candidate.digest === digest)
      expect(row, 'a row holds the token\'s digest').toBeDefined()
      expect(row!.id).toBe(`tok_${digest.slice(0, 16)}`)
    }
    const tables = (await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")).rows.map((row) => row.table_name)
    expect(tables).toContain('caller_tokens')
    let dump = ''
    for (const table of tables) {
      const content = await pool.query(`SELECT * FROM "${table.replace(/"/g, '""')}"`)
      dump += JSON.stringify(content.rows)
    }
    for (const token of minted) {
      expect(dump).not.toContain(token)
      expect(dump).not.toContain(token.slice(3))
      expect(dump).not.toContain(Buffer.from(token.slice(3), 'base64url').toString('hex'))
    }
  })

  it('list() answers ids, roles and scopes, never a token or a digest', async () => {
    const listed = JSON.stringify(await tokens.list())
    for (const token of minted) {
      expect(listed).not.toContain(token.slice(3))
      expect(listed).not.toContain(createHash('sha256').update(token).digest('hex'))
    }
    expect(listed).toContain('projects/acme/locations/*/connections/*')
  })
})
