/**
 * Graceful shutdown of the built gateway (`node dist/src/server.js`), as Cloud Run or Kubernetes stop it: on SIGTERM
 * a call in flight still gets its answer, nothing new is admitted (/readyz is not 200, new calls are refused), the
 * process leaves the cluster (its heartbeat row is deleted from PostgreSQL) and exits 0; calls still stuck after
 * SHUTDOWN_TIMEOUT_SECONDS are cut off and the process still exits 0; a second signal during a stuck shutdown
 * exits at once with 1.
 *
 * Each process runs on its own database of the real PostgreSQL server, with the sandbox off: Twilio is a sandbox
 * run by this test (TWILIO_API_BASE_URL) that answers after 2.5 s, or never (a `hang` fault), so that calls are
 * in flight when the signal arrives.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openLocalSecretStore } from '../../src/secrets/local.js'
import { createTestDatabase, realPostgres, realPostgresLabel, type TestPostgresDatabase } from '../helpers/postgres.js'
import { callProcess, startSharedGateway, type ProcessAnswer, type RunningGateway } from '../helpers/process.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { eventually } from '../store/backends.js'

const ADMIN_TOKEN = `shutdown-admin-${randomBytes(12).toString('hex')}`
const SECRETS_KEY = randomBytes(32).toString('hex')
const PARENT = 'projects/shutdown/locations/us-central1'
const CONNECTION = `${PARENT}/connections/twilio`
const TOKEN_SECRET = 'projects/shutdown/secrets/twilio-token'
const MESSAGE = 'SM3ad97d41e786c02bca47c8ce1745053b'
const MESSAGE_PATH = `/v2/${CONNECTION}/entityTypes/Messages/entities/${MESSAGE}`
/** What the sandbox adds to every answer: long enough for a call to be in flight when the signal comes. */
const LATENCY_MS = 2500

/** A started gateway process, its database, and a promise of its exit code. */
interface Gateway {
  running: RunningGateway
  database: TestPostgresDatabase
  dataDir: string
  exited: Promise<number | null>
  /** Its rows in gateway_processes. */
  heartbeats: () => Promise<number>
}

const suite = realPostgres().url ? describe : describe.skip

suite(`graceful shutdown of a gateway process — ${realPostgresLabel('real PostgreSQL')}`, () => {
  let sandbox: TestSandbox
  const started: Gateway[] = []

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: { calls: 5, messages: 5 }, latencyMs: LATENCY_MS })
  })
  afterEach(async () => {
    for (const gateway of started.splice(0)) {
      if (gateway.running.child.exitCode === null && gateway.running.child.signalCode === null) gateway.running.child.kill('SIGKILL')
      await gateway.exited
      rmSync(gateway.dataDir, { recursive: true, force: true })
      await gateway.database.drop()
    }
    sandbox.control.faults.clear()
  })
  afterAll(async () => {
    await sandbox?.close()
  })

  function call (gateway: Gateway, method: string, path: string, body?: unknown): Promise<ProcessAnswer> {
    return callProcess(gateway.running.baseUrl, ADMIN_TOKEN, method, path, body)
  }

  /** A gateway process with one connection to the test's sandbox. */
  async function start (shutdownTimeoutSeconds: number): Promise<Gateway> {
    const database = await createTestDatabase('shutdown')
    const dataDir = mkdtempSync(join(tmpdir(), 'gateway-shutdown-'))
    const secrets = await openLocalSecretStore({ GATEWAY_SECRETS_KEY: SECRETS_KEY }, dataDir)
    const tokenVersion = await secrets.addVersion(TOKEN_SECRET, sandbox.authToken)
    const running = await startSharedGateway({
      databaseUrl: database.url,
      dataDir,
      adminToken: ADMIN_TOKEN,
      secretsKey: SECRETS_KEY,
      upstream: sandbox.baseUrl,
      env: { SHUTDOWN_TIMEOUT_SECONDS: String(shutdownTimeoutSeconds), UPSTREAM_TIMEOUT_SECONDS: '120', CALL_DEADLINE_SECONDS: '120', LOG_LEVEL: 'info' },
      readyWithinMs: 30_000
    })
    const exited = new Promise<number | null>((resolve) => {
      if (running.child.exitCode !== null) resolve(running.child.exitCode)
      else running.child.once('exit', (code) => resolve(code))
    })
    const heartbeats = async (): Promise<number> => {
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      try {
        return (await client.query('SELECT id FROM gateway_processes')).rowCount ?? 0
      } finally {
        await client.end()
      }
    }
    const gateway: Gateway = { running, database, dataDir, exited, heartbeats }
    started.push(gateway)
    const created = await call(gateway, 'POST', `/v1/${PARENT}/connections?connectionId=twilio`, {
      connectorVersion: 'projects/shutdown/locations/global/providers/twilio/connectors/twilio/versions/1',
      authConfig: { authType: 'USER_PASSWORD', userPassword: { username: sandbox.accountSid, password: { secretVersion: tokenVersion } } }
    })
    expect(created.status, JSON.stringify(created.body)).toBe(200)
    expect(created.body.response.status.state).toBe('ACTIVE')
    return gateway
  }

  /** Starts a runtime call and waits until Twilio (the sandbox) has received its request; answers the call's answer to come. */
  async function inFlight (gateway: Gateway): Promise<{ answer: Promise<{ status: number, body: any }> }> {
    const seen = sandbox.control.requests.list().length
    const answer = call(gateway, 'GET', MESSAGE_PATH)
    answer.catch(() => {})
    await eventually('the call reaches Twilio', () => sandbox.control.requests.list().length > seen || undefined, 10_000)
    return { answer }
  }

  /** Whether /readyz answers 200 right now (a refused connection or a reset counts as not ready). */
  const ready = async (gateway: Gateway): Promise<number | 'refused'> =>
    fetch(`${gateway.running.baseUrl}/readyz`).then((response) => response.status, () => 'refused' as const)

  it('SIGTERM: the call in flight completes with 200, nothing new is admitted, the heartbeat row is deleted and the process exits 0', async () => {
    const gateway = await start(20)
    expect(await gateway.heartbeats()).toBe(1)
    const { answer: pending } = await inFlight(gateway)
    let answered = false
    void pending.then(() => { answered = true }, () => {})

    gateway.running.child.kill('SIGTERM')
    // While the call is finishing: not ready, and a new call is not served.
    const readiness = await eventually('/readyz stops answering 200', async () => {
      const status = await ready(gateway)
      return status === 200 ? undefined : status
    }, 2000)
    expect([503, 'refused']).toContain(readiness.value)
    const refusedCall = await fetch(`${gateway.running.baseUrl}${MESSAGE_PATH}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      .then((response) => response.status, () => 'refused' as const)
    expect([503, 'refused']).toContain(refusedCall)
    expect(answered).toBe(false)
    expect(gateway.running.child.exitCode).toBeNull()

    const answer = await pending
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body.fields.Sid).toBe(MESSAGE)
    expect(await gateway.exited).toBe(0)
    expect(await gateway.heartbeats()).toBe(0)
    expect(gateway.running.output()).toMatch(/SIGTERM: no new calls/)
    expect(gateway.running.output()).toMatch(/"msg":"stopped"/)
    // It stopped once its calls were done, without waiting out the shutdown bound (idle keep-alive connections, such
    // as this test's, do not hold it).
    expect(gateway.running.output()).not.toMatch(/calls still in flight after/)
  })

  it('a call still stuck after SHUTDOWN_TIMEOUT_SECONDS is cut off; the process still leaves the cluster and exits 0', async () => {
    const gateway = await start(1)
    sandbox.control.faults.add([{ kind: 'hang', method: 'GET', count: 1, when: 'before' }])
    const { answer: pending } = await inFlight(gateway)

    gateway.running.child.kill('SIGTERM')
    // The stuck call gets no answer; its connection is closed once the second is up (not after the 120 s timeout).
    await expect(pending).rejects.toThrow()
    expect(await gateway.exited).toBe(0)
    expect(await gateway.heartbeats()).toBe(0)
    expect(gateway.running.output()).toMatch(/calls still in flight after 1 s: closing their connections/)
  })

  it('a second SIGTERM during a stuck shutdown exits at once with status 1', async () => {
    const gateway = await start(60)
    sandbox.control.faults.add([{ kind: 'hang', method: 'GET', count: 1, when: 'before' }])
    const { answer: pending } = await inFlight(gateway)

    gateway.running.child.kill('SIGTERM')
    await eventually('the shutdown has begun', () => /SIGTERM: no new calls/.test(gateway.running.output()) || undefined, 5000)
    gateway.running.child.kill('SIGTERM')
    expect(await gateway.exited).toBe(1)
    await expect(pending).rejects.toThrow()
    expect(gateway.running.output()).not.toMatch(/"msg":"stopped"/)
  })
})
