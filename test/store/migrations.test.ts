/**
 * Versioned migrations: applied once, in order, recorded in schema_migrations; a second run applies nothing (also
 * after a restart); a failing migration leaves nothing behind; and on a real PostgreSQL several processes
 * migrating one fresh database at once (the advisory lock) apply every migration exactly once.
 */
import { afterEach, expect, it } from 'vitest'
import type { Database } from '../../src/store/database.js'
import { MIGRATIONS, migrate, type Migration } from '../../src/store/migrations.js'
import { describeEachBackend, type Place } from './backends.js'

const ALL = MIGRATIONS.map((migration) => migration.version)

async function appliedVersions (database: Database): Promise<number[]> {
  const { rows } = await database.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
  return rows.map((row) => row.version)
}

async function tables (database: Database): Promise<string[]> {
  const { rows } = await database.pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")
  return rows.map((row) => row.table_name)
}

describeEachBackend('migrations', (backend) => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup() })

  async function place (options: { fresh?: boolean } = {}): Promise<Place> {
    const created = await backend.place('migrations', options)
    cleanups.push(() => created.remove())
    return created
  }
  async function open (at: Place): Promise<Database> {
    const database = await at.open()
    cleanups.push(() => database.close())
    return database
  }

  it('applies every migration once, in order, and a second run (and a run after a restart) applies nothing', async () => {
    const at = await place({ fresh: true })
    const first = await at.open()
    expect(await migrate(first.pool)).toEqual(ALL)
    expect(await appliedVersions(first)).toEqual(ALL)
    expect(await tables(first)).toEqual(expect.arrayContaining(['changes', 'connections', 'gateway_secrets', 'operations', 'schema_migrations']))
    expect(await migrate(first.pool)).toEqual([])
    await first.close()

    const again = await open(at)
    expect(await migrate(again.pool)).toEqual([])
    expect(await appliedVersions(again)).toEqual(ALL)
  })

  it('applies a new migration added later, and only that one', async () => {
    const database = await open(await place())
    await migrate(database.pool)
    const next: Migration = { version: ALL.at(-1)! + 1, name: 'test: a later migration', sql: 'CREATE TABLE later_table (id integer PRIMARY KEY)' }
    expect(await migrate(database.pool, [...MIGRATIONS, next])).toEqual([next.version])
    expect(await migrate(database.pool, [...MIGRATIONS, next])).toEqual([])
    expect(await tables(database)).toContain('later_table')
  })

  it('a failing migration is rolled back, named in the error, not recorded, and does not block the next run', async () => {
    const database = await open(await place())
    await migrate(database.pool)
    const broken: Migration = {
      version: ALL.at(-1)! + 1,
      name: 'test: broken',
      sql: 'CREATE TABLE half_done (id integer); SELECT no_such_function()'
    }
    await expect(migrate(database.pool, [...MIGRATIONS, broken])).rejects.toThrow(`database migration ${broken.version} (test: broken) failed`)
    expect(await tables(database)).not.toContain('half_done')
    expect(await appliedVersions(database)).toEqual(ALL)
    // The advisory lock was released: a fixed migration applies.
    const fixed: Migration = { ...broken, sql: 'CREATE TABLE half_done (id integer)' }
    expect(await migrate(database.pool, [...MIGRATIONS, fixed])).toEqual([fixed.version])
  })

  if (backend.kind === 'postgres') {
    it('several processes migrating one fresh database at once apply each migration exactly once, and all succeed', async () => {
      const at = await place()
      const handles = await Promise.all([1, 2, 3, 4].map(() => open(at)))
      // A migration that fails if it runs twice (CREATE TABLE without IF NOT EXISTS), and one that counts its runs.
      const extra: Migration[] = [
        { version: 1001, name: 'test: not idempotent', sql: 'CREATE TABLE once_only (id integer)' },
        {
          version: 1002,
          name: 'test: counts its runs',
          sql: 'CREATE TABLE IF NOT EXISTS runs (n integer); INSERT INTO runs VALUES (1); SELECT pg_sleep(0.05)'
        }
      ]
      const results = await Promise.all(handles.map((database) => migrate(database.pool, [...MIGRATIONS, ...extra])))
      expect(results.flat().sort((a, b) => a - b)).toEqual([...ALL, 1001, 1002])
      // One process did the work; the others found it done.
      expect(results.filter((applied) => applied.length > 0)).toHaveLength(1)
      expect(await appliedVersions(handles[0]!)).toEqual([...ALL, 1001, 1002])
      const { rows } = await handles[0]!.pool.query<{ count: string }>('SELECT count(*) FROM runs')
      expect(rows[0]!.count).toBe('1')
    })
  }
})
