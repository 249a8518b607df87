/**
 * CachingSecretStore with an injected clock: in front of a counting fake backend (exact counts, held reads,
 * chosen failures) and in front of the real SecretManagerStore on a local Secret Manager (gRPC), so TTL, `latest`,
 * outages and refusals are seen through the real client as the gateway runs it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GatewayError, NotFoundError } from '../../src/errors.js'
import { CachingSecretStore } from '../../src/secrets/cache.js'
import type { SecretAccess, SecretStore } from '../../src/secrets/secret-store.js'
import { failure, GATEWAY, startLocalGoogle, TEAM_A, TEAM_B, type LocalGoogle } from './google.js'

const TTL = 60_000
const GRACE = 600_000
const VERSION = 'projects/acme-proj/secrets/twilio-token/versions/latest'

class Clock {
  now = 1_700_000_000_000
  readonly read = (): number => this.now
  advance (ms: number): void { this.now += ms }
}

/** A backend that counts reads, can hold them open and can fail with a chosen error. */
class FakeBackend implements SecretStore {
  readonly reads: Array<{ versionName: string, as: SecretAccess }> = []
  readonly values = new Map<string, string>()
  failure?: Error
  /** Failures for one service account only (`''`: the gateway's own identity). */
  readonly refusals = new Map<string, Error>()
  #held: Array<() => void> = []
  hold = false

  async access (versionName: string, as: SecretAccess = {}): Promise<string> {
    this.reads.push({ versionName, as })
    // What the backend answers is decided when the read arrives; a held read is one whose answer is in transit.
    const failure = this.refusals.get(as.serviceAccount ?? '') ?? this.failure
    const value = this.values.get(`${as.serviceAccount ?? ''}|${versionName}`) ?? this.values.get(versionName)
    if (this.hold) await new Promise<void>((resolve) => this.#held.push(resolve))
    if (failure) throw failure
    if (value === undefined) throw new NotFoundError(`Secret version ${versionName} not found`)
    return value
  }

  release (): void {
    this.hold = false
    for (const resolve of this.#held.splice(0)) resolve()
  }
}

const unavailable = (): GatewayError => new GatewayError('UNAVAILABLE', 'Secret Manager is unavailable (outage)')

describe('CachingSecretStore in front of a counting backend', () => {
  let clock: Clock
  let backend: FakeBackend
  let cache: CachingSecretStore
  let outcomes: string[]

  beforeEach(() => {
    clock = new Clock()
    backend = new FakeBackend()
    backend.values.set(VERSION, 'value-1')
    outcomes = []
    cache = new CachingSecretStore(backend, { ttlMs: TTL, graceMs: GRACE, now: clock.read, onLookup: (outcome) => outcomes.push(outcome) })
  })

  it('serves a value from memory for the TTL, then reads it again', async () => {
    expect(await cache.access(VERSION)).toBe('value-1')
    clock.advance(TTL - 1)
    backend.values.set(VERSION, 'value-2')
    expect(await cache.access(VERSION)).toBe('value-1')
    expect(backend.reads).toHaveLength(1)
    clock.advance(1)
    expect(await cache.access(VERSION)).toBe('value-2')
    expect(backend.reads).toHaveLength(2)
    expect(outcomes).toEqual(['miss', 'hit', 'miss'])
    // The TTL restarts from the new read.
    clock.advance(TTL - 1)
    expect(await cache.access(VERSION)).toBe('value-2')
    expect(backend.reads).toHaveLength(2)
  })

  it('keeps each service account\'s reads apart, and passes the account to the backend', async () => {
    backend.values.set(`${TEAM_A}|${VERSION}`, 'team-a')
    backend.values.set(`${TEAM_B}|${VERSION}`, 'team-b')
    expect(await cache.access(VERSION, { serviceAccount: TEAM_A })).toBe('team-a')
    expect(await cache.access(VERSION, { serviceAccount: TEAM_B })).toBe('team-b')
    expect(await cache.access(VERSION)).toBe('value-1')
    expect(await cache.access(VERSION, { serviceAccount: TEAM_A })).toBe('team-a')
    expect(backend.reads.map((read) => read.as.serviceAccount)).toEqual([TEAM_A, TEAM_B, undefined])
  })

  it('a service account refused by the backend is refused even while another account\'s read is cached', async () => {
    expect(await cache.access(VERSION, { serviceAccount: TEAM_A })).toBe('value-1')
    backend.failure = new GatewayError('PERMISSION_DENIED', `Secret Manager refuses the service account ${TEAM_B} access to ${VERSION}`)
    const error = await failure(cache.access(VERSION, { serviceAccount: TEAM_B }))
    expect(error.code).toBe('PERMISSION_DENIED')
  })

  it('single-flight: a burst after expiry reads the backend once and every caller gets the value', async () => {
    await cache.access(VERSION)
    clock.advance(TTL)
    backend.values.set(VERSION, 'value-2')
    backend.hold = true
    const burst = Array.from({ length: 50 }, async () => cache.access(VERSION))
    await new Promise((resolve) => setImmediate(resolve))
    expect(backend.reads).toHaveLength(2)
    backend.release()
    expect(new Set(await Promise.all(burst))).toEqual(new Set(['value-2']))
    expect(backend.reads).toHaveLength(2)
  })

  it('single-flight: a failed read fails the whole burst once, and the next access asks again', async () => {
    backend.hold = true
    backend.failure = new NotFoundError(`Secret version ${VERSION} not found`)
    const burst = Array.from({ length: 20 }, async () => failure(cache.access(VERSION)))
    await new Promise((resolve) => setImmediate(resolve))
    backend.release()
    for (const error of await Promise.all(burst)) expect(error).toBeInstanceOf(NotFoundError)
    expect(backend.reads).toHaveLength(1)
    backend.failure = undefined
    expect(await cache.access(VERSION)).toBe('value-1')
    expect(backend.reads).toHaveLength(2)
  })

  it('invalidate: the next access reads again within the TTL, for every service account', async () => {
    await cache.access(VERSION)
    await cache.access(VERSION, { serviceAccount: TEAM_A })
    await cache.access('projects/acme-proj/secrets/other/versions/1').catch(() => {})
    backend.values.set(VERSION, 'value-2')
    cache.invalidate(VERSION)
    expect(await cache.access(VERSION)).toBe('value-2')
    expect(await cache.access(VERSION, { serviceAccount: TEAM_A })).toBe('value-2')
    expect(backend.reads.filter((read) => read.versionName === VERSION)).toHaveLength(4)
  })

  it('invalidate while a read is in flight: the next access reads again, and the earlier answer does not come back', async () => {
    // A refresh is on its way back with the old value when Twilio refuses the credential and the runtime
    // invalidates (the secret was rotated meanwhile): the retry must read the new version.
    clock.advance(TTL)
    backend.hold = true
    const inFlight = cache.access(VERSION)
    await new Promise((resolve) => setImmediate(resolve))
    backend.values.set(VERSION, 'value-2')
    cache.invalidate(VERSION)
    backend.hold = false
    const retry = cache.access(VERSION)
    backend.release()
    expect(await inFlight).toBe('value-1')
    expect(await retry).toBe('value-2')
    // Nor does the old answer, landing after the invalidation, replace the new value in the cache.
    expect(await cache.access(VERSION)).toBe('value-2')
  })

  it('a refusal for one service account does not evict another account\'s cached value (its grace period survives)', async () => {
    backend.values.set(`${TEAM_A}|${VERSION}`, 'team-a')
    expect(await cache.access(VERSION, { serviceAccount: TEAM_A })).toBe('team-a')
    // Another team's connection points at the same secret and is refused (per principal, not per version).
    backend.refusals.set(TEAM_B, new GatewayError('PERMISSION_DENIED', `Secret Manager refuses the service account ${TEAM_B} access to ${VERSION}`))
    expect((await failure(cache.access(VERSION, { serviceAccount: TEAM_B }))).code).toBe('PERMISSION_DENIED')
    expect(await cache.access(VERSION, { serviceAccount: TEAM_A })).toBe('team-a')
    expect(backend.reads.filter((read) => read.as.serviceAccount === TEAM_A)).toHaveLength(1)
    // Then Secret Manager goes down: team A's connection keeps its grace period.
    backend.failure = unavailable()
    clock.advance(TTL)
    expect(await cache.access(VERSION, { serviceAccount: TEAM_A })).toBe('team-a')
    expect(backend.reads.filter((read) => read.as.serviceAccount === TEAM_A)).toHaveLength(2)
  })

  it('invalidate forgets only that version', async () => {
    const other = 'projects/acme-proj/secrets/proxy-password/versions/1'
    backend.values.set(other, 'proxy')
    await cache.access(VERSION)
    await cache.access(other)
    cache.invalidate(VERSION)
    await cache.access(other)
    expect(backend.reads.filter((read) => read.versionName === other)).toHaveLength(1)
  })

  it('during an outage a value past its TTL keeps serving until TTL + grace, then the outage surfaces', async () => {
    await cache.access(VERSION)
    backend.failure = unavailable()
    clock.advance(TTL)
    expect(await cache.access(VERSION)).toBe('value-1')
    clock.advance(GRACE - 1)
    expect(await cache.access(VERSION)).toBe('value-1')
    expect(outcomes).toEqual(['miss', 'stale', 'stale'])
    clock.advance(1)
    const error = await failure(cache.access(VERSION))
    expect(error.code).toBe('UNAVAILABLE')
    // Every access past the TTL asked the backend (it may be back).
    expect(backend.reads).toHaveLength(4)
    // Back: a fresh read, cached again with a new TTL.
    backend.failure = undefined
    backend.values.set(VERSION, 'value-2')
    expect(await cache.access(VERSION)).toBe('value-2')
    backend.failure = unavailable()
    clock.advance(TTL + GRACE - 1)
    expect(await cache.access(VERSION)).toBe('value-2')
  })

  it('during an outage the stale value is served without asking the backend for 10 seconds after each failure', async () => {
    await cache.access(VERSION)
    backend.failure = unavailable()
    clock.advance(TTL)
    expect(await cache.access(VERSION)).toBe('value-1')
    expect(backend.reads).toHaveLength(2)
    // A burst of calls during the outage costs no backend round trip (no added latency per call).
    for (let second = 0; second < 9; second++) {
      clock.advance(1_000)
      expect(await cache.access(VERSION)).toBe('value-1')
    }
    expect(backend.reads).toHaveLength(2)
    // Then the backend is asked again; once it is back, its value is served.
    backend.failure = undefined
    backend.values.set(VERSION, 'value-2')
    clock.advance(1_000)
    expect(await cache.access(VERSION)).toBe('value-2')
    expect(backend.reads).toHaveLength(3)
  })

  it('an outage with nothing cached surfaces at once', async () => {
    backend.failure = unavailable()
    expect((await failure(cache.access(VERSION))).code).toBe('UNAVAILABLE')
  })

  it.each([
    ['NOT_FOUND', () => new NotFoundError(`Secret version ${VERSION} not found`)],
    ['PERMISSION_DENIED', () => new GatewayError('PERMISSION_DENIED', `Secret Manager refuses the gateway access to ${VERSION}`)],
    ['FAILED_PRECONDITION (disabled)', () => new GatewayError('FAILED_PRECONDITION', `Secret version ${VERSION} is disabled`)]
  ])('%s from the backend is never answered from the cache, not even during a later outage', async (_label, refusal) => {
    await cache.access(VERSION)
    clock.advance(TTL)
    backend.failure = refusal()
    const refused = await failure(cache.access(VERSION))
    expect(refused).toBe(backend.failure)
    // Still refused within what would have been the grace period...
    expect(await failure(cache.access(VERSION))).toBe(backend.failure)
    // ...and an outage right after does not bring the old value back.
    backend.failure = unavailable()
    expect((await failure(cache.access(VERSION))).code).toBe('UNAVAILABLE')
    expect(outcomes).not.toContain('stale')
  })
})

describe('CachingSecretStore in front of the real SecretManagerStore', () => {
  const SECRET = 'projects/acme-proj/secrets/cached-token'
  const LATEST = `${SECRET}/versions/latest`
  let google: LocalGoogle
  let clock: Clock
  let cache: CachingSecretStore

  beforeAll(async () => {
    google = await startLocalGoogle()
    google.sm.addVersion(SECRET, 'sm-value-1')
    google.sm.grant(SECRET, GATEWAY)
    google.sm.grant(SECRET, TEAM_A)
    clock = new Clock()
    cache = new CachingSecretStore(google.store(), { ttlMs: TTL, graceMs: GRACE, now: clock.read })
  })
  afterAll(async () => {
    await google?.close()
  })

  const reads = (): number => google.sm.accesses({ name: LATEST }).length

  it('hits within the TTL; latest picks up a new version after the TTL, without a restart', async () => {
    expect(await cache.access(LATEST)).toBe('sm-value-1')
    google.sm.addVersion(SECRET, 'sm-value-2')
    clock.advance(TTL - 1)
    expect(await cache.access(LATEST)).toBe('sm-value-1')
    expect(reads()).toBe(1)
    clock.advance(1)
    expect(await cache.access(LATEST)).toBe('sm-value-2')
    expect(reads()).toBe(2)
  })

  it('invalidate picks up a new version at once (what the runtime does when Twilio refuses a credential)', async () => {
    google.sm.addVersion(SECRET, 'sm-value-3')
    expect(await cache.access(LATEST)).toBe('sm-value-2')
    cache.invalidate(LATEST)
    expect(await cache.access(LATEST)).toBe('sm-value-3')
  })

  it('single-flight: a burst of 25 reads reaches Secret Manager once', async () => {
    clock.advance(TTL)
    google.sm.clearCalls()
    google.sm.latencyMs = 50
    try {
      const values = await Promise.all(Array.from({ length: 25 }, async () => cache.access(LATEST)))
      expect(new Set(values)).toEqual(new Set(['sm-value-3']))
    } finally {
      google.sm.latencyMs = 0
    }
    expect(google.sm.calls).toHaveLength(1)
  })

  it('reads per service account: a connection\'s account reads as itself, cached apart from the gateway\'s read', async () => {
    google.sm.clearCalls()
    expect(await cache.access(LATEST, { serviceAccount: TEAM_A })).toBe('sm-value-3')
    expect(await cache.access(LATEST, { serviceAccount: TEAM_A })).toBe('sm-value-3')
    expect(google.sm.calls.map((call) => call.principal)).toEqual([TEAM_A])
    // TEAM_B holds no role on the secret: the value cached for the gateway and TEAM_A does not serve it.
    const error = await failure(cache.access(LATEST, { serviceAccount: TEAM_B }))
    expect(error.code).toBe('PERMISSION_DENIED')
    expect(google.sm.calls.map((call) => [call.principal, call.code])).toEqual([[TEAM_A, 'OK'], [TEAM_B, 'PERMISSION_DENIED']])
  })

  it('Secret Manager UNAVAILABLE: the cached value serves past its TTL until TTL + grace, then the outage surfaces', async () => {
    clock.advance(TTL)
    expect(await cache.access(LATEST)).toBe('sm-value-3')
    google.sm.unavailable = true
    try {
      clock.advance(TTL + GRACE - 1)
      expect(await cache.access(LATEST)).toBe('sm-value-3')
      clock.advance(1)
      const error = await failure(cache.access(LATEST))
      expect(error).toBeInstanceOf(GatewayError)
      expect(error.code).toBe('UNAVAILABLE')
    } finally {
      google.sm.unavailable = false
    }
    expect(await cache.access(LATEST)).toBe('sm-value-3')
  })

  it('IAM Credentials down (the account\'s token cannot be refreshed): the cached value serves within the grace period', async () => {
    // Tokens minted for a minute are due for refresh at once: every read as TEAM_A asks IAM Credentials.
    google.iam.issuedLifetimeSeconds = 60
    const own = new CachingSecretStore(google.store(), { ttlMs: TTL, graceMs: GRACE, now: clock.read })
    try {
      expect(await own.access(LATEST, { serviceAccount: TEAM_A })).toBe('sm-value-3')
      google.iam.unavailable = true
      clock.advance(TTL)
      expect(await own.access(LATEST, { serviceAccount: TEAM_A })).toBe('sm-value-3')
    } finally {
      google.iam.unavailable = false
      google.iam.issuedLifetimeSeconds = undefined
    }
  })

  it('a secret deleted in Secret Manager → NOT_FOUND once it says so, never the cached value', async () => {
    const gone = 'projects/acme-proj/secrets/deleted-later'
    const name = google.sm.addVersion(gone, 'soon-gone')
    google.sm.grant(gone, GATEWAY)
    expect(await cache.access(name)).toBe('soon-gone')
    google.sm.deleteSecret(gone)
    clock.advance(TTL)
    expect(await failure(cache.access(name))).toBeInstanceOf(NotFoundError)
    expect(await failure(cache.access(name))).toBeInstanceOf(NotFoundError)
  })

  it('access revoked in Secret Manager → PERMISSION_DENIED once it says so; a later outage does not revive the value', async () => {
    const revoked = 'projects/acme-proj/secrets/revoked-later'
    const name = google.sm.addVersion(revoked, 'soon-revoked')
    google.sm.grant(revoked, GATEWAY)
    expect(await cache.access(name)).toBe('soon-revoked')
    google.sm.revoke(revoked, GATEWAY)
    clock.advance(TTL)
    expect((await failure(cache.access(name))).code).toBe('PERMISSION_DENIED')
    google.sm.unavailable = true
    try {
      expect((await failure(cache.access(name))).code).toBe('UNAVAILABLE')
    } finally {
      google.sm.unavailable = false
    }
  })
})
