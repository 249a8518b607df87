/**
 * The per-connection throttle as a caller meets it, through the gateway (`inject`) with Google's 25 transactions
 * per second per node and a clock the tests move by hand (it stands still unless a test advances it, so a burst is
 * one instant): a connection on 2 nodes admits a burst of 50 and refuses the next with Google's 429
 * RESOURCE_EXHAUSTED, refills at 50 per second, never shares its bucket with another connection, charges only
 * entity operations, and charges every upstream request of a call (retries included) within the call's budget and
 * deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Connection } from '../../src/connections/connection.js'
import { SANDBOX_TOKEN_SECRET, sandboxConnection } from '../../src/connections/sandbox-connection.js'
import { ADMIN_TOKEN, detail, startGateway, type Answer, type TestGateway } from '../helpers/gateway.js'
import type { TestSandbox } from '../helpers/sandbox.js'
import { GOOGLE, expectRpcError, manualClock, type ManualClock } from '../api/v2/support.js'

const PARENT = 'projects/p/locations/us-central1'

let gateway: TestGateway
let clock: ManualClock
let tokenVersion: string

/** The upstream budget and deadline of the `strict` gateway below. */
const STRICT_LIMITS = { budget: 1, deadlineMs: 10 }
let strict: TestGateway

beforeAll(async () => {
  clock = manualClock()
  gateway = await startGateway({
    sandbox: true,
    // No backoff jitter: a retried request goes again at once (only Twilio's Retry-After would delay it).
    config: { tpsPerNode: 25, clock: clock.now, retry: { random: () => 0 } }
  })
  tokenVersion = `${SANDBOX_TOKEN_SECRET}/versions/1`
  strict = await startGateway({
    sandbox: gateway.sandbox,
    config: { tpsPerNode: 25, clock: clock.now, retry: { random: () => 0 }, callLimits: STRICT_LIMITS }
  })
})
afterAll(async () => {
  await strict?.close()
  await gateway?.close()
})

let counter = 0
/**
 * A new connection to the sandbox (so a fresh bucket) on `gateway`, with this nodeConfig (none when undefined);
 * answers its v2 path.
 */
function addConnection (nodeConfig: Connection['nodeConfig'] | undefined, on: TestGateway = gateway): { name: string, path: string } {
  const name = `${PARENT}/connections/throttled-${++counter}`
  const connection = sandboxConnection(on.sandbox!.accountSid, tokenVersion, name)
  if (nodeConfig === undefined) delete connection.nodeConfig
  else connection.nodeConfig = nodeConfig
  on.connections.put(connection)
  return { name, path: `/v2/${name}` }
}

/** Makes the sandbox answer the next Get of the Google message with Twilio's 429 (no Retry-After). */
function twilio429Once (sandbox: TestSandbox): void {
  sandbox.control.faults.add([{ kind: 'status', status: 429, count: 1, when: 'before', method: 'GET', pathContains: GOOGLE.message }])
}

const listOne = (path: string): string => `${path}/entityTypes/Messages/entities?pageSize=1`
const getMessage = (path: string): string => `${path}/entityTypes/Messages/entities/${GOOGLE.message}`

/** Sends `count` cheap runtime calls (a one-row List) one after the other; answers them. */
async function burst (path: string, count: number, on: TestGateway = gateway): Promise<Answer[]> {
  const answers: Answer[] = []
  for (let index = 0; index < count; index++) answers.push(await on.call('GET', listOne(path)))
  return answers
}

/** How many of the answers were admitted (200), asserting that every other one was the throttle's 429. */
function admittedOf (answers: Answer[]): number {
  for (const answer of answers) {
    if (answer.status !== 200) expect(detail(answer, 'ErrorInfo')?.reason, JSON.stringify(answer.body)).toBe('RATE_LIMIT_EXCEEDED')
  }
  return answers.filter((answer) => answer.status === 200).length
}

/** Calls until the throttle refuses one (at most `atMost`); answers how many were admitted and the refusal. */
async function untilRefused (path: string, atMost = 500, on: TestGateway = gateway): Promise<{ admitted: number, refusal: Answer }> {
  for (let admitted = 0; admitted <= atMost; admitted++) {
    const answer = await on.call('GET', listOne(path))
    if (answer.status === 429) return { admitted, refusal: answer }
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  }
  throw new Error(`no refusal within ${atMost} calls`)
}

describe('a connection on 2 nodes (minNodeCount = maxNodeCount = 2) at 25 transactions per second per node', () => {
  it('admits a burst of 50, then answers 429 RESOURCE_EXHAUSTED exactly as Google does', async () => {
    const { name, path } = addConnection({ minNodeCount: 2, maxNodeCount: 2 })
    const answers = await burst(path, 50)
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200))

    const refused = await gateway.call('GET', listOne(path))
    const error = expectRpcError(refused, 429, 'RESOURCE_EXHAUSTED')
    expect(refused.headers['retry-after']).toBe('1')
    expect(error.message).toBe(`Connection ${name} is over its rate limit of 50 transactions per second (2 nodes); retry in 0.020 s`)
    expect(error.details).toEqual([
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.020s' },
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'RATE_LIMIT_EXCEEDED',
        domain: 'twilio-connector-gateway',
        metadata: { connection: name, limit: '50', nodes: '2', gatewayProcesses: '1' }
      }
    ])
  })

  it('sends nothing to Twilio for a refused call', async () => {
    const { path } = addConnection({ minNodeCount: 2, maxNodeCount: 2 })
    await burst(path, 50)
    gateway.sandbox!.control.requests.clear()
    for (const answer of await burst(path, 5)) expectRpcError(answer, 429, 'RESOURCE_EXHAUSTED')
    expect(gateway.sandbox!.control.requests.list()).toEqual([])
  })

  it('refills at 50 per second: after 1/50 s exactly one more call is admitted, after a second a full burst', async () => {
    const { path } = addConnection({ minNodeCount: 2, maxNodeCount: 2 })
    expect((await untilRefused(path)).admitted).toBe(50)
    clock.advance(19)
    expect((await gateway.call('GET', listOne(path))).status).toBe(429)
    clock.advance(1)
    expect((await gateway.call('GET', listOne(path))).status).toBe(200)
    expect((await gateway.call('GET', listOne(path))).status).toBe(429)
    clock.advance(100)
    expect((await untilRefused(path)).admitted).toBe(5)
    clock.advance(60_000)
    // Idle for a minute: still a burst of one second's worth, no more.
    expect((await untilRefused(path)).admitted).toBe(50)
  })

  it('says how long to wait: RetryInfo and the message count the missing fraction of a token, Retry-After rounds up to whole seconds', async () => {
    const { path } = addConnection({ minNodeCount: 2, maxNodeCount: 2 })
    await untilRefused(path)
    clock.advance(5)
    const refused = await gateway.call('GET', listOne(path))
    const error = expectRpcError(refused, 429, 'RESOURCE_EXHAUSTED')
    // A quarter of a token earned in 5 ms: the rest takes 15 ms.
    expect(detail(refused, 'RetryInfo')).toEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.015s' })
    expect(error.message).toMatch(/; retry in 0\.015 s$/)
    expect(refused.headers['retry-after']).toBe('1')
  })
})

describe('the node count a connection runs on', () => {
  it('without nodeConfig is Google\'s default of 2: 50 admitted, ErrorInfo nodes "2", limit "50"', async () => {
    const { name, path } = addConnection(undefined)
    const { admitted, refusal } = await untilRefused(path)
    expect(admitted).toBe(50)
    expect(detail(refusal, 'ErrorInfo').metadata).toEqual({ connection: name, limit: '50', nodes: '2', gatewayProcesses: '1' })
  })

  it('is minNodeCount to begin with: 1 node admits 25, 3 nodes admit 75', async () => {
    const one = addConnection({ minNodeCount: 1, maxNodeCount: 1 })
    const oneRefused = await untilRefused(one.path)
    expect(oneRefused.admitted).toBe(25)
    expectRpcError(oneRefused.refusal, 429, 'RESOURCE_EXHAUSTED')
    expect(oneRefused.refusal.body.error.message).toContain('rate limit of 25 transactions per second (1 node);')
    expect(detail(oneRefused.refusal, 'ErrorInfo').metadata).toMatchObject({ limit: '25', nodes: '1' })
    // One node refills at 25 per second: a token every 40 ms.
    expect(detail(oneRefused.refusal, 'RetryInfo').retryDelay).toBe('0.040s')

    const three = addConnection({ minNodeCount: 3, maxNodeCount: 10 })
    const threeRefused = await untilRefused(three.path)
    expect(threeRefused.admitted).toBe(75)
    expect(detail(threeRefused.refusal, 'ErrorInfo').metadata).toMatchObject({ limit: '75', nodes: '3' })
  })
})

describe('connections never share a bucket', () => {
  it('flooding one connection leaves another on the same Twilio account its full burst', async () => {
    const flooded = addConnection({ minNodeCount: 2, maxNodeCount: 2 })
    const neighbour = addConnection({ minNodeCount: 2, maxNodeCount: 2 })
    await untilRefused(flooded.path)
    for (const answer of await burst(flooded.path, 20)) expectRpcError(answer, 429, 'RESOURCE_EXHAUSTED')
    const { admitted, refusal } = await untilRefused(neighbour.path)
    expect(admitted).toBe(50)
    expect(detail(refusal, 'ErrorInfo').metadata.connection).toBe(neighbour.name)
    // …and the neighbour's burst did not refill or drain the flooded one.
    expectRpcError(await gateway.call('GET', listOne(flooded.path)), 429, 'RESOURCE_EXHAUSTED')
  })
})

describe('what is not a transaction', () => {
  /** Calls that must be answered whatever the connection's bucket holds. */
  async function unthrottledCalls (path: string): Promise<void> {
    const answers = {
      listEntityTypes: await gateway.call('GET', `${path}/entityTypes`),
      listEntityTypesBasic: await gateway.call('GET', `${path}/entityTypes?view=ENTITY_TYPE_VIEW_BASIC`),
      getEntityType: await gateway.call('GET', `${path}/entityTypes/Messages`),
      checkStatus: await gateway.call('GET', `${path}:checkStatus`),
      checkReadiness: await gateway.call('GET', `${path}:checkReadiness`),
      healthz: await gateway.call('GET', '/healthz'),
      readyz: await gateway.call('GET', '/readyz')
    }
    for (const [what, answer] of Object.entries(answers)) expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).toBe(200)
    expect(answers.checkStatus.body.state).toBe('ACTIVE')
    const metrics = await gateway.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect(metrics.statusCode).toBe(200)
  }

  it('schema discovery, :checkStatus, :checkReadiness, health and /metrics are answered while the connection is throttled', async () => {
    const { path } = addConnection({ minNodeCount: 2, maxNodeCount: 2 })
    await untilRefused(path)
    for (let round = 0; round < 3; round++) await unthrottledCalls(path)
    // …and they took nothing from the bucket: 1/50 s later exactly one entity call is admitted, as without them.
    clock.advance(20)
    expect((await gateway.call('GET', listOne(path))).status).toBe(200)
    expectRpcError(await gateway.call('GET', listOne(path)), 429, 'RESOURCE_EXHAUSTED')
  })

  it('those calls made first leave the whole burst of 50 to entity operations', async () => {
    const { path } = addConnection({ minNodeCount: 2, maxNodeCount: 2 })
    for (let round = 0; round < 10; round++) await unthrottledCalls(path)
    expect((await untilRefused(path)).admitted).toBe(50)
  })

  it('every entity operation is one: Get, Create, Update and Delete are throttled like List', async () => {
    const { path } = addConnection({ minNodeCount: 1, maxNodeCount: 1 })
    expect((await untilRefused(path)).admitted).toBe(25)
    const answers = [
      await gateway.call('GET', getMessage(path)),
      await gateway.call('POST', `${path}/entityTypes/Messages/entities`, { fields: { To: '+15005550010', From: '+15005550006', Body: 'hi' } }),
      await gateway.call('PATCH', getMessage(path), { fields: { Body: '' } }),
      await gateway.call('DELETE', getMessage(path)),
      await gateway.call('GET', `${path}/entityTypes/Messages/entities?conditions=${encodeURIComponent(`Sid = '${GOOGLE.message}'`)}`)
    ]
    for (const answer of answers) {
      expectRpcError(answer, 429, 'RESOURCE_EXHAUSTED')
      expect(detail(answer, 'ErrorInfo').reason).toBe('RATE_LIMIT_EXCEEDED')
    }
  })
})

describe('a call that sends several requests to Twilio', () => {
  it('pays one token per upstream request: a Get that Twilio answers 429 and then 200 costs two', async () => {
    const { path } = addConnection({ minNodeCount: 2, maxNodeCount: 2 })
    const sandbox = gateway.sandbox!
    sandbox.control.requests.clear()
    twilio429Once(sandbox)
    const answer = await gateway.call('GET', getMessage(path))
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body.fields.Sid).toBe(GOOGLE.message)
    expect(sandbox.control.requests.list().map((request) => request.status)).toEqual([429, 200])
    // Two of the 50 tokens are gone: 48 more calls are admitted.
    expect((await untilRefused(path)).admitted).toBe(48)
  })

  it('a retry on an empty bucket borrows its token, and the next caller waits until the debt is repaid', async () => {
    const { path } = addConnection({ minNodeCount: 2, maxNodeCount: 2 })
    expect(admittedOf(await burst(path, 49))).toBe(49)
    twilio429Once(gateway.sandbox!)
    // The last token admits the Get; its retry reserves one the bucket does not hold yet (a 20 ms wait).
    expect((await gateway.call('GET', getMessage(path))).status).toBe(200)
    const refused = await gateway.call('GET', listOne(path))
    expect(detail(refused, 'RetryInfo').retryDelay).toBe('0.040s')
    clock.advance(20)
    expectRpcError(await gateway.call('GET', listOne(path)), 429, 'RESOURCE_EXHAUSTED')
    clock.advance(20)
    expect((await gateway.call('GET', listOne(path))).status).toBe(200)
  })

  it('beyond its upstream request budget fails with 400 FAILED_PRECONDITION, sending nothing more', async () => {
    const { path } = addConnection({ minNodeCount: 2, maxNodeCount: 2 }, strict)
    const sandbox = strict.sandbox!
    sandbox.control.requests.clear()
    twilio429Once(sandbox)
    const answer = await strict.call('GET', getMessage(path))
    const error = expectRpcError(answer, 400, 'FAILED_PRECONDITION')
    expect(error.message).toContain(`budget of ${STRICT_LIMITS.budget} upstream requests`)
    expect(sandbox.control.requests.list().map((request) => request.status)).toEqual([429])
  })

  it('whose retry cannot get its token within the call\'s deadline fails with the throttle\'s 429, sending nothing more', async () => {
    // The strict gateway's deadline (10 ms) with room in the budget for the retry.
    const roomy = await startGateway({
      sandbox: gateway.sandbox,
      config: { tpsPerNode: 25, clock: clock.now, retry: { random: () => 0 }, callLimits: { budget: 10, deadlineMs: STRICT_LIMITS.deadlineMs } }
    })
    try {
      const { name, path } = addConnection({ minNodeCount: 2, maxNodeCount: 2 }, roomy)
      expect(admittedOf(await burst(path, 49, roomy))).toBe(49)
      const sandbox = roomy.sandbox!
      sandbox.control.requests.clear()
      twilio429Once(sandbox)
      // The retry would wait 20 ms for its token; the call has 10 ms.
      const answer = await roomy.call('GET', getMessage(path))
      expectRpcError(answer, 429, 'RESOURCE_EXHAUSTED')
      expect(detail(answer, 'ErrorInfo')).toMatchObject({ reason: 'RATE_LIMIT_EXCEEDED', metadata: { connection: name, limit: '50' } })
      expect(sandbox.control.requests.list().map((request) => request.status)).toEqual([429])
      // Nothing was borrowed: 1/50 s later one call is admitted.
      clock.advance(20)
      expect((await roomy.call('GET', listOne(path))).status).toBe(200)
    } finally {
      await roomy.close()
    }
  })

  it('past its deadline sends nothing more and fails with 504 DEADLINE_EXCEEDED', async () => {
    const deadlineMs = 5_000
    const late = await startGateway({
      sandbox: gateway.sandbox,
      config: {
        tpsPerNode: 25,
        clock: clock.now,
        callLimits: { budget: 10, deadlineMs },
        // The backoff before the retry outlasts the call's deadline (the clock moves while the jitter is drawn,
        // as real time would pass during the wait).
        retry: { random: () => { clock.advance(deadlineMs); return 0 } }
      }
    })
    try {
      const { path } = addConnection({ minNodeCount: 2, maxNodeCount: 2 }, late)
      const sandbox = late.sandbox!
      sandbox.control.requests.clear()
      twilio429Once(sandbox)
      const answer = await late.call('GET', getMessage(path))
      const error = expectRpcError(answer, 504, 'DEADLINE_EXCEEDED')
      expect(error.message).toContain('deadline')
      expect(sandbox.control.requests.list().map((request) => request.status)).toEqual([429])
    } finally {
      await late.close()
    }
  })
})
