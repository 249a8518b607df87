/**
 * The throttle shared by a cluster: two gateway processes (the built `dist/src/server.js`) on one real PostgreSQL,
 * THROTTLE_TPS_PER_NODE=25, and a connection on 2 nodes (minNodeCount = maxNodeCount = 2: 50 transactions per
 * second cluster-wide). Each live process admits an even share — 25 per second, with a burst of 25 — and says so
 * in its 429s (ErrorInfo `gatewayProcesses`); when one process dies (SIGKILL: no goodbye, its heartbeat just stops)
 * the survivor takes the whole limit within seconds.
 *
 * These processes run on the real clock, so bursts are sent all at once and the tests allow for what refills while
 * a burst is answered (its elapsed time × the rate), never for a deadline. Twilio is a sandbox run by this test,
 * reached by both processes through TWILIO_API_BASE_URL.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openLocalSecretStore } from '../../src/secrets/local.js'
import { createTestDatabase, realPostgres, realPostgresLabel, type TestPostgresDatabase } from '../helpers/postgres.js'
import { callProcess, ensureBuilt, startSharedGateway, type ProcessAnswer, type RunningGateway } from '../helpers/process.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { eventually } from '../store/backends.js'

const ADMIN_TOKEN = `throttle-admin-${randomBytes(12).toString('hex')}`
const SECRETS_KEY = randomBytes(32).toString('hex')
const PARENT = 'projects/cluster/locations/us-central1'
const CONNECTION = `${PARENT}/connections/shared-limit`
const TOKEN_SECRET = 'projects/cluster/secrets/twilio-token'
const RUNTIME_CALL = `/v2/${CONNECTION}/entityTypes/Messages/entities?pageSize=1`
/** Calls in a burst: well above what one process may admit at once, even with everything alive. */
const BURST = 60

interface Burst {
  admitted: number
  refusals: ProcessAnswer[]
  /** Seconds from the first call sent to the last answer. */
  seconds: number
}

const suite = realPostgres().url ? describe : describe.skip

suite(`the throttle of two gateway processes on one PostgreSQL — ${realPostgresLabel('real PostgreSQL')}`, () => {
  let database: TestPostgresDatabase
  let sandbox: TestSandbox
  let a: RunningGateway
  let b: RunningGateway
  const dataDirs: string[] = []
  let tokenVersion: string

  function call (gateway: RunningGateway, method: string, path: string, body?: unknown): Promise<ProcessAnswer> {
    return callProcess(gateway.baseUrl, ADMIN_TOKEN, method, path, body)
  }

  /** Sends `count` runtime calls at once; every answer must be a 200 or the throttle's 429. */
  async function burst (gateway: RunningGateway, count = BURST): Promise<Burst> {
    const started = performance.now()
    const answers = await Promise.all(Array.from({ length: count }, () => call(gateway, 'GET', RUNTIME_CALL)))
    const seconds = (performance.now() - started) / 1000
    for (const answer of answers) {
      if (answer.status === 200) continue
      expect(answer.status, JSON.stringify(answer.body)).toBe(429)
      expect(answer.body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' })
    }
    return { admitted: answers.filter((answer) => answer.status === 200).length, refusals: answers.filter((answer) => answer.status === 429), seconds }
  }

  /** The ErrorInfo of a throttle refusal. */
  function errorInfo (refusal: ProcessAnswer): { reason: string, domain: string, metadata: Record<string, string> } {
    const info = refusal.body.error.details.find((item: { '@type': string }) => item['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo')
    expect(info, JSON.stringify(refusal.body)).toBeDefined()
    return info
  }

  /** `gateway_cluster_processes` of a process's /metrics. */
  async function liveProcesses (gateway: RunningGateway): Promise<number> {
    const answer = await call(gateway, 'GET', '/metrics')
    expect(answer.status).toBe(200)
    const line = (answer.body as string).split('\n').find((text) => text.startsWith('gateway_cluster_processes '))
    return Number(line?.split(' ')[1])
  }

  /** Waits until nothing is left of earlier bursts: the bucket, refilled at `rate` per second, is full again. */
  async function refilled (rate: number, burstSize: number): Promise<void> {
    await sleep(Math.ceil((burstSize / rate) * 1000) + 200)
  }

  function start (dataDir: string): Promise<RunningGateway> {
    return startSharedGateway({
      databaseUrl: database.url, dataDir, adminToken: ADMIN_TOKEN, secretsKey: SECRETS_KEY, upstream: sandbox.baseUrl, env: { THROTTLE_TPS_PER_NODE: '25' }
    })
  }

  beforeAll(async () => {
    ensureBuilt()
    database = await createTestDatabase('throttle_cluster')
    sandbox = await startSandbox()
    for (let index = 0; index < 2; index++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'gateway-throttle-cluster-'))
      dataDirs.push(dataDir)
      const secrets = await openLocalSecretStore({ GATEWAY_SECRETS_KEY: SECRETS_KEY }, dataDir)
      tokenVersion = await secrets.addVersion(TOKEN_SECRET, sandbox.authToken)
    }
    a = await start(dataDirs[0]!)
    b = await start(dataDirs[1]!)

    const operation = await call(a, 'POST', `/v1/${PARENT}/connections?connectionId=shared-limit`, {
      connectorVersion: 'projects/cluster/locations/global/providers/twilio/connectors/twilio/versions/1',
      authConfig: { authType: 'USER_PASSWORD', userPassword: { username: sandbox.accountSid, password: { secretVersion: tokenVersion } } },
      nodeConfig: { minNodeCount: 2, maxNodeCount: 2 }
    })
    expect(operation.status, JSON.stringify(operation.body)).toBe(200)
    expect(operation.body.response.status.state).toBe('ACTIVE')
    await eventually('B serves the new connection', async () => (await call(b, 'GET', RUNTIME_CALL)).status === 200 || undefined, 5_000)
    // Both have seen each other's heartbeat.
    await eventually('both processes count two live processes', async () =>
      (await liveProcesses(a)) === 2 && (await liveProcesses(b)) === 2 ? true : undefined, 20_000, 200)
  }, 90_000)

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    await sandbox?.close()
    await database?.drop()
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
  })

  it('each process admits its share of the 50 per second: a burst to one gets 25 (plus what refills meanwhile), then 429 with gatewayProcesses "2"', async () => {
    await refilled(25, 25)
    const result = await burst(a)
    expect(result.admitted).toBeGreaterThanOrEqual(25)
    expect(result.admitted).toBeLessThanOrEqual(25 + Math.ceil(25 * result.seconds))
    expect(result.refusals.length).toBeGreaterThan(0)
    for (const refusal of result.refusals) {
      expect(errorInfo(refusal)).toEqual({
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'RATE_LIMIT_EXCEEDED',
        domain: 'twilio-connector-gateway',
        // The limit is the cluster's; the process takes its share of it.
        metadata: { connection: CONNECTION, limit: '50', nodes: '2', gatewayProcesses: '2' }
      })
      expect(refusal.body.error.message).toContain('over its rate limit of 50 transactions per second (2 nodes)')
    }
  }, 60_000)

  it('together the two processes admit the cluster\'s 50: simultaneous bursts to both get about 25 each', async () => {
    await refilled(25, 25)
    const [toA, toB] = await Promise.all([burst(a), burst(b)])
    for (const result of [toA, toB]) {
      expect(result.admitted).toBeGreaterThanOrEqual(25)
      expect(result.admitted).toBeLessThanOrEqual(25 + Math.ceil(25 * result.seconds))
      expect(result.refusals.length).toBeGreaterThan(0)
      expect(errorInfo(result.refusals[0]!).metadata.gatewayProcesses).toBe('2')
    }
  }, 60_000)

  it('after the other process is killed (SIGKILL), the survivor counts one process within seconds and admits the full burst of 50', async () => {
    b.child.kill('SIGKILL')
    await b.stop()

    const seen = await eventually('the survivor\'s 429s say gatewayProcesses "1"', async () => {
      const result = await burst(a)
      const said = result.refusals.map((refusal) => errorInfo(refusal).metadata.gatewayProcesses)
      return said.length > 0 && said.every((processes) => processes === '1') ? result.refusals[0] : undefined
    }, 20_000, 500)
    expect(errorInfo(seen.value).metadata).toEqual({ connection: CONNECTION, limit: '50', nodes: '2', gatewayProcesses: '1' })
    expect(await liveProcesses(a)).toBe(1)

    await refilled(50, 50)
    const result = await burst(a)
    expect(result.admitted).toBeGreaterThanOrEqual(50)
    expect(result.admitted).toBeLessThanOrEqual(50 + Math.ceil(50 * result.seconds))
    for (const refusal of result.refusals) {
      expect(errorInfo(refusal).metadata).toEqual({ connection: CONNECTION, limit: '50', nodes: '2', gatewayProcesses: '1' })
    }
  }, 60_000)
})
