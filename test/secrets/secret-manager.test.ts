/**
 * The real SecretManagerStore (on `@google-cloud/secret-manager`, through the client library's own gRPC protocol —
 * the client object is not mocked) against a local Secret Manager server built from the library's bundled protos,
 * with impersonation through a local IAM Credentials stand-in. Every call carries the bearer token of the identity
 * it acts as; the servers check it, so the tests see who read what. Nothing leaves loopback: every socket the
 * process opens is recorded, and a metadata-server stand-in (GCE_METADATA_HOST) proves no lookup happens.
 */
import { setImmediate as tick } from 'node:timers/promises'
import { GoogleAuth } from 'google-auth-library'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FailedPreconditionError, GatewayError, InvalidArgumentError, NotFoundError } from '../../src/errors.js'
import type { SecretManagerStore } from '../../src/secrets/secret-manager.js'
import {
  GATEWAY, ROGUE, TEAM_A, TEAM_B, failure, installMetadataTrap, startLocalGoogle, staticIdentity, watchConnections,
  type LocalGoogle, type MetadataTrap
} from './google.js'

const SECRET = 'projects/acme-proj/secrets/twilio-auth-token'
const TEAM_A_SECRET = 'projects/acme-proj/secrets/team-a-twilio-token'
const OTHER_TEAM_SECRET = 'projects/globex-proj/secrets/globex-twilio-token'
const VALUES = ['first-token-0f3a9c', 'second-token-77b1e2', 'third-token-c0ffee']

let google: LocalGoogle
let store: SecretManagerStore
let network: ReturnType<typeof watchConnections>
let trap: MetadataTrap

beforeAll(async () => {
  trap = await installMetadataTrap()
  network = watchConnections()
  google = await startLocalGoogle()
  store = google.store()
  for (const value of VALUES) google.sm.addVersion(SECRET, value)
  google.sm.grant(SECRET, GATEWAY)
  google.sm.addVersion(TEAM_A_SECRET, 'team-a-value')
  google.sm.grant(TEAM_A_SECRET, TEAM_A)
  google.sm.addVersion(OTHER_TEAM_SECRET, 'globex-value')
  google.sm.grant(OTHER_TEAM_SECRET, TEAM_B)
})

afterAll(async () => {
  await google?.close()
  network?.restore()
  await trap?.restore()
})

describe('reading secret versions as the gateway', () => {
  it('reads a specific version, byte for byte, with the gateway\'s own token', async () => {
    google.sm.clearCalls()
    expect(await store.access(`${SECRET}/versions/2`)).toBe(VALUES[1])
    expect(google.sm.calls).toEqual([{
      method: 'AccessSecretVersion', name: `${SECRET}/versions/2`, principal: GATEWAY, code: 'OK', resolved: `${SECRET}/versions/2`
    }])
  })

  it('keeps multi-byte UTF-8, whitespace and a trailing newline as stored', async () => {
    const value = 'tökén with\ttabs and ✓ and a newline\n'
    const name = google.sm.addVersion('projects/acme-proj/secrets/unicode', value)
    google.sm.grant('projects/acme-proj/secrets/unicode', GATEWAY)
    expect(await store.access(name)).toBe(value)
  })

  it('reads latest as the highest enabled version, following new and disabled versions', async () => {
    google.sm.clearCalls()
    expect(await store.access(`${SECRET}/versions/latest`)).toBe(VALUES[2])
    expect(google.sm.calls.at(-1)).toMatchObject({ name: `${SECRET}/versions/latest`, resolved: `${SECRET}/versions/3` })

    const fourth = google.sm.addVersion(SECRET, 'fourth-token')
    expect(await store.access(`${SECRET}/versions/latest`)).toBe('fourth-token')
    google.sm.setVersionState(fourth, 'DISABLED')
    expect(await store.access(`${SECRET}/versions/latest`)).toBe(VALUES[2])
    google.sm.setVersionState(fourth, 'ENABLED')
  })

  it('a disabled version → FAILED_PRECONDITION naming it', async () => {
    const name = google.sm.addVersion(SECRET, 'disabled-token', 'DISABLED')
    const error = await failure(store.access(name))
    expect(error).toBeInstanceOf(FailedPreconditionError)
    expect(error.message).toContain(name)
    google.sm.setVersionState(name, 'DESTROYED')
  })

  it('an unknown secret, or an unknown version of a known one → NotFoundError naming the version', async () => {
    for (const name of ['projects/acme-proj/secrets/never-created/versions/1', `${SECRET}/versions/99`, 'projects/acme-proj/secrets/never-created/versions/latest']) {
      const error = await failure(store.access(name))
      expect(error, name).toBeInstanceOf(NotFoundError)
      expect(error.message).toContain(name)
    }
  })

  it('a secret the gateway holds no role on → PERMISSION_DENIED naming the version and the gateway', async () => {
    google.sm.clearCalls()
    const name = `${TEAM_A_SECRET}/versions/1`
    const error = await failure(store.access(name))
    expect(error).toBeInstanceOf(GatewayError)
    expect(error.code).toBe('PERMISSION_DENIED')
    expect(error.message).toContain(name)
    expect(error.message).toContain('the gateway')
    expect(google.sm.calls).toEqual([expect.objectContaining({ name, principal: GATEWAY, code: 'PERMISSION_DENIED' })])
  })

  it('a token Secret Manager does not know → PERMISSION_DENIED (the server answered UNAUTHENTICATED)', async () => {
    google.sm.clearCalls()
    const stranger = google.store({ identity: staticIdentity('ya29.revoked-or-foreign-token') })
    const error = await failure(stranger.access(`${SECRET}/versions/1`))
    expect(error).toBeInstanceOf(GatewayError)
    expect(error.code).toBe('PERMISSION_DENIED')
    expect(google.sm.calls).toEqual([expect.objectContaining({ principal: null, code: 'UNAUTHENTICATED' })])
  })

  it('a malformed name → InvalidArgumentError, without calling Secret Manager', async () => {
    google.sm.clearCalls()
    for (const name of ['projects/acme-proj/secrets/x', 'projects/acme-proj/secrets/x/versions/0', 'projects/a/secrets/x/versions/1/../2', '']) {
      expect(await failure(store.access(name)), name).toBeInstanceOf(InvalidArgumentError)
    }
    expect(google.sm.calls).toEqual([])
  })

  it('Secret Manager unavailable → UNAVAILABLE, within the call deadline; back once it is', async () => {
    google.sm.clearCalls()
    google.sm.unavailable = true
    try {
      const started = Date.now()
      const error = await failure(store.access(`${SECRET}/versions/1`))
      expect(error).toBeInstanceOf(GatewayError)
      expect(error.code).toBe('UNAVAILABLE')
      expect(error.message).toMatch(/Secret Manager is unavailable/)
      expect(Date.now() - started).toBeLessThan(5000)
      const attempts = google.sm.calls.filter((call) => call.code === 'UNAVAILABLE').length
      expect(attempts).toBeGreaterThanOrEqual(1)
      expect(attempts).toBeLessThanOrEqual(3)
    } finally {
      google.sm.unavailable = false
    }
    expect(await store.access(`${SECRET}/versions/1`)).toBe(VALUES[0])
  })
})

describe('transient failures', () => {
  it('a single UNAVAILABLE blip is retried (the store makes up to three attempts) and the read succeeds', async () => {
    google.sm.clearCalls()
    google.sm.failNext(1)
    const started = Date.now()
    expect(await store.access(`${SECRET}/versions/1`)).toBe(VALUES[0])
    expect(google.sm.calls.map((call) => call.code)).toEqual(['UNAVAILABLE', 'OK'])
    expect(Date.now() - started).toBeLessThan(5000)
  })
})

describe('reading as a connection\'s service account (impersonation)', () => {
  it('asks IAM Credentials for the account\'s token as the gateway, and Secret Manager sees the account as the reader', async () => {
    google.sm.clearCalls()
    const before = google.iam.requests.length
    expect(await store.access(`${TEAM_A_SECRET}/versions/latest`, { serviceAccount: TEAM_A })).toBe('team-a-value')
    expect(google.iam.requests.slice(before)).toEqual([{
      serviceAccount: TEAM_A,
      caller: GATEWAY,
      scope: ['https://www.googleapis.com/auth/cloud-platform'],
      lifetime: '3600s',
      delegates: [],
      status: 200
    }])
    expect(google.sm.calls).toEqual([expect.objectContaining({ name: `${TEAM_A_SECRET}/versions/latest`, principal: TEAM_A, code: 'OK' })])
    // The token Secret Manager saw is the one IAM minted for the account, not the gateway's.
    const minted = google.iam.minted.filter((item) => item.serviceAccount === TEAM_A).map((item) => item.token)
    expect(minted).toHaveLength(1)
    expect(google.sm.principalOf(minted[0]!)).toBe(TEAM_A)
  })

  it('reuses the account\'s token until it expires (no IAM call per read)', async () => {
    const before = google.iam.requestsFor(TEAM_A).length
    for (let index = 0; index < 3; index++) {
      expect(await store.access(`${TEAM_A_SECRET}/versions/1`, { serviceAccount: TEAM_A })).toBe('team-a-value')
    }
    expect(google.iam.requestsFor(TEAM_A).length).toBe(before)
  })

  it('one team\'s account cannot read another team\'s secret → PERMISSION_DENIED naming the account and the version', async () => {
    google.sm.clearCalls()
    const name = `${TEAM_A_SECRET}/versions/1`
    const error = await failure(store.access(name, { serviceAccount: TEAM_B }))
    expect(error).toBeInstanceOf(GatewayError)
    expect(error.code).toBe('PERMISSION_DENIED')
    expect(error.message).toContain(TEAM_B)
    expect(error.message).toContain(name)
    expect(google.sm.calls).toEqual([expect.objectContaining({ name, principal: TEAM_B, code: 'PERMISSION_DENIED' })])
    // Nor can the gateway's own identity be used to get around it: nothing was read as the gateway.
    expect(google.sm.accesses({ principal: GATEWAY })).toEqual([])
    // And TEAM_B reads its own secret.
    expect(await store.access(`${OTHER_TEAM_SECRET}/versions/1`, { serviceAccount: TEAM_B })).toBe('globex-value')
  })

  it('a service account the gateway may not impersonate → PERMISSION_DENIED naming it; Secret Manager is never called', async () => {
    google.sm.clearCalls()
    const before = google.iam.requests.length
    const error = await failure(store.access(`${SECRET}/versions/1`, { serviceAccount: ROGUE }))
    expect(error).toBeInstanceOf(GatewayError)
    expect(error.code).toBe('PERMISSION_DENIED')
    expect(error.message).toContain(ROGUE)
    expect(google.iam.requests.slice(before)).toEqual([expect.objectContaining({ serviceAccount: ROGUE, caller: GATEWAY, status: 403 })])
    expect(google.sm.calls).toEqual([])
  })

  it('IAM Credentials unavailable is an outage (UNAVAILABLE), not a refusal: the account may read the secret once it is back', async () => {
    // A store of its own, so no token of TEAM_A is cached yet and the read must ask IAM Credentials.
    const fresh = google.store()
    google.iam.unavailable = true
    try {
      const error = await failure(fresh.access(`${TEAM_A_SECRET}/versions/1`, { serviceAccount: TEAM_A }))
      expect(error).toBeInstanceOf(GatewayError)
      expect(error.message).toContain(TEAM_A)
      expect(error.code).toBe('UNAVAILABLE')
    } finally {
      google.iam.unavailable = false
    }
    expect(await fresh.access(`${TEAM_A_SECRET}/versions/1`, { serviceAccount: TEAM_A })).toBe('team-a-value')
  })

  it('a service account that does not exist → PERMISSION_DENIED naming it', async () => {
    const missing = 'deleted-sa@acme-proj.iam.gserviceaccount.com'
    const error = await failure(store.access(`${SECRET}/versions/1`, { serviceAccount: missing }))
    expect(error.code).toBe('PERMISSION_DENIED')
    expect(error.message).toContain(missing)
  })
})

describe('nothing leaves loopback', () => {
  it('every socket the process opened went to 127.0.0.1 (Secret Manager, IAM Credentials)', () => {
    expect(network.targets.length).toBeGreaterThan(0)
    expect(network.targets).toContain(google.sm.endpoint)
    expect(network.targets).toContain(new URL(google.iam.baseUrl).host)
    expect(network.offLoopback()).toEqual([])
  })

  it('no metadata-server lookup: the stand-in at GCE_METADATA_HOST saw nothing and no MetadataLookupWarning was emitted', async () => {
    await tick()
    expect(trap.requests).toEqual([])
    expect(trap.connections).toBe(0)
    expect(trap.warnings.filter((warning) => /MetadataLookup/.test(warning))).toEqual([])
  })

  // Last in the file (the library caches a metadata-server answer): the guards above do see a lookup when one happens.
  it('control: Application Default Credentials without credentials do reach the stand-in and warn', async () => {
    await expect(new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }).getClient()).rejects.toThrow()
    await tick()
    expect(trap.requests.length + trap.connections).toBeGreaterThan(0)
    expect(trap.warnings.filter((warning) => /MetadataLookup/.test(warning)).length).toBeGreaterThan(0)
    expect(network.targets).toContain(trap.host)
    expect(network.offLoopback()).toEqual([])
  })
})
