/**
 * Idempotent creates (`requestId` or `Idempotency-Key`), against a gateway with a database, as a client retrying
 * "send SMS" sees them and as Twilio (the sandbox) sees them: a repeat is answered the first answer and never sent
 * again; another request under the same key is refused; duplicates racing the first get its answer; a create whose
 * outcome is unknown is never sent again under its key, nor one whose process died while Twilio handled it; a
 * definite failure frees the key; keys expire after 24 hours (an injected clock); malformed keys are refused.
 *
 * The first suites run on the embedded database in one process; the last runs two gateways (two cluster members)
 * on one real PostgreSQL, where a key can be held by another process that is alive, or that died.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ClusterState } from '../../src/app.js'
import { DatabaseMembership, SingleProcess } from '../../src/cluster/membership.js'
import { DatabaseIdempotencyKeyStore, IDEMPOTENCY_TTL_MS, MemoryIdempotencyKeyStore, type StoredAnswer } from '../../src/idempotency/key-store.js'
import type { Fault, FaultSpec } from '../../src/sandbox/app.js'
import { DatabaseNodeCounts, MemoryNodeCounts } from '../../src/throttle/node-counts.js'
import { openTestDatabase, type TestDatabase } from '../helpers/database.js'
import { startGateway, type Answer, type TestGateway } from '../helpers/gateway.js'
import { createTestDatabase, realPostgres, realPostgresLabel, type TestPostgresDatabase } from '../helpers/postgres.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { eventually } from '../store/backends.js'
import {
  OWNED_NUMBER, SANDBOX_CONNECTION, connection, connectionAt, entityPath, expectEntity, expectRpcError, manualClock, violatedFields,
  type ManualClock
} from '../api/v2/support.js'

const SMS = { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'hi' }
const MESSAGES = entityPath('Messages')
const withKey = (key: string): string => `${MESSAGES}?requestId=${encodeURIComponent(key)}`

/** The reasons of an answer's ErrorInfo details. */
const reasonsOf = (answer: Answer): string[] =>
  (answer.body?.error?.details ?? [])
    .filter((item: { '@type': string }) => item['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo')
    .map((item: { reason: string }) => item.reason)

function expectAborted (answer: Answer, reason: string): void {
  expectRpcError(answer, 409, 'ABORTED')
  expect(reasonsOf(answer)).toEqual([reason])
}

/** A sandbox (latency so that duplicates overlap the first call) and its request log, for one suite. */
function twilio (sandbox: () => TestSandbox): { posts: () => number, clear: () => void, messageCount: () => number, inject: (fault: FaultSpec) => void } {
  return {
    posts: () => sandbox().control.requests.list().filter((request) => request.method === 'POST').length,
    clear: () => { sandbox().control.requests.clear() },
    messageCount: () => sandbox().control.store.account(sandbox().accountSid)!.messages.size,
    inject: (fault) => { sandbox().control.faults.add([{ count: 1, when: 'before', ...fault } as Fault]) }
  }
}

describe('idempotent creates on one gateway process (embedded database)', () => {
  let sandbox: TestSandbox
  let gateway: TestGateway
  let clock: ManualClock
  const upstream = twilio(() => sandbox)
  const sibling = connectionAt('sibling')

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: { calls: 5, messages: 5 }, latencyMs: 150 })
    clock = manualClock()
    // A second connection of the same account; its secret is added once the gateway (and its secret store) exists.
    gateway = await startGateway({
      sandbox,
      database: true,
      connections: [connection(sibling.name, sandbox.accountSid, 'projects/p/secrets/sibling-token/versions/1', { sandbox: true })],
      config: { clock: clock.now, retry: { baseDelayMs: 1, maxDelayMs: 5 } }
    })
    expect(gateway.secrets.addVersion('projects/p/secrets/sibling-token', sandbox.authToken)).toBe('projects/p/secrets/sibling-token/versions/1')
  })
  afterAll(async () => {
    await gateway?.close()
    await sandbox?.close()
  })
  beforeEach(() => {
    sandbox.control.faults.clear()
    upstream.clear()
  })

  it('the same requestId with the same fields creates one message; the repeat gets the identical answer, marked Idempotent-Replayed', async () => {
    const key = randomUUID()
    const before = upstream.messageCount()
    const first = await gateway.call('POST', withKey(key), { fields: SMS })
    const fields = expectEntity(first, 'Messages')
    expect(first.headers['idempotent-replayed']).toBeUndefined()
    const again = await gateway.call('POST', withKey(key), { fields: SMS })
    expect(again.status).toBe(200)
    expect(again.body).toEqual(first.body)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(upstream.posts()).toBe(1)
    expect(upstream.messageCount()).toBe(before + 1)
    expect(sandbox.control.store.account(sandbox.accountSid)!.messages.get(fields.Sid as string)).toBeDefined()
  })

  it('the Idempotency-Key header works the same, and agrees with a requestId of the same value', async () => {
    const key = `order-${randomUUID()}`
    const first = await gateway.call('POST', MESSAGES, { fields: SMS }, { 'idempotency-key': key })
    expectEntity(first, 'Messages')
    const byHeader = await gateway.call('POST', MESSAGES, { fields: SMS }, { 'idempotency-key': key })
    const byBoth = await gateway.call('POST', withKey(key), { fields: SMS }, { 'idempotency-key': key })
    const byQuery = await gateway.call('POST', withKey(key), { fields: SMS })
    for (const answer of [byHeader, byBoth, byQuery]) {
      expect(answer.body).toEqual(first.body)
      expect(answer.headers['idempotent-replayed']).toBe('true')
    }
    expect(upstream.posts()).toBe(1)
  })

  it('a requestId and an Idempotency-Key that differ → 400 INVALID_ARGUMENT naming requestId, nothing sent', async () => {
    const answer = await gateway.call('POST', withKey(randomUUID()), { fields: SMS }, { 'idempotency-key': randomUUID() })
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['requestId'])
    expect(upstream.posts()).toBe(0)
  })

  it('the same key with other fields → 409 ABORTED IDEMPOTENCY_KEY_REUSED, nothing sent; the first answer still replays', async () => {
    const key = randomUUID()
    const first = await gateway.call('POST', withKey(key), { fields: SMS })
    expectEntity(first, 'Messages')
    const other = await gateway.call('POST', withKey(key), { fields: { ...SMS, Body: 'another text' } })
    expectAborted(other, 'IDEMPOTENCY_KEY_REUSED')
    expect(other.body.error.message).toContain(key)
    expect(upstream.posts()).toBe(1)
    expect((await gateway.call('POST', withKey(key), { fields: SMS })).body).toEqual(first.body)
  })

  it('a key belongs to its connection: the same key on another connection is a different create', async () => {
    const key = randomUUID()
    const here = expectEntity(await gateway.call('POST', withKey(key), { fields: SMS }), 'Messages')
    const there = await gateway.call('POST', `${entityPath('Messages', undefined, sibling.path)}?requestId=${key}`, { fields: SMS })
    const thereFields = expectEntity(there, 'Messages', undefined, sibling.name)
    expect(there.headers['idempotent-replayed']).toBeUndefined()
    expect(thereFields.Sid).not.toBe(here.Sid)
    expect(upstream.posts()).toBe(2)
  })

  it('10 concurrent duplicates: exactly one create reaches Twilio and all 10 are answered that message (9 replayed)', async () => {
    const key = randomUUID()
    const before = upstream.messageCount()
    const answers = await Promise.all(Array.from({ length: 10 }, () => gateway.call('POST', withKey(key), { fields: SMS })))
    const sids = new Set(answers.map((answer) => expectEntity(answer, 'Messages').Sid))
    expect(sids.size).toBe(1)
    expect(answers.filter((answer) => answer.headers['idempotent-replayed'] === 'true')).toHaveLength(9)
    expect(upstream.posts()).toBe(1)
    expect(upstream.messageCount()).toBe(before + 1)
  })

  it('a create whose outcome is unknown (reset after Twilio created it) → 504; its key then answers 409 UPSTREAM_OUTCOME_UNKNOWN and is never sent again', async () => {
    const key = randomUUID()
    const before = upstream.messageCount()
    upstream.inject({ kind: 'reset', method: 'POST', when: 'after' })
    const first = await gateway.call('POST', withKey(key), { fields: SMS })
    expectRpcError(first, 504, 'DEADLINE_EXCEEDED')
    expect(reasonsOf(first)).toEqual(['UPSTREAM_OUTCOME_UNKNOWN'])
    for (let attempt = 0; attempt < 2; attempt++) {
      const retried = await gateway.call('POST', withKey(key), { fields: SMS })
      expectAborted(retried, 'UPSTREAM_OUTCOME_UNKNOWN')
      expect(retried.body.error.message).toContain(key)
    }
    // Twilio created it once, and was asked once.
    expect(upstream.posts()).toBe(1)
    expect(upstream.messageCount()).toBe(before + 1)
  })

  it('duplicates waiting on a create whose outcome turns out unknown get 409 UPSTREAM_OUTCOME_UNKNOWN, and nothing more is sent', async () => {
    const key = randomUUID()
    upstream.inject({ kind: 'status', status: 500, method: 'POST', when: 'after' })
    const answers = await Promise.all(Array.from({ length: 4 }, () => gateway.call('POST', withKey(key), { fields: SMS })))
    const statuses = answers.map((answer) => answer.status).sort()
    expect(statuses).toEqual([409, 409, 409, 504])
    for (const answer of answers) expect(reasonsOf(answer)).toContain('UPSTREAM_OUTCOME_UNKNOWN')
    expect(upstream.posts()).toBe(1)
  })

  it('a definite failure (Twilio 400: invalid number) frees the key: the same request is sent again, and the key may then take other fields', async () => {
    const key = randomUUID()
    const invalid = { ...SMS, To: '+15005550001' }
    expectRpcError(await gateway.call('POST', withKey(key), { fields: invalid }), 400, 'INVALID_ARGUMENT')
    expectRpcError(await gateway.call('POST', withKey(key), { fields: invalid }), 400, 'INVALID_ARGUMENT')
    expect(upstream.posts()).toBe(2)
    const created = await gateway.call('POST', withKey(key), { fields: SMS })
    expectEntity(created, 'Messages')
    expect(created.headers['idempotent-replayed']).toBeUndefined()
    expect(upstream.posts()).toBe(3)
  })

  it('Twilio rate limiting through every attempt (429: nothing processed) frees the key: the retry with it is sent and creates the message', async () => {
    const key = randomUUID()
    upstream.inject({ kind: 'status', status: 429, method: 'POST', count: 4 })
    expectRpcError(await gateway.call('POST', withKey(key), { fields: SMS }), 429, 'RESOURCE_EXHAUSTED')
    const created = await gateway.call('POST', withKey(key), { fields: SMS })
    expectEntity(created, 'Messages')
    expect(created.headers['idempotent-replayed']).toBeUndefined()
    expect(upstream.posts()).toBe(5)
  })

  it('a key is kept 24 hours: replayed just before, a new create just after (and then free for other fields)', async () => {
    const key = randomUUID()
    const first = expectEntity(await gateway.call('POST', withKey(key), { fields: SMS }), 'Messages')
    clock.advance(IDEMPOTENCY_TTL_MS - 1000)
    const replayed = await gateway.call('POST', withKey(key), { fields: SMS })
    expect(replayed.headers['idempotent-replayed']).toBe('true')
    expect(replayed.body.fields.Sid).toBe(first.Sid)
    expect(upstream.posts()).toBe(1)

    clock.advance(1000)
    const renewed = await gateway.call('POST', withKey(key), { fields: SMS })
    expect(renewed.headers['idempotent-replayed']).toBeUndefined()
    expect(expectEntity(renewed, 'Messages').Sid).not.toBe(first.Sid)
    expect(upstream.posts()).toBe(2)

    clock.advance(IDEMPOTENCY_TTL_MS)
    const otherFields = await gateway.call('POST', withKey(key), { fields: { ...SMS, Body: 'a day later' } })
    expect(expectEntity(otherFields, 'Messages').Body).toBe('a day later')
    expect(upstream.posts()).toBe(3)
  })

  it('a key held by a process that is gone (no heartbeat) with no answer stored → 409 UPSTREAM_OUTCOME_UNKNOWN, never sent', async () => {
    // The key a create left behind in the database, with the fingerprint this request has.
    const model = randomUUID()
    expectEntity(await gateway.call('POST', withKey(model), { fields: SMS }), 'Messages')
    const pool = gateway.db!.database.pool
    const { rows } = await pool.query<{ fingerprint: string, created_at_ms: string }>(
      'SELECT fingerprint, created_at_ms FROM idempotency_keys WHERE scope = $1 AND key = $2', [SANDBOX_CONNECTION, model])
    expect(rows).toHaveLength(1)
    // The same request, claimed by a process that died while Twilio handled it.
    const orphan = randomUUID()
    await pool.query('INSERT INTO idempotency_keys (scope, key, fingerprint, owner, created_at_ms) VALUES ($1, $2, $3, $4, $5)',
      [SANDBOX_CONNECTION, orphan, rows[0]!.fingerprint, randomUUID(), clock.now()])
    upstream.clear()

    const answer = await gateway.call('POST', withKey(orphan), { fields: SMS })
    expectAborted(answer, 'UPSTREAM_OUTCOME_UNKNOWN')
    expect(answer.body.error.message).toMatch(/may or may not have taken effect/)
    // Another request under that key is refused as reused; neither is sent.
    expectAborted(await gateway.call('POST', withKey(orphan), { fields: { ...SMS, Body: 'other' } }), 'IDEMPOTENCY_KEY_REUSED')
    expect(upstream.posts()).toBe(0)
  })

  it.each([
    ['too long (129 characters)', 'k'.repeat(129)],
    ['empty', ''],
    ['with a space', 'order 17'],
    ['with a non-ASCII letter', 'commande-é'],
    ['with a control character', 'order\u000117']
  ])('a requestId %s → 400 INVALID_ARGUMENT naming requestId, nothing sent', async (_case, key) => {
    const answer = await gateway.call('POST', withKey(key), { fields: SMS })
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['requestId'])
    expect(upstream.posts()).toBe(0)
  })

  it('an Idempotency-Key header that is too long → 400 INVALID_ARGUMENT naming it, nothing sent', async () => {
    const answer = await gateway.call('POST', MESSAGES, { fields: SMS }, { 'idempotency-key': 'k'.repeat(129) })
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual([expect.stringMatching(/idempotency-key$/i)])
    expect(upstream.posts()).toBe(0)
  })

  it('a key of 128 visible ASCII characters is accepted', async () => {
    const key = `${'!~'.repeat(63)}ok`
    expect(key).toHaveLength(128)
    expectEntity(await gateway.call('POST', withKey(key), { fields: SMS }), 'Messages')
    expect((await gateway.call('POST', withKey(key), { fields: SMS })).headers['idempotent-replayed']).toBe('true')
    expect(upstream.posts()).toBe(1)
  })
})

const suite = realPostgres().url ? describe : describe.skip

suite(`idempotent creates across gateway processes on one PostgreSQL — ${realPostgresLabel('real PostgreSQL')}`, () => {
  let postgres: TestPostgresDatabase
  let db: TestDatabase
  let sandbox: TestSandbox
  /** Two gateways, each its own cluster member; B gives up waiting for a duplicate after 300 ms (its deadline). */
  let a: TestGateway
  let b: TestGateway
  const members: DatabaseMembership[] = []
  const upstream = twilio(() => sandbox)

  async function member (): Promise<DatabaseMembership> {
    const membership = await DatabaseMembership.join(db.database.pool)
    members.push(membership)
    return membership
  }
  async function cluster (): Promise<ClusterState> {
    return {
      membership: await member(),
      nodeCounts: await DatabaseNodeCounts.open(db.database.pool, db.feed),
      idempotencyKeys: new DatabaseIdempotencyKeyStore(db.database.pool)
    }
  }

  beforeAll(async () => {
    postgres = await createTestDatabase('idempotency')
    db = await openTestDatabase({ url: postgres.url })
    sandbox = await startSandbox({ seed: { calls: 5, messages: 5 }, latencyMs: 2500 })
    a = await startGateway({ sandbox, database: db, config: { cluster: await cluster() } })
    b = await startGateway({ sandbox, database: db, config: { cluster: await cluster(), callLimits: { deadlineMs: 300 } } })
  })
  afterAll(async () => {
    await a?.close()
    await b?.close()
    for (const membership of members) await membership.stop().catch(() => {})
    await sandbox?.close()
    await db?.close()
    await postgres?.drop()
  })
  beforeEach(() => {
    upstream.clear()
  })

  it('a duplicate on B while A\'s create is in flight → 409 IDEMPOTENCY_KEY_IN_USE with Retry-After; once A is done, B replays A\'s answer', async () => {
    const key = randomUUID()
    const first = a.call('POST', withKey(key), { fields: SMS })
    await eventually('A holds the key', async () =>
      (await db.database.pool.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key])).rowCount ? true : undefined, 5000)
    const duplicate = await b.call('POST', withKey(key), { fields: SMS })
    expectAborted(duplicate, 'IDEMPOTENCY_KEY_IN_USE')
    expect(duplicate.headers['retry-after']).toBe('1')

    const answer = await first
    expectEntity(answer, 'Messages')
    const replayed = await b.call('POST', withKey(key), { fields: SMS })
    expect(replayed.body).toEqual(answer.body)
    expect(replayed.headers['idempotent-replayed']).toBe('true')
    expect(upstream.posts()).toBe(1)
  })

  it('a key held by a live process with no answer yet → 409 IN_USE; once that process is gone (its heartbeat deleted) → 409 UPSTREAM_OUTCOME_UNKNOWN, never sent', async () => {
    const model = randomUUID()
    expectEntity(await a.call('POST', withKey(model), { fields: SMS }), 'Messages')
    const { rows } = await db.database.pool.query<{ fingerprint: string }>(
      'SELECT fingerprint FROM idempotency_keys WHERE scope = $1 AND key = $2', [SANDBOX_CONNECTION, model])
    const other = await member()
    const key = randomUUID()
    await db.database.pool.query('INSERT INTO idempotency_keys (scope, key, fingerprint, owner, created_at_ms) VALUES ($1, $2, $3, $4, $5)',
      [SANDBOX_CONNECTION, key, rows[0]!.fingerprint, other.processId, Date.now()])
    upstream.clear()

    expectAborted(await b.call('POST', withKey(key), { fields: SMS }), 'IDEMPOTENCY_KEY_IN_USE')
    await other.stop()
    const orphaned = await b.call('POST', withKey(key), { fields: SMS })
    expectAborted(orphaned, 'UPSTREAM_OUTCOME_UNKNOWN')
    expectAborted(await a.call('POST', withKey(key), { fields: SMS }), 'UPSTREAM_OUTCOME_UNKNOWN')
    expect(upstream.posts()).toBe(0)
  })
})

describe('a create whose answer could not be stored', () => {
  /** A key store whose database fails just when the first successful answer is to be stored. */
  class FailingOnceStore extends MemoryIdempotencyKeyStore {
    failures = 1
    override async complete (scope: string, key: string, owner: string, answer: StoredAnswer): Promise<void> {
      if (answer.ok && this.failures-- > 0) throw new Error('connection to the database lost')
      return super.complete(scope, key, owner, answer)
    }
  }

  it('keeps its key held: a repeat is never sent to Twilio again (it waits, then gets 409 IDEMPOTENCY_KEY_IN_USE)', async () => {
    const sandbox = await startSandbox({ seed: { calls: 1, messages: 1 } })
    const upstream = twilio(() => sandbox)
    const gateway = await startGateway({
      sandbox,
      config: {
        cluster: { membership: new SingleProcess(), nodeCounts: new MemoryNodeCounts(), idempotencyKeys: new FailingOnceStore() },
        callLimits: { deadlineMs: 300 }
      }
    })
    try {
      const key = randomUUID()
      const first = await gateway.call('POST', withKey(key), { fields: SMS })
      expectRpcError(first, 500, 'INTERNAL')
      expect(JSON.stringify(first.body)).not.toContain('database')
      expect(upstream.posts()).toBe(1)
      expectAborted(await gateway.call('POST', withKey(key), { fields: SMS }), 'IDEMPOTENCY_KEY_IN_USE')
      expect(upstream.posts()).toBe(1)
    } finally {
      await gateway.close()
      await sandbox.close()
    }
  })
})
