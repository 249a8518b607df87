/**
 * Secrets, identities and rotation through the gateway (`app.inject`, the v1 management API on a database, the
 * Twilio sandbox on a real socket), with `config.secrets` as the gateway builds it for Google: a CachingSecretStore
 * (injected clock) over the real SecretManagerStore, talking gRPC to a local Secret Manager and impersonating
 * connections' service accounts through a local IAM Credentials stand-in.
 *
 * (a) a connection naming a `serviceAccount` reads its secret as that account; pointed at another team's secret it
 *     is created in ERROR and its runtime calls answer 400 FAILED_PRECONDITION naming the secret version;
 * (b) a secret that does not exist: ERROR naming it;
 * (c) Secret Manager down: cached values keep serving within the grace period, then 503;
 * (d) rotation on `versions/latest`: Twilio refuses the cached token, the gateway re-reads once and retries;
 * (e) credentials that stay wrong: 400, AUTHORIZATION_REQUIRED, AUTH_ERROR; ACTIVE again once fixed.
 */
import { randomBytes } from 'node:crypto'
import { setImmediate as tick } from 'node:timers/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { LoggedRequest } from '../../src/sandbox/app.js'
import { CachingSecretStore } from '../../src/secrets/cache.js'
import { startGateway, type Answer, type TestGateway } from '../helpers/gateway.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import {
  GATEWAY, ROGUE, TEAM_A, TEAM_B, gatewayDatabase, installMetadataTrap, startLocalGoogle, watchConnections, type LocalGoogle, type MetadataTrap
} from '../secrets/google.js'

const PROJECT = 'acme-proj'
const PARENT = `projects/${PROJECT}/locations/us-central1`
const CONNECTOR_VERSION = `projects/${PROJECT}/locations/global/providers/twilio/connectors/twilio/versions/1`
const TTL = 300_000
const GRACE = 3_600_000
const WRONG_TOKEN = randomBytes(16).toString('hex')

let google: LocalGoogle
let sandbox: TestSandbox
let gateway: TestGateway
let database: Awaited<ReturnType<typeof gatewayDatabase>>
let clock = 1_700_000_000_000
let network: ReturnType<typeof watchConnections>
let trap: MetadataTrap

beforeAll(async () => {
  trap = await installMetadataTrap()
  network = watchConnections()
  google = await startLocalGoogle()
  sandbox = await startSandbox()
  // The sandbox connection startGateway registers reads this name: keep it readable, as the gateway.
  google.sm.addVersion('projects/local/secrets/sandbox-auth-token', sandbox.authToken)
  google.sm.grant('projects/local/secrets/sandbox-auth-token', GATEWAY)
  const secrets = new CachingSecretStore(google.store(), { ttlMs: TTL, graceMs: GRACE, now: () => clock })
  database = await gatewayDatabase()
  gateway = await startGateway({ sandbox, database: database.db, config: { secrets } })
})

afterAll(async () => {
  await gateway?.close()
  await database?.close()
  await sandbox?.close()
  await google?.close()
  network?.restore()
  await trap?.restore()
})

beforeEach(() => {
  google.sm.unavailable = false
})

/** A secret `projects/acme-proj/secrets/{id}` with these versions, readable by these principals. */
function secret (id: string, values: string[], readers: string[]): string {
  const name = `projects/${PROJECT}/secrets/${id}`
  google.sm.createSecret(name, readers)
  for (const value of values) google.sm.addVersion(name, value)
  return name
}

function body (secretVersion: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    connectorVersion: CONNECTOR_VERSION,
    configVariables: [{ key: 'sandbox', boolValue: true }],
    authConfig: { authType: 'USER_PASSWORD', userPassword: { username: sandbox.accountSid, password: { secretVersion } } },
    ...extra
  }
}

/** Creates the connection; answers the Connection of the finished operation. */
async function create (id: string, secretVersion: string, extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const answer = await gateway.call('POST', `/v1/${PARENT}/connections?connectionId=${id}`, body(secretVersion, extra))
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  expect(answer.body.done).toBe(true)
  expect(answer.body.error).toBeUndefined()
  return answer.body.response
}

const runtime = async (id: string): Promise<Answer> => gateway.call('GET', `/v2/${PARENT}/connections/${id}/entityTypes/Messages/entities?pageSize=1`)
const checkStatus = async (id: string): Promise<Answer> => gateway.call('GET', `/v2/${PARENT}/connections/${id}:checkStatus`)
const v1Status = async (id: string): Promise<{ state: string, description?: string }> => {
  const answer = await gateway.call('GET', `/v1/${PARENT}/connections/${id}`)
  expect(answer.status).toBe(200)
  return answer.body.status
}

/** The requests the sandbox received (for the Messages list) since the log was cleared. */
function twilioRequests (): LoggedRequest[] {
  return sandbox.control.requests.list().filter((request) => request.path.endsWith('/Messages.json'))
}

function expectFailedPrecondition (answer: Answer, ...mentions: string[]): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(400)
  expect(answer.body.error.status).toBe('FAILED_PRECONDITION')
  for (const mention of mentions) expect(answer.body.error.message).toContain(mention)
}

describe('(a) each connection reads its secrets as its own service account', () => {
  let teamSecret: string

  beforeAll(() => {
    teamSecret = secret('team-a-twilio', [sandbox.authToken], [TEAM_A])
  })

  it('a connection naming TEAM_A reads the secret as TEAM_A (impersonated by the gateway), and is ACTIVE', async () => {
    google.sm.clearCalls()
    const iamBefore = google.iam.requestsFor(TEAM_A).length
    const connection = await create('team-a', `${teamSecret}/versions/latest`, { serviceAccount: TEAM_A })
    expect(connection.status.state).toBe('ACTIVE')
    expect(connection.serviceAccount).toBe(TEAM_A)
    const reads = google.sm.accesses({ name: `${teamSecret}/versions/latest` })
    expect(reads.length).toBeGreaterThan(0)
    expect(reads.every((read) => read.principal === TEAM_A && read.code === 'OK')).toBe(true)
    const iam = google.iam.requestsFor(TEAM_A).slice(iamBefore)
    expect(iam.length).toBeLessThanOrEqual(1) // the account's token may still be valid from an earlier read
    for (const request of google.iam.requestsFor(TEAM_A)) expect(request.caller).toBe(GATEWAY)
    expect((await runtime('team-a')).status).toBe(200)
    expect(google.sm.accesses({ principal: GATEWAY, name: `${teamSecret}/versions/latest` })).toEqual([])
  })

  it('a connection without a serviceAccount reads as the gateway itself', async () => {
    const name = secret('gateway-owned', [sandbox.authToken], [GATEWAY])
    google.sm.clearCalls()
    const connection = await create('as-gateway', `${name}/versions/1`)
    expect(connection.status.state).toBe('ACTIVE')
    expect(google.sm.accesses({ name: `${name}/versions/1` }).map((read) => read.principal)).toEqual([GATEWAY])
  })

  it('TEAM_B pointing at team A\'s secret is created in ERROR (even while team A\'s read is cached); its calls → 400 naming the version', async () => {
    const version = `${teamSecret}/versions/latest`
    google.sm.clearCalls()
    const connection = await create('team-b-steals', version, { serviceAccount: TEAM_B })
    expect(connection.status.state).toBe('ERROR')
    expect(connection.status.description).toContain(version)
    expect(connection.status.description).toContain(TEAM_B)
    expect(connection.status.description).toMatch(/refuses|permission/i)
    expect(google.sm.accesses({ name: version })).toEqual([expect.objectContaining({ principal: TEAM_B, code: 'PERMISSION_DENIED' })])
    expect(await v1Status('team-b-steals')).toEqual(connection.status)

    sandbox.control.requests.clear()
    expectFailedPrecondition(await runtime('team-b-steals'), version)
    expect((await checkStatus('team-b-steals')).body).toEqual({ state: 'ERROR', description: expect.stringContaining(version) })
    // Twilio was never called with team A's token on team B's behalf.
    expect(twilioRequests()).toEqual([])
    // Team A's own connection still works.
    expect((await runtime('team-a')).status).toBe(200)
  })

  it('a service account the gateway may not impersonate: ERROR naming it; its calls → 400 naming the secret version', async () => {
    const version = `${teamSecret}/versions/latest`
    const connection = await create('rogue', version, { serviceAccount: ROGUE })
    expect(connection.status.state).toBe('ERROR')
    expect(connection.status.description).toContain(ROGUE)
    expect(google.iam.requestsFor(ROGUE).at(-1)).toMatchObject({ caller: GATEWAY, status: 403 })
    expectFailedPrecondition(await runtime('rogue'), version, ROGUE)
  })
})

describe('(b) a secret that does not exist', () => {
  it('the connection is created in ERROR naming the secret version; its calls → 400 FAILED_PRECONDITION naming it', async () => {
    const version = `projects/${PROJECT}/secrets/never-created/versions/3`
    const connection = await create('missing-secret', version)
    expect(connection.status.state).toBe('ERROR')
    expect(connection.status.description).toContain(version)
    expect(connection.status.description).toMatch(/not found/i)
    expectFailedPrecondition(await runtime('missing-secret'), version)
    const status = await checkStatus('missing-secret')
    expect(status.status).toBe(200)
    expect(status.body).toEqual({ state: 'ERROR', description: expect.stringContaining(version) })
  })

  it('a version that does not exist of a secret that does: ERROR naming it', async () => {
    const name = secret('few-versions', [sandbox.authToken], [GATEWAY])
    const connection = await create('missing-version', `${name}/versions/9`)
    expect(connection.status.state).toBe('ERROR')
    expect(connection.status.description).toContain(`${name}/versions/9`)
  })
})

describe('(c) Secret Manager unavailable', () => {
  it('cached values keep serving within the grace period; past it the call answers 503; back when Secret Manager is', async () => {
    const name = secret('steady', [sandbox.authToken], [TEAM_A])
    expect((await create('steady', `${name}/versions/latest`, { serviceAccount: TEAM_A })).status.state).toBe('ACTIVE')

    google.sm.unavailable = true
    clock += TTL + 1
    sandbox.control.requests.clear()
    const during = await runtime('steady')
    expect(during.status, JSON.stringify(during.body)).toBe(200)
    expect(twilioRequests()).toHaveLength(1)
    expect(google.sm.accesses({ name: `${name}/versions/latest`, code: 'UNAVAILABLE' }).length).toBeGreaterThan(0)
    expect((await checkStatus('steady')).body.state).toBe('ACTIVE')

    clock += GRACE
    sandbox.control.requests.clear()
    const after = await runtime('steady')
    expect(after.status, JSON.stringify(after.body)).toBe(503)
    expect(after.body.error.status).toBe('UNAVAILABLE')
    expect(after.body.error.message).toMatch(/Secret Manager/)
    expect(twilioRequests()).toEqual([])

    google.sm.unavailable = false
    expect((await runtime('steady')).status).toBe(200)
  })
})

describe('(d) rotation on versions/latest', () => {
  it('a wrong cached token: Twilio refuses (401), the gateway re-reads once and retries, the call succeeds, the status is ACTIVE', async () => {
    const name = secret('rotating', [WRONG_TOKEN], [TEAM_A])
    // Version 1 is wrong: the create's probe reads it (and caches it) and Twilio refuses it.
    const connection = await create('rotating', `${name}/versions/latest`, { serviceAccount: TEAM_A })
    expect(connection.status.state).toBe('AUTHORIZATION_REQUIRED')

    // The right token is added as version 2; no restart, no wait for the TTL.
    google.sm.addVersion(name, sandbox.authToken)
    google.sm.clearCalls()
    sandbox.control.requests.clear()
    const answer = await runtime('rotating')
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)

    const requests = twilioRequests()
    expect(requests.map((request) => request.status)).toEqual([401, 200])
    expect(requests.map((request) => request.username)).toEqual([sandbox.accountSid, sandbox.accountSid])
    // Exactly one re-read, as the connection's account, which resolved to the new version.
    expect(google.sm.calls).toEqual([expect.objectContaining({ principal: TEAM_A, code: 'OK', resolved: `${name}/versions/2` })])
    expect(await v1Status('rotating')).toMatchObject({ state: 'ACTIVE' })

    // And the new token is what is cached now: the next call goes straight through.
    sandbox.control.requests.clear()
    expect((await runtime('rotating')).status).toBe(200)
    expect(twilioRequests().map((request) => request.status)).toEqual([200])
  })
})

describe('(e) credentials that stay wrong', () => {
  it('400 FAILED_PRECONDITION, AUTHORIZATION_REQUIRED with a description, :checkStatus AUTH_ERROR; fixed → works, ACTIVE again', async () => {
    const name = secret('bad-rotation', [sandbox.authToken], [GATEWAY])
    expect((await create('bad-rotation', `${name}/versions/latest`)).status.state).toBe('ACTIVE')

    // A bad rotation: version 2 holds a token Twilio does not accept; the cached value expires.
    google.sm.addVersion(name, WRONG_TOKEN)
    clock += TTL
    sandbox.control.requests.clear()
    const refused = await runtime('bad-rotation')
    expectFailedPrecondition(refused, 'bad-rotation')
    expect(refused.body.error.message).toMatch(/Twilio refused the credentials/)
    // Tried, re-read, retried once: two requests, both refused.
    expect(twilioRequests().map((request) => request.status)).toEqual([401, 401])

    const status = await v1Status('bad-rotation')
    expect(status.state).toBe('AUTHORIZATION_REQUIRED')
    expect(status.description?.length).toBeGreaterThan(0)
    const check = await checkStatus('bad-rotation')
    expect(check.status).toBe(200)
    expect(check.body.state).toBe('AUTH_ERROR')
    expect(check.body.description.length).toBeGreaterThan(0)
    // Still refused on the next call (no flapping to ACTIVE).
    expectFailedPrecondition(await runtime('bad-rotation'))
    expect((await v1Status('bad-rotation')).state).toBe('AUTHORIZATION_REQUIRED')

    // Fixed: version 3 holds the right token. The next call works and the status is ACTIVE again.
    google.sm.addVersion(name, sandbox.authToken)
    sandbox.control.requests.clear()
    const fixed = await runtime('bad-rotation')
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(200)
    expect(twilioRequests().map((request) => request.status)).toEqual([401, 200])
    expect(await v1Status('bad-rotation')).toMatchObject({ state: 'ACTIVE' })
    expect((await checkStatus('bad-rotation')).body.state).toBe('ACTIVE')
  })
})

describe('no secret value in any answer', () => {
  it('the connections and their operations never carry a token', async () => {
    const answers = [
      await gateway.call('GET', `/v1/${PARENT}/connections`),
      await gateway.call('GET', `/v1/${PARENT}/operations`)
    ]
    for (const answer of answers) {
      const text = JSON.stringify(answer)
      for (const value of [sandbox.authToken, WRONG_TOKEN, google.gatewayToken, ...google.iam.minted.map((item) => item.token)]) {
        expect(text).not.toContain(value)
      }
    }
  })
})

describe('nothing left loopback', () => {
  it('every socket went to 127.0.0.1 (sandbox, Secret Manager, IAM Credentials, PostgreSQL); no metadata-server lookup', async () => {
    await tick()
    expect(network.targets).toContain(google.sm.endpoint)
    expect(network.targets).toContain(new URL(google.iam.baseUrl).host)
    expect(network.offLoopback()).toEqual([])
    expect(trap.requests).toEqual([])
    expect(trap.connections).toBe(0)
    expect(trap.warnings.filter((warning) => /MetadataLookup/.test(warning))).toEqual([])
  })
})
