/**
 * Hardening limits (issue 4, item 8): request bodies are capped at 10 MB (413 beyond, streamed or not); page tokens
 * are signed and bound to their connection, entity type and conditions (a tampered, forged or foreign token is a
 * 400, and nothing goes upstream); entity ids and every other value bound for an upstream path are checked against
 * the entity's SID pattern before any upstream call; malformed JSON is a 400; list filters cannot make the gateway
 * fail (500) or spin (catastrophic backtracking) however they are written.
 */
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { Readable } from 'node:stream'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BODY_LIMIT_BYTES } from '../../src/app.js'
import { ENTITIES, type EntityDefinition } from '../../src/entities/catalog.js'
import { PageTokens } from '../../src/runtime/page-tokens.js'
import { connectionBody, tamperedToken } from '../api/v1/support.js'
import { ADMIN_TOKEN, rpcError, SANDBOX_PATH, startGateway, type Answer, type TestGateway } from '../helpers/gateway.js'

const OTHER = 'projects/acme/locations/us/connections/other'
const OTHER_PATH = `/v2/${OTHER}`
const MESSAGE = 'SM3ad97d41e786c02bca47c8ce1745053b'
const CALL = 'CAaa4a99c300bd9d1bcc0d1ae9dcd248c6'

let gateway: TestGateway

beforeAll(async () => {
  gateway = await startGateway({ sandbox: true, database: true })
  // A second connection to the very same Twilio account: only the binding of a page token tells them apart.
  const created = await gateway.call('POST', `/v1/projects/acme/locations/us/connections?connectionId=other`, connectionBody(gateway))
  expect(created.status, JSON.stringify(created.body)).toBe(200)
})
afterAll(async () => { await gateway?.close() })

async function send (method: InjectOptions['method'], url: string, payload?: InjectOptions['payload'], headers: Record<string, string> = {}): Promise<Answer> {
  const response = await gateway.app.inject({
    method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }, ...(payload === undefined ? {} : { payload })
  })
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, headers: response.headers }
}

/** Runs `work` and asserts the sandbox (our Twilio) received nothing meanwhile. */
async function withoutUpstream<T> (work: () => Promise<T>): Promise<T> {
  const log = gateway.sandbox!.control.requests
  log.clear()
  const result = await work()
  expect(log.list().map((request) => `${request.method} ${request.path}`)).toEqual([])
  return result
}

function expectInvalid (answer: Answer, field?: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(400)
  const error = rpcError(answer)
  expect(error.status).toBe('INVALID_ARGUMENT')
  if (field) {
    const violations = error.details.find((detail) => detail['@type'] === 'type.googleapis.com/google.rpc.BadRequest')?.fieldViolations as Array<{ field: string }>
    expect(violations?.map((violation) => violation.field), JSON.stringify(answer.body)).toContain(field)
  }
}

const messagesPath = (connectionPath = SANDBOX_PATH): string => `${connectionPath}/entityTypes/Messages/entities`

describe('request bodies are capped at 10 MB', () => {
  /** A JSON document of exactly `bytes` bytes: `{"fields":{"Body":"xxx…"}}`. */
  const jsonOf = (bytes: number, key = 'fields'): string => {
    const shell = JSON.stringify({ [key]: { Body: '' } })
    return shell.replace('""', `"${'x'.repeat(bytes - shell.length)}"`)
  }

  it.each([
    ['a v2 create', 'POST', messagesPath()],
    ['a v2 update', 'PATCH', `${messagesPath()}/${MESSAGE}`],
    ['a v1 create', 'POST', '/v1/projects/acme/locations/us/connections?connectionId=huge'],
    ['a v1 update', 'PATCH', `/v1/${OTHER}?updateMask=description`]
  ] as const)('%s one byte over the limit answers 413 (google.rpc.Status), and nothing goes upstream', async (_what, method, url) => {
    const body = jsonOf(BODY_LIMIT_BYTES + 1)
    expect(Buffer.byteLength(body)).toBe(BODY_LIMIT_BYTES + 1)
    const answer = await withoutUpstream(() => send(method, url, body, { 'content-type': 'application/json' }))
    expect(answer.status).toBe(413)
    expect(rpcError(answer).message).toMatch(/too large/)
  })

  it('a streamed body without Content-Length is cut off at the limit too', async () => {
    const chunks = Array.from({ length: 11 }, () => Buffer.alloc(1024 * 1024, 0x20))
    const answer = await withoutUpstream(() => send('POST', messagesPath(), Readable.from(chunks), { 'content-type': 'application/json' }))
    expect(answer.status).toBe(413)
    rpcError(answer)
  })

  it('a body at the limit is read (and judged on its content, not its size)', async () => {
    const answer = await withoutUpstream(() => send('POST', messagesPath(), jsonOf(BODY_LIMIT_BYTES, 'unknown'), { 'content-type': 'application/json' }))
    expectInvalid(answer)
  })

  it('the gateway still serves after oversized bodies', async () => {
    expect((await send('GET', `${messagesPath()}/${MESSAGE}`)).status).toBe(200)
  })
})

describe('page tokens are signed and bound', () => {
  async function firstToken (connectionPath = SANDBOX_PATH): Promise<string> {
    const answer = await send('GET', `${messagesPath(connectionPath)}?pageSize=2`)
    expect(answer.status).toBe(200)
    expect(answer.body.nextPageToken).not.toBe('')
    return answer.body.nextPageToken as string
  }
  const refused = async (url: string): Promise<void> => {
    expectInvalid(await withoutUpstream(() => send('GET', url)), 'pageToken')
  }
  const withToken = (token: string, query = 'pageSize=2', connectionPath = SANDBOX_PATH): string =>
    `${messagesPath(connectionPath)}?${query}&pageToken=${encodeURIComponent(token)}`

  it('a genuine token serves the next page (the control)', async () => {
    const answer = await send('GET', withToken(await firstToken()))
    expect(answer.status).toBe(200)
    expect(answer.body.entities).toHaveLength(2)
  })

  it('a tampered token is refused: payload edited, signature edited, cut, extended, re-encoded', async () => {
    const token = await firstToken()
    const [body = '', mac = ''] = token.split('.')
    const flip = (text: string): string => text.slice(0, 3) + (text[3] === 'A' ? 'B' : 'A') + text.slice(4)
    for (const bad of [
      tamperedToken(token), `${flip(body)}.${mac}`, `${body}.${flip(mac)}`, `${body}.`, body, `.${mac}`, `${token}.${mac}`,
      `${body}.${mac.slice(0, -4)}`, `${body}.${Buffer.from(mac, 'base64url').toString('hex')}`, '.', '..', 'not a token', '%00'
    ]) {
      await refused(withToken(bad))
    }
  })

  it('a token signed with another key (forged, pointing at another account) is refused', async () => {
    const forged = new PageTokens(randomBytes(32)).issue(
      { connection: SANDBOX_PATH.slice('/v2/'.length), entity: 'Messages', conditions: '' },
      '/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json?PageSize=2&Page=1')
    await refused(withToken(forged))
  })

  it('a token of another connection to the same account is refused', async () => {
    await refused(withToken(await firstToken(), 'pageSize=2', OTHER_PATH))
    await refused(withToken(await firstToken(OTHER_PATH)))
  })

  it('a token of another entity type is refused', async () => {
    const token = await firstToken()
    await refused(`${SANDBOX_PATH}/entityTypes/Calls/entities?pageSize=2&pageToken=${encodeURIComponent(token)}`)
  })

  it('a token used with other conditions is refused', async () => {
    await refused(withToken(await firstToken(), `pageSize=2&conditions=${encodeURIComponent(`Sid = '${MESSAGE}'`)}`))
  })

  it('v1 list tokens are bound to their location and filter; operation list tokens to their location', async () => {
    for (const id of ['page-a', 'page-b']) {
      expect((await gateway.call('POST', `/v1/projects/acme/locations/us/connections?connectionId=${id}`, connectionBody(gateway))).status).toBe(200)
    }
    const connections = await send('GET', '/v1/projects/acme/locations/us/connections?pageSize=1')
    const token = connections.body.nextPageToken as string
    expect(token).not.toBe('')
    expect((await send('GET', `/v1/projects/acme/locations/us/connections?pageSize=1&pageToken=${encodeURIComponent(token)}`)).status).toBe(200)
    await refused(`/v1/projects/acme/locations/us/connections?pageSize=1&filter=${encodeURIComponent('labels.env = "dev"')}&pageToken=${encodeURIComponent(token)}`)
    await refused(`/v1/projects/acme/locations/eu/connections?pageSize=1&pageToken=${encodeURIComponent(token)}`)
    await refused(`/v1/projects/acme/locations/us/connections?pageSize=1&pageToken=${encodeURIComponent(tamperedToken(token))}`)

    const operations = await send('GET', '/v1/projects/acme/locations/us/operations?pageSize=1')
    const next = operations.body.nextPageToken as string
    expect(next).not.toBe('')
    expect((await send('GET', `/v1/projects/acme/locations/us/operations?pageSize=1&pageToken=${encodeURIComponent(next)}`)).status).toBe(200)
    await refused(`/v1/projects/globex/locations/us/operations?pageSize=1&pageToken=${encodeURIComponent(next)}`)
    await refused(`/v1/projects/acme/locations/us/connections?pageSize=1&pageToken=${encodeURIComponent(next)}`)
    await refused(`/v1/projects/acme/locations/us/operations?pageSize=1&pageToken=${encodeURIComponent(tamperedToken(next))}`)
  })
})

describe('values bound for an upstream path are checked before any upstream call', () => {
  /** Ids a client could hope to walk Twilio's paths with, all percent-encoded into one path segment. */
  const hostileIds = (entity: EntityDefinition): string[] => {
    const prefix = /^\^\(?([A-Z]{2})/.exec(entity.idPattern.source)![1]!
    const valid = `${prefix}${'ab'.repeat(16)}`
    return [
      '..%2F..%2FAccounts.json', '..%2f..%2f..%2f2010-04-01%2FAccounts.json', '%2F', `${valid}%2F..%2F..`,
      `..%2F${valid}`, `${valid}%00`, `%00${valid}`, `${valid}.json`, `${valid}%3FPageSize%3D1000`, `${valid}%23x`, `${valid}%20`,
      `${valid}%5C..%5C..`, `${prefix}${'ab'.repeat(15)}%2F.`, `${valid.toLowerCase()}`, `${valid}0`, `${prefix}${'０'.repeat(32)}`,
      encodeURIComponent(`${prefix}${'é'.repeat(32)}`), `${prefix}${'a'.repeat(90)}`
    ]
  }
  const withId = [...ENTITIES.values()].filter((entity) => entity.operations.some((operation) => ['GET', 'UPDATE', 'DELETE'].includes(operation)))

  it.each(withId.map((entity) => [entity.name, entity] as const))('%s: hostile entity ids answer 400 INVALID_ARGUMENT naming entityId, and nothing goes upstream', async (_name, entity) => {
    const base = `${SANDBOX_PATH}/entityTypes/${entity.name}/entities`
    await withoutUpstream(async () => {
      for (const id of hostileIds(entity)) {
        for (const [operation, method] of [['GET', 'GET'], ['UPDATE', 'PATCH'], ['DELETE', 'DELETE']] as const) {
          if (!entity.operations.includes(operation)) continue
          const answer = await send(method, `${base}/${id}`, method === 'PATCH' ? { fields: {} } : undefined)
          expect([400, 404], `${method} ${id}: ${answer.status} ${JSON.stringify(answer.body)}`).toContain(answer.status)
          rpcError(answer)
          expectInvalid(answer, 'entityId')
        }
      }
    })
  })

  // Dot segments sent as they are: `inject` (like fetch and browsers) would resolve them before sending, so these
  // go over a real socket with node:http, which sends the path untouched (as curl --path-as-is or an attacker would).
  it('dot segments, raw or percent-encoded, never reach Twilio', async () => {
    const address = new URL(await gateway.app.listen({ host: '127.0.0.1', port: 0 }))
    // node:http sends options.path exactly as given.
    const rawGet = (path: string): Promise<Answer> => new Promise((resolve, reject) => {
      const options = { host: address.hostname, port: address.port, path, method: 'GET', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }
      const request = httpRequest(options, (response) => {
        let text = ''
        response.on('data', (chunk: Buffer) => { text += chunk.toString() })
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: response.headers }))
      })
      request.once('error', reject)
      request.end()
    })
    // The control: the path is not resolved on the way (resolved, this one would be a readable message).
    const control = await rawGet(`${messagesPath()}/${MESSAGE}/../${MESSAGE}`)
    expect(control.status).toBe(404)
    await withoutUpstream(async () => {
      for (const path of [
        `${messagesPath()}/..`, `${messagesPath()}/.`, `${messagesPath()}/%2e%2e`, `${messagesPath()}/.%2E`, `${messagesPath()}/%2E.`,
        `${messagesPath()}/../../../../Accounts.json`, `${messagesPath()}/${MESSAGE}/../${MESSAGE}`, `${messagesPath()}/${MESSAGE}/..`,
        `${messagesPath()}/${MESSAGE}/%2e%2e/${MESSAGE}`, `${SANDBOX_PATH}/entityTypes/../entityTypes/Messages/entities/${MESSAGE}`,
        `${SANDBOX_PATH}/entityTypes/Messages/entities/..%2F..%2F..%2FAccounts.json`
      ]) {
        const answer = await rawGet(path)
        expect([400, 404], `${path}: ${answer.status} ${JSON.stringify(answer.body)}`).toContain(answer.status)
        rpcError(answer)
      }
    })
  })

  // Fastify refuses these before routing (FST_ERR_MAX_PARAM_LENGTH, FST_ERR_BAD_URL); the answer must still be the
  // gateway's error format, like every other refusal.
  it.each([
    ['an over-long id (beyond Fastify\'s 100-character parameter limit)', `${messagesPath()}/SM${'a'.repeat(5000)}`],
    ['an over-long connection id', `/v2/projects/local/locations/local/connections/${'c'.repeat(101)}/entityTypes`],
    ['a broken percent-encoding in an id', `${messagesPath()}/SM%E0%A4%A`],
    ['a broken percent-encoding in a project', '/v1/projects/%zz/locations/us/connections']
  ])('%s answers a 4xx google.rpc.Status, and nothing goes upstream', async (_what, url) => {
    const answer = await withoutUpstream(() => send('GET', url))
    expect(answer.status).toBeGreaterThanOrEqual(400)
    expect(answer.status).toBeLessThan(500)
    rpcError(answer)
  })

  it('ids carried in the body for the upstream path (Feedback Sid, Recordings CallSid) are checked too', async () => {
    await withoutUpstream(async () => {
      for (const bad of ['../x', `${CALL}/../..`, `${CALL}%2F..`, `${CALL}\u0000`, '..', `CA${'0'.repeat(31)}/`]) {
        expectInvalid(await send('POST', `${SANDBOX_PATH}/entityTypes/Feedback/entities`, { fields: { Sid: bad, QualityScore: 5 } }), 'fields.Sid')
        expectInvalid(await send('POST', `${SANDBOX_PATH}/entityTypes/Recordings/entities`, { fields: { CallSid: bad } }), 'fields.CallSid')
      }
    })
  })

  it('list conditions that would become an upstream path are checked too', async () => {
    await withoutUpstream(async () => {
      for (const conditions of [`Sid = '../../Accounts'`, `Sid = '${MESSAGE}/..'`, `${MESSAGE}/../..`, `Sid = "${MESSAGE}%2F.."`, '..', `Sid = '${MESSAGE}\u0000'`]) {
        expectInvalid(await send('GET', `${messagesPath()}?conditions=${encodeURIComponent(conditions)}`), 'conditions')
      }
    })
  })

  // The condition parser's pattern ends in `\s*\)?\s*$`: trailing blanks before a stray character make it
  // quadratic. 16 000 blanks (`+` in a query string, within Node's 16 KB request head) must not cost the process
  // hundreds of milliseconds.
  it('a long condition is judged in linear time', async () => {
    const url = `${messagesPath()}?conditions=Sid%20%3D%20'${MESSAGE}'${'+'.repeat(16_000)}x`
    const started = performance.now()
    const answer = await withoutUpstream(() => send('GET', url))
    const took = performance.now() - started
    expectInvalid(answer, 'conditions')
    expect(took, `took ${Math.round(took)} ms`).toBeLessThan(100)
  })

  it('a well-formed id does go upstream (the control)', async () => {
    const log = gateway.sandbox!.control.requests
    log.clear()
    expect((await send('GET', `${messagesPath()}/${MESSAGE}`)).status).toBe(200)
    expect(log.list().map((request) => request.path)).toEqual([`/2010-04-01/Accounts/${gateway.sandbox!.accountSid}/Messages/${MESSAGE}.json`])
  })
})

describe('values the database cannot hold are refused, not a 500', () => {
  // PostgreSQL text and jsonb cannot hold U+0000: a NUL that reaches a query fails it ("invalid byte sequence for
  // encoding UTF8: 0x00"), which must not surface as 500 INTERNAL.
  it.each([
    ['a connection id', 'GET', '/v1/projects/acme/locations/us/connections/other%00'],
    ['a project (list)', 'GET', '/v1/projects/acme%00/locations/us/connections'],
    ['a location (create)', 'POST', '/v1/projects/acme/locations/us%00/connections?connectionId=nul'],
    ['an operation id', 'GET', '/v1/projects/acme/locations/us/operations/operation-1%00'],
    ['a location (operations list)', 'GET', '/v1/projects/acme/locations/%00/operations'],
    ['a connection (schema metadata)', 'GET', '/v1/projects/acme/locations/us/connections/other%00/connectionSchemaMetadata']
  ] as const)('a NUL in %s answers 400 or 404', async (_what, method, url) => {
    const answer = await send(method, url, method === 'POST' ? connectionBody(gateway) : undefined)
    expect([400, 404], JSON.stringify(answer.body)).toContain(answer.status)
    rpcError(answer)
  })

  it.each([
    ['description', { description: 'billing\u0000line' }],
    ['a label value', { labels: { env: 'dev\u0000' } }]
  ])('a NUL in a connection\'s %s answers 400 INVALID_ARGUMENT on create and update', async (_what, extra) => {
    const created = await send('POST', '/v1/projects/acme/locations/us/connections?connectionId=nul-field', connectionBody(gateway, extra))
    expectInvalid(created)
    const field = Object.keys(extra)[0]!
    const updated = await send('PATCH', `/v1/${OTHER}?updateMask=${field}`, extra)
    expectInvalid(updated)
  })
})

describe('malformed JSON is a 400', () => {
  const targets: Array<[string, InjectOptions['method'], string]> = [
    ['v2 create', 'POST', messagesPath()],
    ['v2 update', 'PATCH', `${messagesPath()}/${MESSAGE}`],
    ['v1 create', 'POST', '/v1/projects/acme/locations/us/connections?connectionId=malformed'],
    ['v1 update', 'PATCH', `/v1/${OTHER}?updateMask=description`]
  ]
  const malformed = [
    '{', '{"fields":', '{"fields": {"Body": "x"}', "{'fields': {}}", '{"fields": {},}', '{"fields": NaN}', '{"fields": undefined}',
    '[1, 2', '"unterminated', '{"a":1}{"b":2}', '\u0000', 'nul\u0000l', '{"fields": {"Body": "\\x41"}}',
    // Prototype poisoning is refused as invalid too.
    '{"__proto__": {"isAdmin": true}}', '{"fields": {"constructor": {"prototype": {"isAdmin": true}}}}'
  ]

  it.each(targets)('%s: every malformed document answers 400 INVALID_ARGUMENT, and nothing goes upstream', async (_what, method, url) => {
    await withoutUpstream(async () => {
      for (const text of malformed) {
        const answer = await send(method, url, text, { 'content-type': 'application/json' })
        expect(answer.status, `${JSON.stringify(text)}: ${JSON.stringify(answer.body)}`).toBe(400)
        expect(rpcError(answer).status).toBe('INVALID_ARGUMENT')
      }
    })
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
  })

  it.each(targets)('%s: a body that is not JSON at all is refused (400 or 415), never 5xx', async (_what, method, url) => {
    await withoutUpstream(async () => {
      for (const [contentType, text] of [['text/plain', 'hello'], ['application/x-www-form-urlencoded', 'To=%2B1&Body=x'], ['application/xml', '<a/>'], ['application/json', '\xff\xfe{']]) {
        const answer = await send(method, url, text, { 'content-type': contentType! })
        expect([400, 415], `${contentType}: ${answer.status} ${JSON.stringify(answer.body)}`).toContain(answer.status)
        rpcError(answer)
      }
    })
  })
})

describe('list filters cannot break or stall the gateway', () => {
  const LIST = '/v1/projects/acme/locations/us/connections'

  it.each([100, 1000, 3000, 10_000])('a filter nested %i parentheses deep answers 200 or 400, never 500', async (depth) => {
    const filter = `${'('.repeat(depth)}labels.env = "dev"${')'.repeat(depth)}`
    const answer = await send('GET', `${LIST}?filter=${encodeURIComponent(filter)}`)
    expect([200, 400], `${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`).toContain(answer.status)
    if (answer.status === 400) expect(rpcError(answer).details[0]?.fieldViolations?.[0]?.field).toBe('filter')
  })

  it.each([1000, 3000, 10_000])('%i negations deep answers 200 or 400, never 500', async (depth) => {
    const filter = `${'NOT ('.repeat(depth)}labels.env = "dev"${')'.repeat(depth)}`
    const answer = await send('GET', `${LIST}?filter=${encodeURIComponent(filter)}`)
    expect([200, 400], `${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`).toContain(answer.status)
  })

  // The gateway turns `*` in a filter value into a regular expression (`.*`): several of them against a long field
  // backtrack catastrophically. A description of 120 characters and four wildcards is enough to stall every
  // request of the process for seconds (longer ones: minutes); a linear-time wildcard match takes microseconds.
  it.each([
    ['has (:)', 'description:*a*a*a*a*b'],
    ['equals (=)', 'description = "*a*a*a*a*b"'],
    ['not equals (!=)', 'description != "*a*a*a*a*b"']
  ])('a wildcard filter (%s) is evaluated in linear time', async (_what, filter) => {
    const created = await gateway.call('POST', '/v1/projects/acme/locations/us/connections?connectionId=long-description',
      connectionBody(gateway, { description: 'a'.repeat(120) }))
    expect([200, 409]).toContain(created.status)
    const started = performance.now()
    const answer = await send('GET', `${LIST}?filter=${encodeURIComponent(filter)}`)
    const took = performance.now() - started
    expect(answer.status).toBe(200)
    expect(took, `the filter took ${Math.round(took)} ms`).toBeLessThan(250)
  })
})
