/**
 * `GET /metrics` as Prometheus and an operator see it: who may scrape it (admin and monitor tokens; not invokers,
 * not anonymous callers), its text format, and what the counters say after calls the test made — runtime calls by
 * connection, entity, operation and status; throttle refusals; Twilio 429s and retries; upstream latency
 * buckets; node counts — with labels that a caller cannot multiply by naming connections that do not exist. The
 * last suite scrapes a real gateway process (`dist/`), whose secret cache and cluster membership are wired as in
 * production.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { TokenStore } from '../../src/auth/tokens.js'
import type { Fault, FaultSpec } from '../../src/sandbox/app.js'
import { ADMIN_TOKEN, startGateway, type TestGateway } from '../helpers/gateway.js'
import { freePort, startProcess, type RunningGateway } from '../helpers/process.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { eventually } from '../store/backends.js'
import { GOOGLE, OWNED_NUMBER, SANDBOX_CONNECTION, T0, entityPath, expectRpcError } from '../api/v2/support.js'

interface Sample { name: string, labels: Record<string, string>, value: number }
interface Scrape { status: number, contentType: string, text: string, samples: Sample[] }

/** Parses Prometheus text exposition: one sample per line that is not a comment. */
function parse (text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!.replace(/\\(.)/g, '$1')
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

/** The sum of the samples of `name` whose labels include `labels`. */
function total (scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  return scrape.samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0)
}

const PROMETHEUS_TEXT = /^text\/plain; version=0\.0\.4; charset=utf-8$/

let sandbox: TestSandbox
let gateway: TestGateway

async function scrape (token: string | undefined = ADMIN_TOKEN, app: TestGateway = gateway): Promise<Scrape> {
  const response = await app.app.inject({ method: 'GET', url: '/metrics', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  return {
    status: response.statusCode,
    contentType: String(response.headers['content-type']),
    text: response.body,
    samples: response.statusCode === 200 ? parse(response.body) : []
  }
}

const inject = (fault: FaultSpec): void => {
  sandbox.control.faults.add([{ count: 1, when: 'before', ...fault } as Fault])
}

beforeAll(async () => {
  sandbox = await startSandbox({ seed: { calls: 5, messages: 5 } })
  gateway = await startGateway({ sandbox, database: true, config: { retry: { baseDelayMs: 1, maxDelayMs: 5 } } })
})
afterAll(async () => {
  await gateway?.close()
  await sandbox?.close()
})
beforeEach(() => {
  sandbox.control.faults.clear()
})

describe('who may scrape /metrics', () => {
  const tokens: Record<'invoker' | 'monitor', string> = { invoker: '', monitor: '' }

  beforeAll(async () => {
    const store = new TokenStore(gateway.db!.database.pool)
    for (const role of ['invoker', 'monitor'] as const) {
      tokens[role] = (await store.create(role, [], `metrics test ${role}`)).token
      // The running gateway learns of new tokens through its change feed.
      await eventually(`the gateway honours the ${role} token`, async () => (await scrape(tokens[role])).status !== 401 || undefined, 5000)
    }
  })

  it('nobody without a token: 401 UNAUTHENTICATED', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/metrics' })
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/)
    expect(JSON.parse(response.body).error.status).toBe('UNAUTHENTICATED')
    expect((await scrape('gw_not-a-real-token')).status).toBe(401)
  })

  it('an invoker token: 403 PERMISSION_DENIED, though it may call the runtime', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${tokens.invoker}` } })
    expect(response.statusCode).toBe(403)
    expect(JSON.parse(response.body).error).toMatchObject({ status: 'PERMISSION_DENIED', message: expect.stringContaining('/metrics') })
    const runtime = await gateway.app.inject({ method: 'GET', url: entityPath('Messages', GOOGLE.message), headers: { authorization: `Bearer ${tokens.invoker}` } })
    expect(runtime.statusCode).toBe(200)
  })

  it.each([['an admin', () => ADMIN_TOKEN], ['a monitor', () => tokens.monitor]])('%s token: 200, Prometheus text with the gateway\'s metrics and Node\'s', async (_case, token) => {
    const answer = await scrape(token())
    expect(answer.status).toBe(200)
    expect(answer.contentType).toMatch(PROMETHEUS_TEXT)
    for (const name of ['gateway_runtime_calls_total', 'gateway_upstream_request_duration_seconds', 'gateway_cluster_processes', 'process_cpu_user_seconds_total']) {
      expect(answer.text).toContain(`# TYPE ${name} `)
    }
  })

  it('a monitor token can read nothing else: the runtime and the management API are 403', async () => {
    for (const url of [entityPath('Messages', GOOGLE.message), '/v1/projects/local/locations/local/connections']) {
      const response = await gateway.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens.monitor}` } })
      expect(response.statusCode, url).toBe(403)
    }
  })
})

describe('what the counters say after calls', () => {
  const SANDBOX = { connection: SANDBOX_CONNECTION }

  it('gateway_runtime_calls_total counts each call by connection, entity, operation and google.rpc status', async () => {
    const before = await scrape()
    const get = { ...SANDBOX, entity: 'Messages', operation: 'GET' }
    for (let index = 0; index < 3; index++) expect((await gateway.call('GET', entityPath('Messages', GOOGLE.message))).status).toBe(200)
    expectRpcError(await gateway.call('GET', entityPath('Messages', `SM${'0'.repeat(32)}`)), 404, 'NOT_FOUND')
    expectRpcError(await gateway.call('POST', entityPath('Messages'), { fields: { To: 5 } }), 400, 'INVALID_ARGUMENT')
    expect((await gateway.call('GET', `${entityPath('Calls')}?pageSize=2`)).status).toBe(200)
    const after = await scrape()
    const delta = (labels: Record<string, string>): number =>
      total(after, 'gateway_runtime_calls_total', labels) - total(before, 'gateway_runtime_calls_total', labels)
    expect(delta({ ...get, status: 'OK' })).toBe(3)
    expect(delta({ ...get, status: 'NOT_FOUND' })).toBe(1)
    expect(delta({ ...SANDBOX, entity: 'Messages', operation: 'CREATE', status: 'INVALID_ARGUMENT' })).toBe(1)
    expect(delta({ ...SANDBOX, entity: 'Calls', operation: 'LIST', status: 'OK' })).toBe(1)
    expect(total(after, 'gateway_runtime_call_duration_seconds_count', { operation: 'GET' }) -
      total(before, 'gateway_runtime_call_duration_seconds_count', { operation: 'GET' })).toBe(4)
  })

  it('Twilio 429s and 5xx answers show in gateway_upstream_429_total and gateway_upstream_retries_total by reason', async () => {
    const before = await scrape()
    inject({ kind: 'status', status: 429, method: 'GET', count: 2 })
    expect((await gateway.call('GET', entityPath('Messages', GOOGLE.message))).status).toBe(200)
    inject({ kind: 'status', status: 503, method: 'GET' })
    inject({ kind: 'reset', method: 'GET' })
    expect((await gateway.call('GET', entityPath('Messages', GOOGLE.message))).status).toBe(200)
    const after = await scrape()
    const delta = (name: string, labels: Record<string, string>): number => total(after, name, labels) - total(before, name, labels)
    expect(delta('gateway_upstream_429_total', SANDBOX)).toBe(2)
    expect(delta('gateway_upstream_retries_total', { ...SANDBOX, reason: '429' })).toBe(2)
    expect(delta('gateway_upstream_retries_total', { ...SANDBOX, reason: '5xx' })).toBe(1)
    expect(delta('gateway_upstream_retries_total', { ...SANDBOX, reason: 'network' })).toBe(1)
  })

  it('gateway_upstream_request_duration_seconds is a histogram of every upstream request, by method and status (or failure code)', async () => {
    const before = await scrape()
    inject({ kind: 'status', status: 500, method: 'GET' })
    inject({ kind: 'reset', method: 'GET' })
    expect((await gateway.call('GET', entityPath('Messages', GOOGLE.message))).status).toBe(200)
    expect((await gateway.call('POST', entityPath('Messages'), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'hi' } })).status).toBe(200)
    const after = await scrape()
    const name = 'gateway_upstream_request_duration_seconds'
    const delta = (suffix: string, labels: Record<string, string>): number => total(after, `${name}${suffix}`, labels) - total(before, `${name}${suffix}`, labels)
    expect(delta('_count', { ...SANDBOX, method: 'GET', status: '500' })).toBe(1)
    expect(delta('_count', { ...SANDBOX, method: 'GET', status: 'ECONNRESET' })).toBe(1)
    expect(delta('_count', { ...SANDBOX, method: 'GET', status: '200' })).toBe(1)
    expect(delta('_count', { ...SANDBOX, method: 'POST', status: '201' })).toBe(1)
    // Cumulative buckets, ending in +Inf with the count; the local sandbox answers within 30 s.
    const buckets = after.samples.filter((sample) => sample.name === `${name}_bucket` && sample.labels.method === 'POST' && sample.labels.status === '201')
    expect(buckets.map((sample) => sample.labels.le)).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '+Inf'])
    for (let index = 1; index < buckets.length; index++) expect(buckets[index]!.value).toBeGreaterThanOrEqual(buckets[index - 1]!.value)
    expect(buckets.at(-1)!.value).toBe(total(after, `${name}_count`, { ...SANDBOX, method: 'POST', status: '201' }))
    expect(buckets.find((sample) => sample.labels.le === '30')!.value).toBe(buckets.at(-1)!.value)
    expect(total(after, `${name}_sum`, { ...SANDBOX, method: 'POST', status: '201' })).toBeGreaterThan(0)
  })

  it('gateway_connection_nodes shows the node count of each connection served; gateway_cluster_processes is 1 alone', async () => {
    expect((await gateway.call('GET', entityPath('Messages', GOOGLE.message))).status).toBe(200)
    const answer = await scrape()
    expect(total(answer, 'gateway_connection_nodes', SANDBOX)).toBe(2)
    expect(total(answer, 'gateway_cluster_processes')).toBe(1)
  })

  it('calls naming connections or entity types that do not exist are counted under "unknown", never under the names they sent', async () => {
    const before = await scrape()
    const invented = Array.from({ length: 5 }, (_, index) => `invented-${randomBytes(4).toString('hex')}-${index}`)
    for (const id of invented) {
      const answer = await gateway.call('GET', entityPath('Messages', GOOGLE.message, `/v2/projects/p/locations/l/connections/${id}`))
      expectRpcError(answer, 404, 'NOT_FOUND')
    }
    expectRpcError(await gateway.call('GET', entityPath('Widgets', 'WX1')), 404, 'NOT_FOUND')
    const after = await scrape()
    for (const id of [...invented, 'Widgets']) expect(after.text).not.toContain(id)
    const unknown = { connection: 'unknown', entity: 'Messages', operation: 'GET', status: 'NOT_FOUND' }
    expect(total(after, 'gateway_runtime_calls_total', unknown) - total(before, 'gateway_runtime_calls_total', unknown)).toBe(5)
    const unknownEntity = { ...SANDBOX, entity: 'unknown', status: 'NOT_FOUND' }
    expect(total(after, 'gateway_runtime_calls_total', unknownEntity) - total(before, 'gateway_runtime_calls_total', unknownEntity)).toBe(1)
    // The label sets are no more than before, but for the "unknown" ones.
    const series = (answer: Scrape): Set<string> => new Set(answer.samples
      .filter((sample) => sample.name === 'gateway_runtime_calls_total')
      .map((sample) => JSON.stringify(sample.labels)))
    const added = [...series(after)].filter((labels) => !series(before).has(labels)).map((labels) => JSON.parse(labels) as Record<string, string>)
    for (const labels of added) expect(labels.connection === 'unknown' || labels.entity === 'unknown').toBe(true)
  })
})

describe('throttle refusals', () => {
  let throttled: TestGateway

  beforeAll(async () => {
    // 0.5 per node × 2 nodes: a bucket of one token, and a clock that never moves, so it never refills.
    throttled = await startGateway({ sandbox, config: { tpsPerNode: 0.5, clock: () => T0 } })
  })
  afterAll(async () => {
    await throttled?.close()
  })

  it('gateway_throttle_rejections_total counts the calls refused with 429, by connection, beside their RESOURCE_EXHAUSTED calls', async () => {
    const answers = []
    for (let index = 0; index < 4; index++) answers.push(await throttled.call('GET', entityPath('Messages', GOOGLE.message)))
    expect(answers.map((answer) => answer.status)).toEqual([200, 429, 429, 429])
    const after = await scrape(ADMIN_TOKEN, throttled)
    expect(total(after, 'gateway_throttle_rejections_total', { connection: SANDBOX_CONNECTION })).toBe(3)
    expect(total(after, 'gateway_runtime_calls_total', { connection: SANDBOX_CONNECTION, operation: 'GET', status: 'RESOURCE_EXHAUSTED' })).toBe(3)
    expect(total(after, 'gateway_upstream_request_duration_seconds_count', { connection: SANDBOX_CONNECTION })).toBe(1)
  })
})

describe('a real gateway process (sandbox on, embedded database)', () => {
  const adminToken = randomBytes(24).toString('hex')
  let dataDir: string
  let server: RunningGateway

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gateway-metrics-'))
    const port = await freePort()
    server = await startProcess(port, {
      env: { DATA_DIR: dataDir, PORT: String(port), SANDBOX_PORT: String(await freePort()), GATEWAY_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn' },
      readyWithinMs: 30_000
    })
  }, 60_000)
  afterAll(async () => {
    expect(await server?.stop()).toBe(0)
    rmSync(dataDir, { recursive: true, force: true })
  })

  async function scrapeProcess (): Promise<Scrape> {
    const response = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })
    const text = await response.text()
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, samples: parse(text) }
  }

  it('counts secret reads by cache outcome: calls after the first read of the connection\'s token are cache hits', async () => {
    const before = await scrapeProcess()
    expect(before.status).toBe(200)
    expect(before.contentType).toMatch(PROMETHEUS_TEXT)
    for (let index = 0; index < 2; index++) {
      const response = await fetch(`${server.baseUrl}${entityPath('Messages', GOOGLE.message)}`, { headers: { authorization: `Bearer ${adminToken}` } })
      expect(response.status).toBe(200)
      await response.arrayBuffer()
    }
    const after = await scrapeProcess()
    const delta = (outcome: string): number =>
      total(after, 'gateway_secret_cache_lookups_total', { outcome }) - total(before, 'gateway_secret_cache_lookups_total', { outcome })
    expect(delta('hit')).toBe(2)
    expect(delta('miss')).toBe(0)
    // The sandbox connection's token was read from the store once, when the process started.
    expect(total(after, 'gateway_secret_cache_lookups_total', { outcome: 'miss' })).toBeGreaterThanOrEqual(1)
    expect(total(after, 'gateway_runtime_calls_total', { connection: SANDBOX_CONNECTION, entity: 'Messages', operation: 'GET', status: 'OK' })).toBe(2)
    expect(total(after, 'gateway_cluster_processes')).toBe(1)
    expect(total(after, 'gateway_connection_nodes', { connection: SANDBOX_CONNECTION })).toBe(2)
  })
})
