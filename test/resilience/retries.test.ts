/**
 * The upstream retry rules, operation by operation, as a caller and Twilio (the sandbox) see them: what is tried
 * again (reads and deletes after 5xx and resets; every operation after a 429, never sooner than its Retry-After;
 * every operation when nothing was sent), what never is (a create or update that may have reached Twilio), when
 * retrying stops (attempts used up, the call's deadline) and what the caller is answered then. Backoffs are
 * shortened to a few milliseconds unless a test is about them. test/api/v2/upstream-errors.test.ts covers the error
 * mapping once the retries are spent; this file counts the requests that reach Twilio.
 */
import type { IncomingMessage } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { GatewayMetrics } from '../../src/metrics.js'
import { buildSandbox, sandboxControl, SANDBOX_ACCOUNT_SID, type Fault, type FaultSpec, type LoggedRequest } from '../../src/sandbox/app.js'
import { detail, startGateway, type Answer, type TestGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/process.js'
import { TEST_AUTH_TOKEN } from '../helpers/sandbox.js'
import { eventually } from '../store/backends.js'
import {
  GOOGLE, OWNED_NUMBER, accountPath, connection, connectionAt, entityPath, expectEntity, expectRpcError, startWorld, type World
} from '../api/v2/support.js'

const SMS = { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'retry test' }
/** Attempts in all (the retry policy's default). */
const MAX_ATTEMPTS = 4
/** Timers may fire a little early by the clocks compared here; Retry-After is whole seconds, so this is ample. */
const TIMER_SLACK_MS = 50

let world: World
/** When each upstream request reached the sandbox (performance.now()), whatever the sandbox's own clock says. */
const arrivals: Array<{ method: string, path: string, at: number }> = []
/** Seeded messages Twilio lets the gateway delete (delivered), used up one per delete test. */
let deletable: string[] = []

beforeAll(async () => {
  world = await startWorld({
    sandbox: { seed: { calls: 10, messages: 30 } },
    gateway: { config: { retry: { baseDelayMs: 1, maxDelayMs: 5 } } }
  })
  world.sandbox.app.server.on('request', (request: IncomingMessage) => {
    const path = (request.url ?? '').split('?')[0]!
    if (!path.startsWith('/__sandbox/')) arrivals.push({ method: request.method ?? '', path, at: performance.now() })
  })
  const listed = await world.call('GET', `${entityPath('Messages')}?pageSize=100`)
  expect(listed.status).toBe(200)
  deletable = (listed.body.entities as Array<{ fields: { Sid: string, Status: string } }>)
    .filter((entity) => ['delivered', 'received', 'undelivered', 'failed'].includes(entity.fields.Status) && entity.fields.Sid !== GOOGLE.message)
    .map((entity) => entity.fields.Sid)
  expect(deletable.length).toBeGreaterThanOrEqual(6)
})
afterAll(async () => {
  await world.close()
})
beforeEach(() => {
  world.sandbox.control.faults.clear()
  world.clearUpstream()
  arrivals.length = 0
})

const inject = (...faults: FaultSpec[]): void => {
  world.sandbox.control.faults.add(faults.map((fault) => ({ count: 1, when: 'before', ...fault }) as Fault))
}
/** The upstream requests since the test began, as [method, path relative to the account, status]. */
const upstream = (): Array<[string, string, number | null]> =>
  world.upstream().map((request: LoggedRequest) => [request.method, accountPath(request, world.sandbox.accountSid), request.status])
const messageCount = (): number => world.sandbox.control.store.account(world.sandbox.accountSid)!.messages.size
const nextDeletable = (): string => {
  const sid = deletable.shift()
  if (sid === undefined) throw new Error('the sandbox has no deletable message left')
  return sid
}
const errorInfo = (answer: Answer, reason: string): any =>
  answer.body.error.details.find((item: { '@type': string, reason?: string }) =>
    item['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo' && item.reason === reason)

describe('Get, List and Delete are retried after Twilio 5xx answers and connection resets, and succeed', () => {
  it.each([
    ['a Get after one 500', 2, { kind: 'status', status: 500 }],
    ['a Get after three 503s (the last attempt succeeds)', 4, { kind: 'status', status: 503, count: 3 }],
    ['a Get after a connection reset', 2, { kind: 'reset' }],
    ['a Get after two resets once Twilio had answered', 3, { kind: 'reset', when: 'after', count: 2 }]
  ] as Array<[string, number, FaultSpec]>)('%s → 200, after %i upstream requests', async (_case, requests, fault) => {
    inject({ ...fault, method: 'GET' })
    expectEntity(await world.call('GET', entityPath('Messages', GOOGLE.message)), 'Messages', GOOGLE.message)
    const seen = upstream()
    expect(seen).toHaveLength(requests)
    expect(seen.every(([method, path]) => method === 'GET' && path === `Messages/${GOOGLE.message}.json`)).toBe(true)
    expect(seen.at(-1)![2]).toBe(200)
    expect(world.sandbox.control.faults.list()).toEqual([])
  })

  it.each([
    ['500', { kind: 'status', status: 500 }],
    ['503', { kind: 'status', status: 503 }],
    ['a connection reset', { kind: 'reset' }]
  ] as Array<[string, FaultSpec]>)('a List after %s → 200 with the page, after 2 upstream requests', async (_case, fault) => {
    inject({ ...fault, method: 'GET' })
    const answer = await world.call('GET', `${entityPath('Calls')}?pageSize=3`)
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body.entities).toHaveLength(3)
    expect(upstream().map(([method, path, status]) => [method, path, status]))
      .toEqual([['GET', 'Calls.json', fault.kind === 'reset' ? null : (fault as { status: number }).status], ['GET', 'Calls.json', 200]])
  })

  it('a Delete refused with 503 before Twilio acted is retried: {} answered, two DELETEs upstream, the message gone', async () => {
    const sid = nextDeletable()
    inject({ kind: 'status', status: 503, method: 'DELETE' })
    const answer = await world.call('DELETE', entityPath('Messages', sid))
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body).toEqual({})
    expect(upstream()).toEqual([['DELETE', `Messages/${sid}.json`, 503], ['DELETE', `Messages/${sid}.json`, 204]])
    expectRpcError(await world.call('GET', entityPath('Messages', sid)), 404, 'NOT_FOUND')
  })

  it.each([
    ['the connection was reset', { kind: 'reset', when: 'after' }, null],
    ['Twilio answered 500', { kind: 'status', status: 500, when: 'after' }, 500]
  ] as Array<[string, FaultSpec, number | null]>)('a Delete that Twilio carried out before %s answers success ({}), not 404, on the retry\'s "not found"', async (_case, fault, firstStatus) => {
    const sid = nextDeletable()
    inject({ ...fault, method: 'DELETE' })
    const answer = await world.call('DELETE', entityPath('Messages', sid))
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body).toEqual({})
    // The first attempt deleted it; the second found nothing left to delete.
    expect(upstream()).toEqual([['DELETE', `Messages/${sid}.json`, firstStatus], ['DELETE', `Messages/${sid}.json`, 404]])
    expectRpcError(await world.call('GET', entityPath('Messages', sid)), 404, 'NOT_FOUND')
  })

  it('a Delete of a message that never existed is still 404 NOT_FOUND (one request: nothing may have acted before)', async () => {
    const missing = 'SM' + '0'.repeat(32)
    expectRpcError(await world.call('DELETE', entityPath('Messages', missing)), 404, 'NOT_FOUND')
    expect(upstream()).toEqual([['DELETE', `Messages/${missing}.json`, 404]])
  })
})

describe('Create and Update are not retried once the request may have reached Twilio', () => {
  const expectOutcomeUnknown = (answer: Answer): void => {
    expect(answer.status).not.toBe(503)
    expectRpcError(answer, 504, 'DEADLINE_EXCEEDED')
    expect(errorInfo(answer, 'UPSTREAM_OUTCOME_UNKNOWN')).toMatchObject({ domain: 'twilio-connector-gateway' })
  }

  it.each([
    ['500 after Twilio created it', { kind: 'status', status: 500, when: 'after' }, 1],
    ['503 before Twilio processed it', { kind: 'status', status: 503 }, 0],
    ['a reset after Twilio created it', { kind: 'reset', when: 'after' }, 1],
    ['a reset before Twilio processed it', { kind: 'reset' }, 0]
  ] as Array<[string, FaultSpec, number]>)('a Create answered %s → 504 UPSTREAM_OUTCOME_UNKNOWN after exactly one POST (a retry would have succeeded)', async (_case, fault, created) => {
    const before = messageCount()
    // Only the first attempt fails: a retry would have been answered 201, so the 504 itself shows there was none.
    inject({ ...fault, method: 'POST' })
    expectOutcomeUnknown(await world.call('POST', entityPath('Messages'), { fields: SMS }))
    expect(upstream().map(([method, path]) => [method, path])).toEqual([['POST', 'Messages.json']])
    expect(messageCount()).toBe(before + created)
  })

  it.each([
    ['500', { kind: 'status', status: 500, when: 'after' }],
    ['a connection reset', { kind: 'reset', when: 'after' }]
  ] as Array<[string, FaultSpec]>)('an Update answered %s after Twilio applied it → 503 UNAVAILABLE after exactly one POST', async (_case, fault) => {
    inject({ ...fault, method: 'POST' })
    const answer = await world.call('PATCH', entityPath('Messages', GOOGLE.message), { fields: { Body: '' } })
    expectRpcError(answer, 503, 'UNAVAILABLE')
    expect(upstream().map(([method, path]) => [method, path])).toEqual([['POST', `Messages/${GOOGLE.message}.json`]])
  })
})

describe('Twilio 429 is retried for every operation, never sooner than its Retry-After', () => {
  it.each([
    ['Get', 'GET', () => entityPath('Messages', GOOGLE.message), undefined, 'GET', 200],
    ['List', 'GET', () => `${entityPath('Messages')}?pageSize=2`, undefined, 'GET', 200],
    ['Create', 'POST', () => entityPath('Messages'), { fields: SMS }, 'POST', 201],
    ['Update', 'PATCH', () => entityPath('Messages', GOOGLE.message), { fields: { Body: '' } }, 'POST', 200],
    ['Delete', 'DELETE', () => entityPath('Messages', nextDeletable()), undefined, 'DELETE', 204]
  ] as Array<[string, 'GET' | 'POST' | 'PATCH' | 'DELETE', () => string, unknown, 'GET' | 'POST' | 'DELETE', number]>)(
    'a %s answered 429 with Retry-After: 1 succeeds on its second request, sent at least 1 s after the first',
    async (_case, method, url, body, upstreamMethod, finalStatus) => {
      const before = messageCount()
      inject({ kind: 'status', status: 429, retryAfter: 1, method: upstreamMethod })
      const answer = await world.call(method, url(), body)
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      const seen = upstream()
      expect(seen.map(([verb, , status]) => [verb, status])).toEqual([[upstreamMethod, 429], [upstreamMethod, finalStatus]])
      expect(arrivals).toHaveLength(2)
      expect(arrivals[1]!.at - arrivals[0]!.at).toBeGreaterThanOrEqual(1000 - TIMER_SLACK_MS)
      // The create happened exactly once: Twilio's 429 means it processed nothing.
      if (method === 'POST') expect(messageCount()).toBe(before + 1)
    })

  it('a 429 on every attempt → 429 RESOURCE_EXHAUSTED with Retry-After and RetryInfo, after the 4 attempts, nothing created', async () => {
    const before = messageCount()
    inject({ kind: 'status', status: 429, method: 'POST', count: MAX_ATTEMPTS })
    const answer = await world.call('POST', entityPath('Messages'), { fields: SMS })
    expectRpcError(answer, 429, 'RESOURCE_EXHAUSTED')
    expect(answer.headers['retry-after']).toBe('1')
    expect(detail(answer, 'RetryInfo')).toEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' })
    expect(upstream()).toEqual(Array.from({ length: MAX_ATTEMPTS }, () => ['POST', 'Messages.json', 429]))
    expect(world.sandbox.control.faults.list()).toEqual([])
    expect(messageCount()).toBe(before)
  })

  it('a Get answered 429 with Retry-After: 1 on every attempt waits each time: ≥ 3 s between the first and the fourth request', async () => {
    inject({ kind: 'status', status: 429, retryAfter: 1, method: 'GET', count: MAX_ATTEMPTS })
    const answer = await world.call('GET', entityPath('Messages', GOOGLE.message))
    expectRpcError(answer, 429, 'RESOURCE_EXHAUSTED')
    expect(answer.headers['retry-after']).toBe('1')
    expect(arrivals).toHaveLength(MAX_ATTEMPTS)
    for (let index = 1; index < MAX_ATTEMPTS; index++) {
      expect(arrivals[index]!.at - arrivals[index - 1]!.at).toBeGreaterThanOrEqual(1000 - TIMER_SLACK_MS)
    }
  })
})

describe('retries stop at the call\'s deadline', () => {
  /** Every backoff is just under 1.5 s (full jitter drawn at its top). */
  const slowBackoff = { baseDelayMs: 1500, maxDelayMs: 1500, random: () => 0.999 }
  let hurried: TestGateway
  let patient: TestGateway

  beforeAll(async () => {
    hurried = await startGateway({ sandbox: world.sandbox, config: { retry: slowBackoff, callLimits: { deadlineMs: 1000 } } })
    patient = await startGateway({ sandbox: world.sandbox, config: { retry: slowBackoff, callLimits: { deadlineMs: 10_000 } } })
  })
  afterAll(async () => {
    await hurried?.close()
    await patient?.close()
  })

  it('a Get answered 500 is not retried when the backoff would end past the deadline: 503, one request upstream', async () => {
    inject({ kind: 'status', status: 500, method: 'GET' })
    const answer = await hurried.call('GET', entityPath('Messages', GOOGLE.message))
    expectRpcError(answer, 503, 'UNAVAILABLE')
    expect(upstream()).toEqual([['GET', `Messages/${GOOGLE.message}.json`, 500]])
  })

  it('the same backoff within a longer deadline is waited for, and the Get succeeds on its retry', async () => {
    inject({ kind: 'status', status: 500, method: 'GET' })
    expectEntity(await patient.call('GET', entityPath('Messages', GOOGLE.message)), 'Messages', GOOGLE.message)
    expect(upstream().map(([, , status]) => status)).toEqual([500, 200])
    expect(arrivals[1]!.at - arrivals[0]!.at).toBeGreaterThanOrEqual(1498 - TIMER_SLACK_MS)
  })

  it('a 429 whose Retry-After ends past the deadline is not waited for: 429 with Twilio\'s Retry-After, one request', async () => {
    inject({ kind: 'status', status: 429, retryAfter: 2, method: 'POST' })
    const before = messageCount()
    const answer = await hurried.call('POST', entityPath('Messages'), { fields: SMS })
    expectRpcError(answer, 429, 'RESOURCE_EXHAUSTED')
    expect(answer.headers['retry-after']).toBe('2')
    expect(upstream()).toEqual([['POST', 'Messages.json', 429]])
    expect(messageCount()).toBe(before)
  })
})

describe('connection refused (nothing was sent) is retried even for a Create', () => {
  const token = TEST_AUTH_TOKEN
  const down = connectionAt('upstream-down')
  let port: number
  let gateway: TestGateway
  let metrics: GatewayMetrics
  let late: FastifyInstance | undefined

  beforeAll(async () => {
    port = await freePort()
    metrics = new GatewayMetrics()
    // Each backoff just under 400 ms: room to bring Twilio up between two attempts.
    gateway = await startGateway({
      config: { twilioApiBaseUrl: `http://127.0.0.1:${port}`, metrics, retry: { baseDelayMs: 400, maxDelayMs: 400, random: () => 0.999 } }
    })
    gateway.connections.put(connection(down.name, SANDBOX_ACCOUNT_SID, gateway.secrets.addVersion('projects/p/secrets/down-token', token), { sandbox: false }))
  })
  afterAll(async () => {
    await gateway?.close()
    await late?.close()
  })

  const refusals = async (): Promise<number> =>
    (await metrics.upstreamRetries.get()).values.find((value) => value.labels.reason === 'network')?.value ?? 0

  it('a Create while Twilio cannot be reached at all → 503 UNAVAILABLE (safe to retry, not 504), after 4 attempts', async () => {
    const answer = await gateway.call('POST', entityPath('Messages', undefined, down.path), { fields: SMS })
    const error = expectRpcError(answer, 503, 'UNAVAILABLE')
    expect(error.message).toMatch(/ECONNREFUSED/)
    expect(errorInfo(answer, 'UPSTREAM_OUTCOME_UNKNOWN')).toBeUndefined()
    expect(await refusals()).toBe(MAX_ATTEMPTS - 1)
  })

  it('a Create sent while Twilio is down succeeds once it comes up between attempts, created exactly once', async () => {
    const before = await refusals()
    const pending = gateway.call('POST', entityPath('Messages', undefined, down.path), { fields: SMS })
    // The first attempt was refused: bring Twilio up before the retry.
    await eventually('the first attempt is refused', async () => (await refusals()) > before || undefined, 5000)
    late = await buildSandbox({ authToken: token, seed: { calls: 0, messages: 0 } })
    const messages = sandboxControl(late).store.account(SANDBOX_ACCOUNT_SID)!.messages
    const seeded = new Set(messages.values().map((message) => message.sid))
    await late.listen({ host: '127.0.0.1', port })
    const answer = await pending
    const fields = expectEntity(answer, 'Messages', undefined, down.name)
    expect(fields).toMatchObject({ To: SMS.To, Body: SMS.Body })
    expect(sandboxControl(late).requests.list().map((request) => [request.method, request.status])).toEqual([['POST', 201]])
    expect(messages.values().map((message) => message.sid).filter((sid) => !seeded.has(sid))).toEqual([fields.Sid])
  })
})
