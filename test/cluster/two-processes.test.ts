/**
 * Two gateway processes (the built `dist/src/server.js`) on one real PostgreSQL, as a deployment with several
 * instances runs: what one does through the v1 API, the other serves — its v1 reads at once, its runtime within a
 * second (the change feed: NOTIFY, with polling as the fallback); page tokens one issues the other accepts (the
 * signing key is shared in the database); operations one creates the other answers.
 *
 * Twilio is the sandbox, run by this test and reached by both processes through TWILIO_API_BASE_URL, so that a
 * connection's credentials are really checked and the connection ends ACTIVE. Each process has its own DATA_DIR
 * (its local secret store holds the token under the same Secret Manager name, as a shared secret backend would).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openLocalSecretStore } from '../../src/secrets/local.js'
import { createTestDatabase, realPostgres, realPostgresLabel, type TestPostgresDatabase } from '../helpers/postgres.js'
import { callProcess, ensureBuilt, startSharedGateway, type ProcessAnswer, type RunningGateway } from '../helpers/process.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { eventually } from '../store/backends.js'

const ADMIN_TOKEN = `cluster-admin-${randomBytes(12).toString('hex')}`
const SECRETS_KEY = randomBytes(32).toString('hex')
const PARENT = 'projects/cluster/locations/us-central1'
const CONNECTION = `${PARENT}/connections/twilio-shared`
const TOKEN_SECRET = 'projects/cluster/secrets/twilio-token'
const MESSAGES = `/v2/${CONNECTION}/entityTypes/Messages/entities`

const suite = realPostgres().url ? describe : describe.skip

suite(`two gateway processes on one PostgreSQL — ${realPostgresLabel('real PostgreSQL')}`, () => {
  let database: TestPostgresDatabase
  let sandbox: TestSandbox
  let a: RunningGateway
  let b: RunningGateway
  const dataDirs: string[] = []
  let tokenVersion: string

  function call (gateway: RunningGateway, method: string, path: string, body?: unknown): Promise<ProcessAnswer> {
    return callProcess(gateway.baseUrl, ADMIN_TOKEN, method, path, body)
  }

  function expectStatus (answer: ProcessAnswer, status: number): any {
    expect(answer.status, JSON.stringify(answer.body)).toBe(status)
    return answer.body
  }

  function start (dataDir: string): Promise<RunningGateway> {
    return startSharedGateway({ databaseUrl: database.url, dataDir, adminToken: ADMIN_TOKEN, secretsKey: SECRETS_KEY, upstream: sandbox.baseUrl })
  }

  beforeAll(async () => {
    ensureBuilt()
    database = await createTestDatabase('cluster')
    sandbox = await startSandbox()
    for (let index = 0; index < 2; index++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'gateway-cluster-'))
      dataDirs.push(dataDir)
      const secrets = await openLocalSecretStore({ GATEWAY_SECRETS_KEY: SECRETS_KEY }, dataDir)
      tokenVersion = await secrets.addVersion(TOKEN_SECRET, sandbox.authToken)
    }
    // Both start at once on the fresh database: migrations under the advisory lock, the shared key created once.
    ;[a, b] = await Promise.all([start(dataDirs[0]!), start(dataDirs[1]!)])
  }, 60_000)

  afterAll(async () => {
    const outputs = [a, b].map((gateway) => gateway?.output() ?? '')
    await Promise.all([a?.stop(), b?.stop()])
    await sandbox?.close()
    await database?.drop()
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
    // Neither process complained (lost listener, failed change reads, unhandled errors).
    for (const output of outputs) expect(output).not.toMatch(/"level":(50|60)|reading database changes failed|Unhandled/)
  })

  let created: any

  it('a connection created through A is ACTIVE, and B answers it through v1 at once and through its runtime within a second', async () => {
    const operation = expectStatus(await call(a, 'POST', `/v1/${PARENT}/connections?connectionId=twilio-shared`, {
      connectorVersion: 'projects/cluster/locations/global/providers/twilio/connectors/twilio/versions/1',
      description: 'shared',
      labels: { env: 'test' },
      authConfig: { authType: 'USER_PASSWORD', userPassword: { username: sandbox.accountSid, password: { secretVersion: tokenVersion } } }
    }), 200)
    expect(operation).toMatchObject({ done: true, metadata: { verb: 'create', target: CONNECTION } })
    expect(operation.error).toBeUndefined()
    expect(operation.response.status.state).toBe('ACTIVE')

    created = expectStatus(await call(b, 'GET', `/v1/${CONNECTION}`), 200)
    expect(created).toMatchObject({ name: CONNECTION, description: 'shared', connectionRevision: '1', status: { state: 'ACTIVE' } })
    const seen = await eventually('B serves the new connection at runtime', async () => {
      const answer = await call(b, 'GET', `${MESSAGES}?pageSize=1`)
      return answer.status === 200 ? answer : undefined
    })
    expect(seen.value.body.entities).toHaveLength(1)
  })

  it('an update through B is seen through A (revision "2"), and its runtime effect (suspended) within a second', async () => {
    const operation = expectStatus(await call(b, 'PATCH', `/v1/${CONNECTION}?updateMask=description`, { description: 'changed by B' }), 200)
    expect(operation).toMatchObject({ done: true, metadata: { verb: 'update' } })
    const read = expectStatus(await call(a, 'GET', `/v1/${CONNECTION}`), 200)
    expect(read).toMatchObject({ description: 'changed by B', connectionRevision: '2', createTime: created.createTime })

    expectStatus(await call(b, 'PATCH', `/v1/${CONNECTION}?updateMask=suspended`, { suspended: true }), 200)
    await eventually('A refuses runtime calls to the suspended connection', async () => {
      const answer = await call(a, 'GET', `${MESSAGES}?pageSize=1`)
      return answer.status === 400 && answer.body.error.status === 'FAILED_PRECONDITION' ? true : undefined
    })
    expectStatus(await call(b, 'PATCH', `/v1/${CONNECTION}?updateMask=suspended`, {}), 200)
    await eventually('A serves the resumed connection again', async () => (await call(a, 'GET', `${MESSAGES}?pageSize=1`)).status === 200 || undefined)
    expect(expectStatus(await call(a, 'GET', `/v1/${CONNECTION}`), 200).connectionRevision).toBe('4')
  })

  it('a page token issued by A is accepted by B (the signing key is shared), and B answers the next page', async () => {
    const first = expectStatus(await call(a, 'GET', `${MESSAGES}?pageSize=2`), 200)
    expect(first.nextPageToken).toMatch(/\S/)
    const second = expectStatus(await call(b, 'GET', `${MESSAGES}?pageSize=2&pageToken=${encodeURIComponent(first.nextPageToken)}`), 200)
    expect(second.entities).toHaveLength(2)
    const sids = (page: any): string[] => page.entities.map((entity: any) => entity.fields.Sid)
    expect(sids(second).filter((sid) => sids(first).includes(sid))).toEqual([])
  })

  it('operations created by A are readable through B, by the relative name it answered, and listed by B', async () => {
    const operation = expectStatus(await call(a, 'PATCH', `/v1/${CONNECTION}?updateMask=labels`, { labels: { env: 'prod' } }), 200)
    const throughB = expectStatus(await call(b, 'GET', `/v1/${operation.name}`), 200)
    expect(throughB).toEqual(operation)
    const listed = expectStatus(await call(b, 'GET', `/v1/${PARENT}/operations?pageSize=100`), 200)
    expect(listed.operations.map((item: any) => item.name)).toContain(operation.name)
    expect(listed.operations.filter((item: any) => item.metadata.target === CONNECTION).length).toBeGreaterThanOrEqual(5)
    // The v1 list's page tokens travel between processes too.
    const firstPage = expectStatus(await call(a, 'GET', `/v1/${PARENT}/operations?pageSize=2`), 200)
    expect(firstPage.nextPageToken).toMatch(/\S/)
    const secondPage = expectStatus(await call(b, 'GET', `/v1/${PARENT}/operations?pageSize=2&pageToken=${encodeURIComponent(firstPage.nextPageToken)}`), 200)
    expect(secondPage.operations).toEqual(listed.operations.slice(2, 4))
  })

  it('a delete through A makes B\'s runtime answer 404 within a second, and B\'s v1 404 at once', async () => {
    const operation = expectStatus(await call(a, 'DELETE', `/v1/${CONNECTION}`), 200)
    expect(operation).toMatchObject({ done: true, metadata: { verb: 'delete' } })
    expectStatus(await call(b, 'GET', `/v1/${CONNECTION}`), 404)
    const gone = await eventually('B\'s runtime forgets the deleted connection', async () => {
      const answer = await call(b, 'GET', `${MESSAGES}?pageSize=1`)
      return answer.status === 404 ? answer : undefined
    })
    expect(gone.value.body.error.status).toBe('NOT_FOUND')
    expectStatus(await call(b, 'GET', `/v1/${operation.name}`), 200)
  })
})
