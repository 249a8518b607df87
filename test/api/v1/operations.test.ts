/**
 * Long-running operations: read by their relative name (as Terraform polls them: base URL + name), listed newest
 * first with paging, cancelled, deleted; and, with the connections they made, kept across a restart of the gateway
 * on the same data directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestDatabase } from '../../helpers/database.js'
import { startGateway, type TestGateway } from '../../helpers/gateway.js'
import { startSandbox, type TestSandbox } from '../../helpers/sandbox.js'
import {
  EMPTY_TYPE, PROJECT, connectionBody, connectionUrl, createConnection, expectRpcError, openDatabaseAt, runtimeUrl, tamperedToken,
  temporaryDataDir, violatedFields, type Body
} from './support.js'

const PARENT = `projects/${PROJECT}/locations/europe-west4`
/** Terraform's `integration_connectors_custom_endpoint`: operation names are appended to it. */
const BASE_URL = '/v1/'

let sandbox: TestSandbox
let data: Awaited<ReturnType<typeof temporaryDataDir>>
let db: TestDatabase
let gateway: TestGateway
/** Every operation answered by a write, oldest first. */
const operations: Body[] = []
const byName = (a: Body, b: Body): number => (a.name as string).localeCompare(b.name as string)

beforeAll(async () => {
  sandbox = await startSandbox()
  data = await temporaryDataDir()
  db = await openDatabaseAt(data.dataDir)
  gateway = await startGateway({ sandbox, database: db })
  const write = async (method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: Body): Promise<void> => {
    const answer = await gateway.call(method, url, body)
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    operations.push(answer.body)
  }
  for (const id of ['op-a', 'op-b', 'op-c']) {
    await write('POST', `/v1/${PARENT}/connections?connectionId=${id}&alt=json`, connectionBody(gateway, { description: id }))
  }
  await write('PATCH', `${connectionUrl('op-a', PARENT)}?updateMask=description&alt=json`, { description: 'updated' })
  await write('DELETE', `${connectionUrl('op-c', PARENT)}?alt=json`)
  await write('POST', `/v1/${PARENT}/connections/op-b/connectionSchemaMetadata:refresh`, {})
})
afterAll(async () => {
  await gateway.close()
  await db.close()
  await sandbox.close()
  data.remove()
})

describe('GET by the relative name', () => {
  it('answers each operation exactly as its write did (base URL + name, as Terraform polls)', async () => {
    expect(operations.map((operation) => operation.metadata.verb)).toEqual(['create', 'create', 'create', 'update', 'delete', 'refresh'])
    for (const operation of operations) {
      expect(operation.name.startsWith(`${PARENT}/operations/operation-`)).toBe(true)
      const answer = await gateway.call('GET', `${BASE_URL}${operation.name as string}?alt=json`)
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual(operation)
    }
  })

  it('answers each operation under a unique name', () => {
    expect(new Set(operations.map((operation) => operation.name)).size).toBe(operations.length)
  })

  it('keeps the delete operation after the connection is gone', async () => {
    const remove = operations[4]!
    const answer = await gateway.call('GET', `${BASE_URL}${remove.name as string}`)
    expect(answer.body.response).toEqual({ '@type': EMPTY_TYPE })
    expect(answer.body.metadata.target).toBe(`${PARENT}/connections/op-c`)
  })

  it('answers 404 NOT_FOUND for an unknown operation, or one of another location', async () => {
    expectRpcError(await gateway.call('GET', `/v1/${PARENT}/operations/operation-1700000000000-deadbeef`), 404, 'NOT_FOUND')
    const id = (operations[0]!.name as string).split('/').pop()!
    expectRpcError(await gateway.call('GET', `/v1/projects/${PROJECT}/locations/us-east4/operations/${id}`), 404, 'NOT_FOUND')
    expectRpcError(await gateway.call('GET', `/v1/projects/someone-else/locations/europe-west4/operations/${id}`), 404, 'NOT_FOUND')
  })
})

describe('list', () => {
  it('answers operations (newest first), nextPageToken and unreachable', async () => {
    const answer = await gateway.call('GET', `/v1/${PARENT}/operations`)
    expect(answer.status).toBe(200)
    expect(Object.keys(answer.body).sort()).toEqual(['nextPageToken', 'operations', 'unreachable'])
    expect(answer.body.nextPageToken).toBe('')
    expect(answer.body.unreachable).toEqual([])
    const listed = answer.body.operations as Body[]
    expect([...listed].sort(byName)).toEqual([...operations].sort(byName))
    const times = listed.map((operation) => operation.metadata.createTime as string)
    expect(times).toEqual([...times].sort().reverse())
    // The first and the last write are far apart: the newest is listed first.
    expect(listed[0]!.name).toBe(operations.at(-1)!.name)
    expect(listed.at(-1)!.name).toBe(operations[0]!.name)
  })

  it('pages with pageSize and pageToken: every operation exactly once, newest first', async () => {
    const seen: Body[] = []
    let pageToken = ''
    let pages = 0
    do {
      const answer = await gateway.call('GET', `/v1/${PARENT}/operations?pageSize=4${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`)
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      expect(answer.body.operations.length).toBeLessThanOrEqual(4)
      seen.push(...answer.body.operations)
      pageToken = answer.body.nextPageToken
      pages++
    } while (pageToken)
    expect(pages).toBe(2)
    const all = await gateway.call('GET', `/v1/${PARENT}/operations`)
    expect(seen).toEqual(all.body.operations)
  })

  it('refuses a filter rather than ignoring it: 400 naming filter', async () => {
    const answer = await gateway.call('GET', `/v1/${PARENT}/operations?filter=${encodeURIComponent('done = true')}`)
    expect(answer.status).toBe(400)
    expect(answer.body.error.details[0].fieldViolations).toEqual([{ field: 'filter', description: 'is not supported' }])
  })

  it('refuses a tampered page token: 400 naming pageToken', async () => {
    const first = await gateway.call('GET', `/v1/${PARENT}/operations?pageSize=2`)
    const answer = await gateway.call('GET', `/v1/${PARENT}/operations?pageSize=2&pageToken=${encodeURIComponent(tamperedToken(first.body.nextPageToken))}`)
    expect(violatedFields(answer)).toEqual(['pageToken'])
  })

  it('answers an empty list for a location without operations', async () => {
    const answer = await gateway.call('GET', `/v1/projects/${PROJECT}/locations/australia-southeast1/operations`)
    expect(answer.body).toEqual({ operations: [], nextPageToken: '', unreachable: [] })
  })
})

describe(':cancel', () => {
  it('answers {} for a finished operation and changes nothing', async () => {
    const operation = operations[1]!
    const answer = await gateway.call('POST', `${BASE_URL}${operation.name as string}:cancel`, {})
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body).toEqual({})
    expect((await gateway.call('GET', `${BASE_URL}${operation.name as string}`)).body).toEqual(operation)
  })

  it('answers 404 NOT_FOUND for an unknown operation', async () => {
    expectRpcError(await gateway.call('POST', `/v1/${PARENT}/operations/operation-1700000000000-deadbeef:cancel`, {}), 404, 'NOT_FOUND')
  })
})

describe('DELETE', () => {
  it('answers {}, then GET answers 404 and the list no longer holds it', async () => {
    const operation = operations[2]!
    const answer = await gateway.call('DELETE', `${BASE_URL}${operation.name as string}`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({})
    expectRpcError(await gateway.call('GET', `${BASE_URL}${operation.name as string}`), 404, 'NOT_FOUND')
    const list = await gateway.call('GET', `/v1/${PARENT}/operations`)
    expect(list.body.operations.map((item: Body) => item.name)).not.toContain(operation.name)
    expect(list.body.operations).toHaveLength(operations.length - 1)
  })

  it('does not touch the connection the operation made', async () => {
    expect((await gateway.call('GET', connectionUrl('op-c', PARENT))).status).toBe(404)
    expect((await gateway.call('GET', connectionUrl('op-b', PARENT))).status).toBe(200)
  })

  it('answers 404 NOT_FOUND for an unknown (or already deleted) operation', async () => {
    expectRpcError(await gateway.call('DELETE', `${BASE_URL}${operations[2]!.name as string}`), 404, 'NOT_FOUND')
    expectRpcError(await gateway.call('DELETE', `/v1/${PARENT}/operations/operation-1700000000000-deadbeef`), 404, 'NOT_FOUND')
  })
})

describe('a restart on the same data directory', () => {
  it('keeps every operation and connection: the new gateway answers them exactly as before', async () => {
    const kept = [operations[0]!, operations[1]!, operations[3]!, operations[4]!, operations[5]!]
    const connectionsBefore = await gateway.call('GET', `/v1/${PARENT}/connections`)
    const operationsBefore = await gateway.call('GET', `/v1/${PARENT}/operations`)
    expect(connectionsBefore.body.connections).toHaveLength(2)

    await gateway.close()
    await db.close()
    db = await openDatabaseAt(data.dataDir)
    gateway = await startGateway({ sandbox, database: db })

    for (const operation of kept) {
      expect((await gateway.call('GET', `${BASE_URL}${operation.name as string}`)).body).toEqual(operation)
    }
    expectRpcError(await gateway.call('GET', `${BASE_URL}${operations[2]!.name as string}`), 404, 'NOT_FOUND')
    expect((await gateway.call('GET', `/v1/${PARENT}/operations`)).body).toEqual(operationsBefore.body)
    expect((await gateway.call('GET', `/v1/${PARENT}/connections`)).body).toEqual(connectionsBefore.body)
    expect((await gateway.call('GET', connectionUrl('op-a', PARENT))).body.description).toBe('updated')
  })

  it('serves the runtime of the kept connections, and the v1 API goes on (no duplicate id, revisions continue)', async () => {
    expect((await gateway.call('GET', runtimeUrl('op-a', PARENT))).status).toBe(200)
    expectRpcError(await gateway.call('GET', runtimeUrl('op-c', PARENT)), 404, 'NOT_FOUND')
    expectRpcError(await createConnection(gateway, 'op-a', connectionBody(gateway), PARENT), 409, 'ALREADY_EXISTS')
    const update = await gateway.call('PATCH', `${connectionUrl('op-a', PARENT)}?updateMask=labels`, { labels: { env: 'after-restart' } })
    expect(update.body.response.connectionRevision).toBe('3')
    const list = await gateway.call('GET', `/v1/${PARENT}/operations?pageSize=1`)
    expect(list.body.operations).toEqual([update.body])
  })

  it('keeps the built-in sandbox connection once, not twice', async () => {
    const answer = await gateway.call('GET', '/v1/projects/local/locations/local/connections')
    expect(answer.body.connections.map((connection: Body) => connection.name)).toEqual(['projects/local/locations/local/connections/sandbox'])
  })
})
