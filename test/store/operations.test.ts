/**
 * The OperationStore on each database: an operation is stored exactly as answered (the Operation JSON of §3.3),
 * read back from another process, listed newest first in pages per parent, removed; and it is written in the
 * same transaction as the connection change it reports, so a failed change leaves no operation behind.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { CONNECTION_TYPE, EMPTY_TYPE, OPERATION_METADATA_TYPE, completedOperation, type Operation } from '../../src/operations/operations.js'
import { ACTIVE, connectionName, describeEachBackend, openStores, PARENT, spec, type Place, type Stores } from './backends.js'

describeEachBackend('OperationStore', (backend) => {
  let place: Place
  let a: Stores
  let b: Stores
  beforeAll(async () => {
    place = await backend.place('operations')
    a = await openStores(place)
    b = await openStores(place)
  })
  afterAll(async () => {
    await b?.close()
    await a?.close()
    await place?.remove()
  })

  it('stores an operation and answers it exactly, to this process and another', async () => {
    const target = connectionName('op')
    const operation = completedOperation(PARENT, target, 'create', new Date(), { '@type': CONNECTION_TYPE, name: target, connectionRevision: '1' })
    expect(operation.name).toMatch(/^projects\/p\/locations\/us-central1\/operations\/operation-\d+-[0-9a-f]{8}$/)
    expect(operation).toMatchObject({ done: true, metadata: { '@type': OPERATION_METADATA_TYPE, target, verb: 'create', apiVersion: 'v1' } })
    await a.operations.insert(operation)
    expect(await a.operations.get(operation.name)).toEqual(operation)
    expect(await b.operations.get(operation.name)).toEqual(operation)
    expect(await b.operations.get(`${PARENT}/operations/operation-0-00000000`)).toBeUndefined()
  })

  it('lists a parent\'s operations newest first, in pages, and no other parent\'s', async () => {
    const parent = `projects/p/locations/list-${backend.kind}`
    const base = Date.now() - 60_000
    const made: Operation[] = []
    for (let index = 0; index < 5; index++) {
      const operation = completedOperation(parent, `${parent}/connections/c${index}`, 'update', new Date(base + index * 1000), { '@type': EMPTY_TYPE })
      made.push(operation)
      await (index % 2 ? a : b).operations.insert(operation)
    }
    await a.operations.insert(completedOperation('projects/p/locations/other', 'projects/p/locations/other/connections/x', 'delete', new Date(), { '@type': EMPTY_TYPE }))
    const newestFirst = [...made].reverse()
    expect(await a.operations.list(parent, 0, 10)).toEqual(newestFirst)
    expect(await b.operations.list(parent, 0, 2)).toEqual(newestFirst.slice(0, 2))
    expect(await b.operations.list(parent, 2, 2)).toEqual(newestFirst.slice(2, 4))
    expect(await b.operations.list(parent, 4, 2)).toEqual(newestFirst.slice(4))
  })

  it('removes an operation (true), then finds nothing to remove (false)', async () => {
    const operation = completedOperation(PARENT, connectionName('gone'), 'delete', new Date(), { '@type': EMPTY_TYPE })
    await a.operations.insert(operation)
    expect(await b.operations.remove(operation.name)).toBe(true)
    expect(await a.operations.get(operation.name)).toBeUndefined()
    expect(await a.operations.remove(operation.name)).toBe(false)
  })

  it('an operation written in a connection transaction exists only if the transaction commits', async () => {
    const kept = connectionName('kept')
    const keptOperation = completedOperation(PARENT, kept, 'create', new Date(), { '@type': CONNECTION_TYPE, name: kept })
    await a.store.transaction(async (tx) => {
      await tx.insert(kept, spec(), ACTIVE, new Date())
      await a.operations.insert(keptOperation, tx.client)
    })
    expect(await b.operations.get(keptOperation.name)).toEqual(keptOperation)

    const lost = connectionName('lost')
    const lostOperation = completedOperation(PARENT, lost, 'create', new Date(), { '@type': CONNECTION_TYPE, name: lost })
    await expect(a.store.transaction(async (tx) => {
      await tx.insert(lost, spec(), ACTIVE, new Date())
      await a.operations.insert(lostOperation, tx.client)
      throw new Error('the change failed after its operation was written')
    })).rejects.toThrow('the change failed')
    expect(await b.operations.get(lostOperation.name)).toBeUndefined()
    expect(await b.store.read(lost)).toBeUndefined()
  })
})
