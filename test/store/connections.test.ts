/**
 * The ConnectionStore on each database: rows (insert, duplicate → ALREADY_EXISTS, replace bumps the revision,
 * remove) and the runtime cache, which follows changes made through another store on the same database — another
 * process — within a second, including a change made while a reader missed its notification.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { GatewayError, NotFoundError } from '../../src/errors.js'
import { ACTIVE, connectionName, describeEachBackend, eventually, openStores, PARENT, spec, type Place, type Stores } from './backends.js'

describeEachBackend('ConnectionStore', (backend) => {
  let place: Place
  /** Two gateway processes on one database: A owns the embedded database, B connects through A's socket. */
  let a: Stores
  let b: Stores
  beforeAll(async () => {
    place = await backend.place('connections')
    a = await openStores(place)
    b = await openStores(place)
  })
  afterAll(async () => {
    await b?.close()
    await a?.close()
    await place?.remove()
  })
  afterEach(() => {
    expect(a.errors).toEqual([])
    expect(b.errors).toEqual([])
  })

  it('runs as two processes would: a shared server, or an owner and a client of the embedded one', () => {
    const expected = backend.kind === 'postgres' ? ['postgres', 'postgres'] : ['embedded', 'embedded-client']
    expect([a.database.kind, b.database.kind]).toEqual(expected)
  })

  it('inserts, reads and lists a connection exactly as given, at revision 1', async () => {
    const name = connectionName('insert')
    const given = spec('inserted', { env: 'test', 'goog-terraform-provisioned': 'true' })
    const before = Date.now()
    const stored = await a.store.transaction((tx) => tx.insert(name, given, ACTIVE, new Date()))
    expect(stored.revision).toBe(1)
    expect(stored.connection).toEqual({ ...given, name, status: ACTIVE })
    expect(stored.createTime.getTime()).toBeGreaterThanOrEqual(before - 1000)
    expect(stored.updateTime.getTime()).toBe(stored.createTime.getTime())

    expect(await b.store.read(name)).toEqual(stored)
    expect((await a.store.list(PARENT)).map((item) => item.connection.name)).toContain(name)
    expect(await a.store.list('projects/p/locations/elsewhere')).toEqual([])
    // The writer's own cache has it as soon as the transaction is done.
    expect(await a.store.get(name)).toEqual({ ...given, name, status: ACTIVE })
  })

  it('refuses a second connection of the same name with ALREADY_EXISTS and keeps the first', async () => {
    const name = connectionName('duplicate')
    await a.store.transaction((tx) => tx.insert(name, spec('first'), ACTIVE, new Date()))
    const error = await b.store.transaction((tx) => tx.insert(name, spec('second'), ACTIVE, new Date())).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(GatewayError)
    expect((error as GatewayError).code).toBe('ALREADY_EXISTS')
    expect((await a.store.read(name))?.connection.description).toBe('first')
  })

  it('replaces a connection: new fields and status, revision + 1, createTime kept, updateTime moved', async () => {
    const name = connectionName('replace')
    const created = await a.store.transaction((tx) => tx.insert(name, spec('v1'), ACTIVE, new Date(Date.now() - 5000)))
    const changed = { ...spec('v2', { env: 'prod' }), suspended: true }
    const status = { state: 'INACTIVE', description: 'The connection is suspended' }
    const replaced = await b.store.transaction((tx) => tx.replace(name, changed, status, new Date()))
    expect(replaced.revision).toBe(2)
    expect(replaced.connection).toEqual({ ...changed, name, status })
    expect(replaced.createTime).toEqual(created.createTime)
    expect(replaced.updateTime.getTime()).toBeGreaterThan(created.updateTime.getTime())
    // The spec is replaced, not merged: a field the new one leaves out is gone.
    const smaller = { connectorVersion: changed.connectorVersion, authConfig: changed.authConfig }
    const again = await a.store.transaction((tx) => tx.replace(name, smaller, ACTIVE, new Date()))
    expect(again.revision).toBe(3)
    expect(again.connection).toEqual({ ...smaller, name, status: ACTIVE })
    await expect(a.store.transaction((tx) => tx.replace(connectionName('missing'), smaller, ACTIVE, new Date()))).rejects.toBeInstanceOf(NotFoundError)
  })

  it('removes a connection (true), then finds nothing to remove (false)', async () => {
    const name = connectionName('remove')
    await a.store.transaction((tx) => tx.insert(name, spec(), ACTIVE, new Date()))
    expect(await a.store.transaction((tx) => tx.remove(name))).toBe(true)
    expect(await a.store.transaction((tx) => tx.remove(name))).toBe(false)
    expect(await a.store.read(name)).toBeUndefined()
    expect(await a.store.get(name)).toBeUndefined()
  })

  it('a transaction that fails changes nothing, not even the cache', async () => {
    const name = connectionName('rollback')
    await expect(a.store.transaction(async (tx) => {
      await tx.insert(name, spec(), ACTIVE, new Date())
      throw new Error('boom')
    })).rejects.toThrow('boom')
    expect(await a.store.read(name)).toBeUndefined()
    expect(await a.store.get(name)).toBeUndefined()
    expect(await b.store.read(name)).toBeUndefined()
  })

  it("another process's cache sees a create, an update and a delete within a second (both directions)", async () => {
    for (const [writer, reader] of [[a, b], [b, a]] as const) {
      const name = connectionName('follow')
      await writer.store.transaction((tx) => tx.insert(name, spec('created'), ACTIVE, new Date()))
      const created = await eventually('the reader sees the create', async () => (await reader.store.get(name)) ?? undefined)
      expect(created.value.description).toBe('created')

      await writer.store.transaction((tx) => tx.replace(name, spec('updated'), ACTIVE, new Date()))
      await eventually('the reader sees the update', async () => (await reader.store.get(name))?.description === 'updated' || undefined)

      await writer.store.transaction((tx) => tx.remove(name))
      await eventually('the reader sees the delete', async () => (await reader.store.get(name)) === undefined || undefined)
    }
  })

  it('a change reaches a reader through the changes table: one that was not woken when it was made gets it on its next read', async () => {
    // C never polls (on PostgreSQL NOTIFY may still wake it; the listener-down case is tested below).
    const c = await openStores(place, { pollMs: 3_600_000 })
    try {
      const name = connectionName('missed')
      await a.store.transaction((tx) => tx.insert(name, spec('while asleep'), ACTIVE, new Date()))
      if (c.database.kind !== 'postgres') expect(await c.store.get(name)).toBeUndefined()
      await c.feed.wake()
      await eventually('the woken reader sees the change', async () => (await c.store.get(name))?.description === 'while asleep' || undefined)
    } finally {
      await c.close()
    }
    expect(c.errors).toEqual([])
  })

  if (backend.kind === 'postgres') {
    it("a change made while a reader's LISTEN connection is down reaches it when the listener reconnects, and NOTIFY works again after", async () => {
      // C has no poll to fall back on: only NOTIFY and the listener's reconnection can wake it.
      const c = await openStores(place, { pollMs: 3_600_000 })
      try {
        const admin = await place.open()
        try {
          // The listeners: the connections whose last statement was a LISTEN (A's, B's and C's: all are ended).
          const { rows } = await admin.pool.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()")
          expect(rows.length).toBeGreaterThanOrEqual(3)
          await admin.pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [rows.map((row) => row.pid)])
        } finally {
          await admin.close()
        }
        const name = connectionName('disconnected')
        await a.store.transaction((tx) => tx.insert(name, spec('while disconnected'), ACTIVE, new Date()))
        // The listener reconnects after about a second and then reads what it missed.
        await eventually('the reconnected reader sees the change made while it was disconnected',
          async () => (await c.store.get(name))?.description === 'while disconnected' || undefined, 5000)
        // And it listens again: the next change arrives by NOTIFY, within a second.
        const next = connectionName('after-reconnect')
        await a.store.transaction((tx) => tx.insert(next, spec('after'), ACTIVE, new Date()))
        await eventually('the reader is notified again', async () => (await c.store.get(next)) ?? undefined)
      } finally {
        await c.close()
      }
      expect(c.errors).toEqual([])
      // A and B lost their listeners too; they reconnect and keep following.
      const last = connectionName('still-following')
      await a.store.transaction((tx) => tx.insert(last, spec(), ACTIVE, new Date()))
      await eventually('B follows again', async () => (await b.store.get(last)) ?? undefined, 5000)
    })

    it('a change whose cache refresh fails (a query error) is not lost: it is retried, and nothing is left unhandled', async () => {
      // A database of its own: this test breaks reads of `connections` for a moment.
      const own = await backend.place('refresh')
      const c = await openStores(own)
      const admin = await own.open()
      const unhandled: unknown[] = []
      const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
      process.on('unhandledRejection', onUnhandled)
      try {
        const name = connectionName('refresh-fails')
        await c.store.transaction((tx) => tx.insert(name, spec('v1'), ACTIVE, new Date()))
        // Another process changes the connection while, for a moment, reading it fails (here: the table is renamed,
        // standing in for a dropped connection or a fail-over between the change read and the row read).
        const client = await admin.pool.connect()
        try {
          await client.query('BEGIN')
          await client.query('ALTER TABLE connections RENAME TO connections_away')
          await client.query(`UPDATE connections_away SET resource = jsonb_set(resource, '{description}', '"v2"'), revision = revision + 1 WHERE name = $1`, [name])
          await client.query("INSERT INTO changes (topic, key) VALUES ('connections', $1)", [name])
          await client.query("SELECT pg_notify('gateway_changes', 'connections')")
          await client.query('COMMIT')
        } finally {
          client.release()
        }
        // C reads the change and fails to read the row (seen as an error reported or left unhandled)…
        await c.feed.wake()
        await eventually('the refresh fails', () => unhandled.length + c.errors.length > 0 || undefined, 2000).catch(() => {})
        await admin.pool.query('ALTER TABLE connections_away RENAME TO connections')
        // …and must still end up with the new value, without another change to that connection.
        const retried = await eventually('C retries the refresh that failed', async () => (await c.store.get(name))?.description === 'v2' || undefined, 5000)
          .then(() => true, () => false)
        // A rejected refresh left unhandled ends a gateway process (Node's default for unhandled rejections).
        expect.soft(unhandled.map(String)).toEqual([])
        expect(retried, 'the cache kept the old value: the failed refresh was never retried').toBe(true)
      } finally {
        process.off('unhandledRejection', onUnhandled)
        await admin.pool.query('ALTER TABLE IF EXISTS connections_away RENAME TO connections').catch(() => {})
        await admin.close()
        await c.close()
        await own.remove()
      }
    })

    it('a change that commits after a later-numbered one (numbers are taken at write time) is not missed', async () => {
      const first = connectionName('slow-commit')
      const second = connectionName('fast-commit')
      let release!: () => void
      const gate = new Promise<void>((resolve) => { release = resolve })
      let written!: () => void
      const firstWritten = new Promise<void>((resolve) => { written = resolve })
      // A's transaction takes its change number first but commits last.
      const slow = a.store.transaction(async (tx) => {
        await tx.insert(first, spec('slow'), ACTIVE, new Date())
        written()
        await gate
      })
      await firstWritten
      const c = await openStores(place)
      try {
        await c.store.transaction((tx) => tx.insert(second, spec('fast'), ACTIVE, new Date()))
        await eventually('B sees the later-numbered change', async () => (await b.store.get(second)) ?? undefined)
        expect(await b.store.get(first)).toBeUndefined()
        release()
        await slow
        await eventually('B sees the earlier-numbered change that committed last', async () => (await b.store.get(first)) ?? undefined)
      } finally {
        release()
        await c.close()
      }
    })
  }
})
