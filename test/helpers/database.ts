/**
 * A gateway database for tests: the embedded PostgreSQL in a temporary data directory (a copy of a freshly
 * initialised one made once per run — creating one takes seconds), or a database on a real PostgreSQL server (see
 * test/helpers/postgres.ts); migrated, with its stores, as a gateway process opens it at start-up.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { PGlite } from '@electric-sql/pglite'
import { inject } from 'vitest'
import { ConnectionStore } from '../../src/connections/store.js'
import { OperationStore } from '../../src/operations/operations.js'
import { ChangeFeed } from '../../src/store/changes.js'
import { openDatabase, type Database } from '../../src/store/database.js'
import { migrate } from '../../src/store/migrations.js'

let template: Promise<string> | undefined

/**
 * A PGlite data directory as a first start leaves it (no migrations), made once per run and shared by the test
 * files: the first to need it builds it (holding a lock directory) while the others wait for it.
 */
export function embeddedTemplate (): Promise<string> {
  template ??= (async () => {
    const runDir = inject('runDir')
    const ready = join(runDir, 'pglite-template')
    const lock = join(runDir, 'pglite-template.lock')
    const deadline = Date.now() + 120_000
    for (;;) {
      if (existsSync(join(ready, 'PG_VERSION'))) return ready
      try {
        mkdirSync(lock)
      } catch {
        // Another test file is building it.
        if (Date.now() > deadline) throw new Error(`the PGlite template in ${runDir} was not ready within 120 s`)
        await sleep(100)
        continue
      }
      try {
        const building = mkdtempSync(join(runDir, 'pglite-building-'))
        const db = await PGlite.create(building)
        await db.close()
        renameSync(building, ready)
        return ready
      } finally {
        rmSync(lock, { recursive: true, force: true })
      }
    }
  })()
  return template
}

/** A new data directory holding an empty embedded database; `remove` deletes it. */
export async function temporaryDataDir (prefix = 'gateway-db-'): Promise<{ dataDir: string, remove: () => void }> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix))
  cpSync(await embeddedTemplate(), join(dataDir, 'pgdata'), { recursive: true })
  return { dataDir, remove: () => rmSync(dataDir, { recursive: true, force: true }) }
}

export interface TestDatabase {
  database: Database
  feed: ChangeFeed
  store: ConnectionStore
  operations: OperationStore
  /** The data directory (embedded) or undefined (PostgreSQL). */
  dataDir?: string
  /** Closes the database; a temporary data directory made for it is deleted, a given one is kept (a restart). */
  close(): Promise<void>
}

export interface TestDatabaseOptions {
  /** A PostgreSQL database URL; without it, the embedded database. */
  url?: string
  /** The embedded database's data directory (to reopen it); without it, a new temporary one. */
  dataDir?: string
  /** How often the change feed polls (250 ms, as `npm start` on the embedded database). */
  pollMs?: number
}

export async function openTestDatabase (options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const temporary = options.url || options.dataDir ? undefined : await temporaryDataDir()
  const dataDir = options.url ? undefined : options.dataDir ?? temporary!.dataDir
  const database = await openDatabase({ url: options.url, dataDir: dataDir ?? tmpdir(), warn: () => {} })
  await migrate(database.pool)
  const feed = await ChangeFeed.start(database, {
    pollMs: options.pollMs ?? 250,
    onError: (error) => console.warn(`change feed: ${error.message}`)
  })
  const store = await ConnectionStore.open(database.pool, feed)
  return {
    database,
    feed,
    store,
    operations: new OperationStore(database.pool),
    dataDir,
    async close () {
      await feed.close()
      await database.close()
      temporary?.remove()
    }
  }
}
