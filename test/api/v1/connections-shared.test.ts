/**
 * Two gateway processes on one database (the second connects to the embedded PostgreSQL the first owns, as another
 * process on the same data directory does): what one creates, changes or deletes is answered by the other's v1 API
 * at once and served (or refused) by the other's runtime within a second.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { TestDatabase } from '../../helpers/database.js'
import { startGateway, type TestGateway } from '../../helpers/gateway.js'
import { startSandbox, type TestSandbox } from '../../helpers/sandbox.js'
import { PARENT, V1, connectionBody, connectionUrl, created, expectRpcError, openDatabaseAt, runtimeUrl, temporaryDataDir } from './support.js'

/** How late another process may serve a change (issue: "within a second"). */
const WITHIN_A_SECOND = { timeout: 1000, interval: 20 }

let sandbox: TestSandbox
let data: Awaited<ReturnType<typeof temporaryDataDir>>
let ownerDb: TestDatabase
let otherDb: TestDatabase
let one: TestGateway
let other: TestGateway

beforeAll(async () => {
  sandbox = await startSandbox()
  data = await temporaryDataDir()
  ownerDb = await openDatabaseAt(data.dataDir)
  otherDb = await openDatabaseAt(data.dataDir)
  expect([ownerDb.database.kind, otherDb.database.kind]).toEqual(['embedded', 'embedded-client'])
  one = await startGateway({ sandbox, database: ownerDb })
  other = await startGateway({ sandbox, database: otherDb })
})
afterAll(async () => {
  await other.close()
  await one.close()
  await otherDb.close()
  await ownerDb.close()
  await sandbox.close()
  data.remove()
})

/** Waits (at most a second) until `gateway` answers the runtime call with `status`. */
async function runtimeAnswers (gateway: TestGateway, id: string, status: number): Promise<void> {
  await vi.waitFor(async () => {
    expect((await gateway.call('GET', runtimeUrl(id))).status).toBe(status)
  }, WITHIN_A_SECOND)
}

describe('a connection created through one gateway', () => {
  it('is answered by the other v1 API at once, identically', async () => {
    await created(one, 'shared', connectionBody(one, { description: 'made by one' }))
    const mine = await one.call('GET', connectionUrl('shared'))
    const theirs = await other.call('GET', connectionUrl('shared'))
    expect(theirs.status).toBe(200)
    expect(theirs.body).toEqual(mine.body)
    const list = await other.call('GET', `${V1}/connections`)
    expect(list.body.connections).toEqual([mine.body])
  })

  it('is served by the other runtime within a second', async () => {
    await runtimeAnswers(other, 'shared', 200)
  })

  it('refuses a second create of the same id through the other: 409 ALREADY_EXISTS', async () => {
    const answer = await other.call('POST', `${V1}/connections?connectionId=shared`, connectionBody(other))
    expectRpcError(answer, 409, 'ALREADY_EXISTS')
  })
})

describe('an update made through the other gateway', () => {
  it('is answered by the first v1 API at once, and its operation by both', async () => {
    const operation = await other.call('PATCH', `${connectionUrl('shared')}?updateMask=suspended`, { suspended: true })
    expect(operation.status).toBe(200)
    const mine = await one.call('GET', connectionUrl('shared'))
    expect(mine.body.suspended).toBe(true)
    expect(mine.body.status.state).toBe('INACTIVE')
    expect(mine.body.connectionRevision).toBe('2')
    expect((await one.call('GET', `/v1/${operation.body.name as string}`)).body).toEqual(operation.body)
  })

  it('is enforced by the first runtime within a second (suspended: 400 FAILED_PRECONDITION)', async () => {
    await runtimeAnswers(one, 'shared', 400)
    expectRpcError(await one.call('GET', runtimeUrl('shared')), 400, 'FAILED_PRECONDITION')
    const resumed = await one.call('PATCH', `${connectionUrl('shared')}?updateMask=suspended`, {})
    expect(resumed.body.response.status.state).toBe('ACTIVE')
    await runtimeAnswers(other, 'shared', 200)
  })
})

describe('a delete made through one gateway', () => {
  it('is answered by the other v1 API at once (404) and by its runtime within a second (404)', async () => {
    const answer = await one.call('DELETE', connectionUrl('shared'))
    expect(answer.status).toBe(200)
    expectRpcError(await other.call('GET', connectionUrl('shared')), 404, 'NOT_FOUND')
    await runtimeAnswers(other, 'shared', 404)
    expectRpcError(await other.call('GET', runtimeUrl('shared')), 404, 'NOT_FOUND')
    expect((await other.call('GET', `/v1/${PARENT}/connections`)).body.connections).toEqual([])
  })
})
