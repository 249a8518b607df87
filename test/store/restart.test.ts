/**
 * Nothing is lost across a restart: connections (fields, status, revision, times), operations and the gateway's
 * keys are all there when the database is opened again (embedded: the same data directory; PostgreSQL: the same
 * database), the runtime cache is loaded from them, and the change feed goes on from where the data is.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { CONNECTION_TYPE, completedOperation } from '../../src/operations/operations.js'
import { gatewayKey } from '../../src/store/gateway-secrets.js'
import { ACTIVE, connectionName, describeEachBackend, eventually, openStores, PARENT, spec, type Place, type Stores } from './backends.js'

describeEachBackend('restart', (backend) => {
  let place: Place
  const open: Stores[] = []
  beforeAll(async () => { place = await backend.place('restart') })
  afterAll(async () => {
    for (const stores of open.splice(0).reverse()) await stores.close()
    await place?.remove()
  })

  it('keeps connections, operations and keys, and reloads the runtime cache from them', async () => {
    const before = await openStores(place)
    const kept = connectionName('kept')
    const updated = connectionName('updated')
    const deleted = connectionName('deleted')
    const operation = completedOperation(PARENT, kept, 'create', new Date(), { '@type': CONNECTION_TYPE, name: kept })
    await before.store.transaction(async (tx) => {
      await tx.insert(kept, spec('kept', { 'goog-terraform-provisioned': 'true' }), ACTIVE, new Date())
      await before.operations.insert(operation, tx.client)
    })
    await before.store.transaction((tx) => tx.insert(updated, spec('v1'), ACTIVE, new Date()))
    await before.store.transaction((tx) => tx.replace(updated, spec('v2'), { state: 'ERROR', description: 'Twilio refused' }, new Date()))
    await before.store.transaction((tx) => tx.insert(deleted, spec(), ACTIVE, new Date()))
    await before.store.transaction((tx) => tx.remove(deleted))
    const key = await gatewayKey(before.database.pool, 'page-token-key')
    const rows = await before.store.list(PARENT)
    await before.close()

    const after = await openStores(place)
    open.push(after)
    if (backend.kind === 'embedded') expect(after.database.kind).toBe('embedded')
    expect(await after.store.list(PARENT)).toEqual(rows)
    expect((await after.store.read(updated))?.revision).toBe(2)
    expect(await after.store.read(deleted)).toBeUndefined()
    expect(await after.operations.get(operation.name)).toEqual(operation)
    expect(await gatewayKey(after.database.pool, 'page-token-key')).toEqual(key)
    // The runtime cache is loaded at start, not only from later changes.
    expect(await after.store.get(kept)).toEqual(rows.find((row) => row.connection.name === kept)?.connection)
    expect((await after.store.get(updated))?.status).toEqual({ state: 'ERROR', description: 'Twilio refused' })
    expect(await after.store.get(deleted)).toBeUndefined()
  })

  it('after the restart, changes made through another process are followed again', async () => {
    const other = await openStores(place)
    open.push(other)
    const name = connectionName('after-restart')
    await other.store.transaction((tx) => tx.insert(name, spec('after'), ACTIVE, new Date()))
    await eventually('the restarted process sees the change', async () => (await open[0]!.store.get(name)) ?? undefined)
  })
})
