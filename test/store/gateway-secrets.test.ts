/**
 * The gateway's own secrets (e.g. the page-token signing key) live in the shared database: every process gets the
 * same key, even when they ask at the same moment, and a restart keeps it.
 */
import { afterEach, expect, it } from 'vitest'
import type { Database } from '../../src/store/database.js'
import { gatewayKey } from '../../src/store/gateway-secrets.js'
import { migrate } from '../../src/store/migrations.js'
import { describeEachBackend, type Place } from './backends.js'

describeEachBackend('gatewayKey', (backend) => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup() })

  async function place (): Promise<Place> {
    const created = await backend.place('secrets')
    cleanups.push(() => created.remove())
    return created
  }
  async function open (at: Place): Promise<Database> {
    const database = await at.open()
    await migrate(database.pool)
    cleanups.push(() => database.close())
    return database
  }

  it('gives two processes the same 32-byte key, a different one per name, and the same again after a restart', async () => {
    const at = await place()
    const first = await at.open()
    await migrate(first.pool)
    const second = await open(at)
    const key = await gatewayKey(first.pool, 'page-token-key')
    expect(key).toHaveLength(32)
    expect(await gatewayKey(second.pool, 'page-token-key')).toEqual(key)
    expect(await gatewayKey(first.pool, 'page-token-key')).toEqual(key)
    const other = await gatewayKey(second.pool, 'another-key')
    expect(other).toHaveLength(32)
    expect(other).not.toEqual(key)

    await second.close()
    cleanups.pop()
    await first.close()
    const reopened = await open(at)
    expect(await gatewayKey(reopened.pool, 'page-token-key')).toEqual(key)
    expect(await gatewayKey(reopened.pool, 'another-key')).toEqual(other)
  })

  it('gives every process the same key when they all ask for a new one at once', async () => {
    const at = await place()
    // Opened one after the other (opening one embedded directory at once is tested in embedded.test.ts).
    const handles = [await open(at), await open(at), await open(at)]
    const keys = await Promise.all(handles.flatMap((database) => [gatewayKey(database.pool, 'raced'), gatewayKey(database.pool, 'raced')]))
    for (const key of keys) expect(key).toEqual(keys[0])
  })
})
