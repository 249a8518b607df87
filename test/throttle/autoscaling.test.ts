/**
 * Node autoscaling as a user sees it, on a gateway with a database (the v1 management API, node counts stored in
 * PostgreSQL) at Google's 25 transactions per second per node, and a clock the tests move by hand: a connection
 * throttled for a sustained minute grows by one node (its limit, its 429s' ErrorInfo and its status description
 * follow) up to its maxNodeCount; after five quiet minutes it shrinks by one, down to its minNodeCount; with
 * minNodeCount = maxNodeCount it never moves. The count never shows in `nodeConfig` or `connectionRevision` (so
 * Terraform sees no diff), and `/metrics` reports it.
 *
 * Time here is the hand clock's: "a minute" is a jump of the clock, never a wait. A scaling step is written to the
 * database after the call that triggers it has been answered, so the tests wait (briefly, in real time) for the
 * status description to show it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, detail, startGateway, type Answer, type TestGateway } from '../helpers/gateway.js'
import { SLOT_MS } from '../../src/throttle/autoscaler.js'
import { eventually } from '../store/backends.js'
import { T0 } from '../api/v2/support.js'
import { connectionBody, connectionUrl, created, expectRpcError, PARENT, runtimeUrl, V1 } from '../api/v1/support.js'

const MINUTE = 60_000
/** How long (real time) a scaling step may take to reach the status description. */
const STEP_LANDS_WITHIN_MS = 10_000

let now = T0
const clock = { now: (): number => now }
/** Moves the hand clock to `ms` after `base` (never backwards). */
function at (base: number, ms: number): void {
  expect(base + ms).toBeGreaterThanOrEqual(now)
  now = base + ms
}

let gateway: TestGateway

beforeAll(async () => {
  gateway = await startGateway({ sandbox: true, database: true, config: { tpsPerNode: 25, clock: clock.now } })
})
afterAll(async () => {
  await gateway?.close()
})

async function createConnection (id: string, nodeConfig: { minNodeCount: number, maxNodeCount: number }): Promise<string> {
  const connection = await created(gateway, id, connectionBody(gateway, { nodeConfig }))
  expect(connection.nodeConfig).toEqual(nodeConfig)
  return connection.name as string
}

/** Runtime calls (a one-row List) until the throttle refuses one; answers how many were admitted and the refusal. */
async function untilRefused (id: string, atMost = 500): Promise<{ admitted: number, refusal: Answer }> {
  for (let admitted = 0; admitted <= atMost; admitted++) {
    const answer = await gateway.call('GET', runtimeUrl(id))
    if (answer.status === 429) return { admitted, refusal: answer }
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  }
  throw new Error(`no refusal within ${atMost} calls`)
}

/** The node count and limit a 429 of the connection states (ErrorInfo), checked against its message. */
function refusedWith (refusal: Answer): { nodes: number, limit: number } {
  const error = expectRpcError(refusal, 429, 'RESOURCE_EXHAUSTED')
  const info = detail(refusal, 'ErrorInfo')
  expect(info.reason).toBe('RATE_LIMIT_EXCEEDED')
  const nodes = Number(info.metadata.nodes)
  const limit = Number(info.metadata.limit)
  expect(error.message).toContain(`over its rate limit of ${limit} transactions per second (${nodes} node${nodes === 1 ? '' : 's'})`)
  return { nodes, limit }
}

/**
 * Keeps the connection throttled from `from` to `to` ms after `base`: every `every` ms (≤ 10 s), calls until one
 * is refused. Answers what each refusal said.
 */
async function throttle (id: string, base: number, from: number, to: number, every = 10_000): Promise<Array<{ nodes: number, limit: number }>> {
  const said = []
  for (let ms = from; ms <= to; ms += every) {
    at(base, ms)
    said.push(refusedWith((await untilRefused(id)).refusal))
  }
  return said
}

async function v1Connection (id: string): Promise<Record<string, any>> {
  const answer = await gateway.call('GET', connectionUrl(id))
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body
}

function capacityText (nodes: number): string {
  return `running on ${nodes} nodes: ${nodes * 25} transactions per second`
}

/** Waits until the status description says `nodes` nodes. */
async function runsOn (id: string, nodes: number): Promise<void> {
  await eventually(`${id} running on ${nodes} nodes`, async () => {
    const description = (await v1Connection(id)).status.description as string
    return description.endsWith(capacityText(nodes)) ? true : undefined
  }, STEP_LANDS_WITHIN_MS, 20)
}

/**
 * Waits until the status description says `nodes` nodes, then calls once more at the same instant, as further
 * traffic (or the throttle's 10 s tick) would: this process's throttle takes up a new count, and starts its next
 * window, when it next looks at the connection.
 */
async function stepsTo (id: string, nodes: number): Promise<Answer> {
  await runsOn(id, nodes)
  return gateway.call('GET', runtimeUrl(id))
}

/** Asserts that the status description keeps saying `nodes` nodes for a while (a step would land by then). */
async function staysOn (id: string, nodes: number): Promise<void> {
  for (let check = 0; check < 10; check++) {
    expect((await v1Connection(id)).status.description).toMatch(new RegExp(`; ${capacityText(nodes)}$`))
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function nodesMetric (name: string): Promise<number | undefined> {
  const answer = await gateway.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  expect(answer.statusCode).toBe(200)
  const line = answer.body.split('\n').find((text) => text.startsWith(`gateway_connection_nodes{connection="${name}"}`))
  return line === undefined ? undefined : Number(line.split(' ').at(-1))
}

describe('a connection with nodeConfig 2–4, kept over its limit', () => {
  const id = 'scaled'
  let name: string
  let base: number
  let before: Record<string, any>

  it('starts on its minimum: 2 nodes, 50 transactions per second, said by its status description and its 429s', async () => {
    name = await createConnection(id, { minNodeCount: 2, maxNodeCount: 4 })
    before = await v1Connection(id)
    expect(before.status).toEqual({ state: 'ACTIVE', description: expect.stringMatching(new RegExp(`; ${capacityText(2)}$`)) })
    base = now
    const { admitted, refusal } = await untilRefused(id)
    expect(admitted).toBe(50)
    expect(refusedWith(refusal)).toEqual({ nodes: 2, limit: 50 })
    expect(detail(refusal, 'ErrorInfo').metadata).toEqual({ connection: name, limit: '50', nodes: '2', gatewayProcesses: '1' })
  })

  it('is still on 2 nodes after 59.999 s of throttling (refusals every 10 s)', async () => {
    const said = await throttle(id, base, 10_000, 50_000)
    said.push(...await throttle(id, base, MINUTE - 1, MINUTE - 1))
    expect(said).toEqual(Array(6).fill({ nodes: 2, limit: 50 }))
    await staysOn(id, 2)
  }, 60_000)

  it('grows to exactly 3 nodes at 60 s: 75 transactions per second in its 429s and its status description', async () => {
    // Refused again at 60 s (1 ms after the bucket was emptied): a minute of throttling.
    at(base, MINUTE)
    expect(refusedWith(await gateway.call('GET', runtimeUrl(id)))).toEqual({ nodes: 2, limit: 50 })
    const next = await stepsTo(id, 3)
    // The fraction of a token it held is kept (no burst of the new size at once)…
    expect(refusedWith(next)).toEqual({ nodes: 3, limit: 75 })
    expect(detail(next, 'ErrorInfo').metadata).toEqual({ connection: name, limit: '75', nodes: '3', gatewayProcesses: '1' })
    // …and it refills at 75 per second, with a burst of 75.
    at(base, MINUTE + 1000)
    const { admitted, refusal } = await untilRefused(id)
    expect(admitted).toBe(75)
    expect(refusedWith(refusal)).toEqual({ nodes: 3, limit: 75 })
    // 1/75 s, rounded up to whole milliseconds.
    expect(refusal.body.error.message).toMatch(/^Connection \S+ is over its rate limit of 75 transactions per second \(3 nodes\); retry in 0\.014 s$/)
    expect((await v1Connection(id)).status.description).toMatch(new RegExp(`; ${capacityText(3)}$`))
  }, 60_000)

  it('keeps nodeConfig, connectionRevision and updateTime as they were (Terraform sees no diff)', async () => {
    const after = await v1Connection(id)
    expect(after.nodeConfig).toEqual({ minNodeCount: 2, maxNodeCount: 4 })
    expect(after.connectionRevision).toBe(before.connectionRevision)
    const { status: statusBefore, ...restBefore } = before
    const { status: statusAfter, ...restAfter } = after
    expect(restAfter).toEqual(restBefore)
    expect(statusAfter.state).toBe(statusBefore.state)
    expect(statusAfter.description).toBe((statusBefore.description as string).replace(capacityText(2), capacityText(3)))
  })

  it('/metrics reports gateway_connection_nodes 3 for it', async () => {
    expect(await nodesMetric(name)).toBe(3)
  })

  it('takes one step per minute: still 3 nodes until another full minute of throttling, then 4', async () => {
    const said = await throttle(id, base, MINUTE + 10_000, 2 * MINUTE - 10_000)
    said.push(...await throttle(id, base, 2 * MINUTE - 1, 2 * MINUTE - 1))
    expect(said).toEqual(Array(6).fill({ nodes: 3, limit: 75 }))
    await staysOn(id, 3)
    at(base, 2 * MINUTE)
    expect(refusedWith(await gateway.call('GET', runtimeUrl(id)))).toEqual({ nodes: 3, limit: 75 })
    expect(refusedWith(await stepsTo(id, 4))).toEqual({ nodes: 4, limit: 100 })
    at(base, 2 * MINUTE + 1000)
    const { admitted, refusal } = await untilRefused(id)
    expect(admitted).toBe(100)
    expect(refusedWith(refusal)).toEqual({ nodes: 4, limit: 100 })
    expect(await nodesMetric(name)).toBe(4)
  }, 90_000)

  it('never grows above maxNodeCount (4), however long it stays throttled', async () => {
    // Refused every 10 s for 70 s more: a minute's throttling, which would add a node below the maximum.
    const said = await throttle(id, base, 2 * MINUTE + 10_000, 3 * MINUTE + 10_000)
    expect(said).toEqual(Array(7).fill({ nodes: 4, limit: 100 }))
    await staysOn(id, 4)
  }, 120_000)

  it('shrinks by one node after five quiet minutes, not before', async () => {
    // The last refusal was at 3 min 10 s.
    const quiet = base + 3 * MINUTE + 10_000
    at(quiet, 5 * MINUTE - 1)
    expect((await gateway.call('GET', runtimeUrl(id))).status).toBe(200)
    await staysOn(id, 4)
    at(quiet, 5 * MINUTE)
    expect((await gateway.call('GET', runtimeUrl(id))).status).toBe(200)
    expect((await stepsTo(id, 3)).status).toBe(200)
    expect(await nodesMetric(name)).toBe(3)
  }, 60_000)

  it('shrinks again after five more quiet minutes, down to minNodeCount (2), and no further', async () => {
    const stepped = now
    at(stepped, 5 * MINUTE - 1)
    expect((await gateway.call('GET', runtimeUrl(id))).status).toBe(200)
    await staysOn(id, 3)
    at(stepped, 5 * MINUTE)
    expect((await gateway.call('GET', runtimeUrl(id))).status).toBe(200)
    expect((await stepsTo(id, 2)).status).toBe(200)
    at(stepped, 20 * MINUTE)
    expect((await gateway.call('GET', runtimeUrl(id))).status).toBe(200)
    at(stepped, 60 * MINUTE)
    expect((await gateway.call('GET', runtimeUrl(id))).status).toBe(200)
    await staysOn(id, 2)
    at(stepped, 60 * MINUTE + 1000)
    const { admitted, refusal } = await untilRefused(id)
    expect(admitted).toBe(50)
    expect(refusedWith(refusal)).toEqual({ nodes: 2, limit: 50 })
    const after = await v1Connection(id)
    expect(after.nodeConfig).toEqual({ minNodeCount: 2, maxNodeCount: 4 })
    expect(after.connectionRevision).toBe(before.connectionRevision)
    expect(await nodesMetric(name)).toBe(2)
  }, 60_000)
})

describe('a connection with minNodeCount = maxNodeCount', () => {
  it('keeps its fixed limit through two minutes of throttling and an hour of quiet', async () => {
    const name = await createConnection('fixed', { minNodeCount: 1, maxNodeCount: 1 })
    const base = now
    const said = await throttle('fixed', base, 0, 2 * MINUTE + 10_000)
    expect(said).toEqual(Array(14).fill({ nodes: 1, limit: 25 }))
    at(base, 62 * MINUTE)
    expect((await gateway.call('GET', runtimeUrl('fixed'))).status).toBe(200)
    await staysOn('fixed', 1)
    expect((await untilRefused('fixed')).admitted).toBe(24)
    expect(await nodesMetric(name)).toBe(1)
  }, 90_000)
})

describe('a connection that is busy but never refused', () => {
  it('does not grow, however long the traffic lasts', async () => {
    await createConnection('steady', { minNodeCount: 2, maxNodeCount: 4 })
    const base = now
    // Its whole burst (50) every 10 s for two minutes: the bucket emptied each time, but no call refused.
    for (let ms = 0; ms <= 2 * MINUTE; ms += 10_000) {
      at(base, ms)
      for (let call = 0; call < 50; call++) expect((await gateway.call('GET', runtimeUrl('steady'))).status).toBe(200)
    }
    await staysOn('steady', 2)
  }, 90_000)
})

describe('a quiet connection whose busiest ten seconds would not fit one node fewer with 20% to spare', () => {
  it('keeps its nodes after five quiet minutes, while one as throttled but quiet since steps down', async () => {
    await createConnection('busy', { minNodeCount: 2, maxNodeCount: 3 })
    await createConnection('idle', { minNodeCount: 2, maxNodeCount: 3 })
    const base = now
    // Both throttled for a minute, the same way at the same instants: both grow to 3 nodes at 60 s.
    for (let ms = 0; ms <= MINUTE; ms += 10_000) {
      at(base, ms)
      await untilRefused('busy')
      await untilRefused('idle')
    }
    expectRpcError(await stepsTo('busy', 3), 429, 'RESOURCE_EXHAUSTED')
    expectRpcError(await stepsTo('idle', 3), 429, 'RESOURCE_EXHAUSTED')
    // Then, never refused, 50 a second for nine seconds within one ten-second slot of the clock: 45 a second, more
    // than 80% of what 2 nodes admit (40 a second).
    const slot = Math.ceil((now + 1000) / SLOT_MS) * SLOT_MS
    for (let second = 0; second < 9; second++) {
      at(slot, second * 1000)
      for (let call = 0; call < 50; call++) expect((await gateway.call('GET', runtimeUrl('busy'))).status).toBe(200)
    }
    // Five quiet minutes after the last refusal (at 60 s): the idle one steps down; the busy one, with that busy
    // slot among its five minutes, does not.
    at(base, 6 * MINUTE)
    expect((await gateway.call('GET', runtimeUrl('busy'))).status).toBe(200)
    expect((await gateway.call('GET', runtimeUrl('idle'))).status).toBe(200)
    await runsOn('idle', 2)
    await staysOn('busy', 3)
    // Once that slot is more than five minutes old, it steps down.
    at(base, 7 * MINUTE)
    expect((await gateway.call('GET', runtimeUrl('busy'))).status).toBe(200)
    await runsOn('busy', 2)
  }, 90_000)
})

describe('the v1 management API', () => {
  it('answers while the connection is throttled, and takes nothing from its bucket', async () => {
    await createConnection('managed', { minNodeCount: 2, maxNodeCount: 4 })
    expect((await untilRefused('managed')).admitted).toBe(50)
    const answers = [
      await gateway.call('GET', connectionUrl('managed')),
      await gateway.call('GET', `${V1}/connections`),
      await gateway.call('GET', `${V1}/operations`),
      await gateway.call('PATCH', `${connectionUrl('managed')}?updateMask=description`, { description: 'changed while throttled' }),
      await gateway.call('GET', `/v1/${PARENT}/connections/managed/connectionSchemaMetadata`)
    ]
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answers[3]!.body.response.description).toBe('changed while throttled')
    expectRpcError(await gateway.call('GET', runtimeUrl('managed')), 429, 'RESOURCE_EXHAUSTED')
    at(now, 20)
    expect((await gateway.call('GET', runtimeUrl('managed'))).status).toBe(200)
    expectRpcError(await gateway.call('GET', runtimeUrl('managed')), 429, 'RESOURCE_EXHAUSTED')
  })

  it('raising minNodeCount raises the limit (no autoscaling needed); the status description says so', async () => {
    await createConnection('raised', { minNodeCount: 2, maxNodeCount: 4 })
    expect((await untilRefused('raised')).admitted).toBe(50)
    const update = await gateway.call('PATCH', `${connectionUrl('raised')}?updateMask=nodeConfig`, { nodeConfig: { minNodeCount: 3, maxNodeCount: 4 } })
    expect(update.status, JSON.stringify(update.body)).toBe(200)
    expect(refusedWith(await stepsTo('raised', 3))).toEqual({ nodes: 3, limit: 75 })
    at(now, 1000)
    const { admitted, refusal } = await untilRefused('raised')
    expect(admitted).toBe(75)
    expect(refusedWith(refusal)).toEqual({ nodes: 3, limit: 75 })
  })
})
