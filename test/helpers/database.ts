/**
 * A gateway database for tests: the embedded PostgreSQL in a fresh temporary data directory, or a fresh database
 * on a real PostgreSQL server (see test/helpers/postgres.ts), migrated, with its stores.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConnectionStore } from '../../src/connections/store.js'
import { OperationStore } from '../../src/operations/operations.js'
import { ChangeFeed } from '../../src/store/changes.js'
import { openDatabase, type Database } from '../../src/store/database.js'
import { migrate } from '../../src/store/migrations.js'

export interface TestDatabase {
  database: Database
  feed: ChangeFeed
  store: ConnectionStore
  operations: OperationStore
  /** The data directory (embedded) or undefined (PostgreSQL). */
  dataDir?: string
  close(): Promise<void>
}

/** Opens a migrated database: embedded unless `url` names a PostgreSQL database. */
export async function openTestDatabase (options: { url?: string, pollMs?: number } = {}): Promise<TestDatabase> {
  const dataDir = options.url ? undefined : mkdtempSync(join(tmpdir(), 'gateway-db-'))
  const database = await openDatabase({ url: options.url, dataDir: dataDir ?? tmpdir() })
  await migrate(database.pool)
  const feed = await ChangeFeed.start(database, { pollMs: options.pollMs ?? 100, onError: (error) => console.warn(`change feed: ${error.message}`) })
  const store = await ConnectionStore.open(database.pool, feed)
  return {
    database,
    feed,
    store,
    operations: new OperationStore(database.pool),
    dataDir,
    async close () {
      feed.close()
      await database.close()
      if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    }
  }
}
