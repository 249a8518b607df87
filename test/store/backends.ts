/**
 * The two databases the store runs on — the embedded PostgreSQL (PGlite under a data directory) and a real
 * PostgreSQL server (the one the global setup starts) — and a way to run one suite against each. A "place" is one
 * database (a data directory, or a database on the server); several handles may be opened on it, as several
 * gateway processes (or a gateway and a CLI) would.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe } from 'vitest'
import type { ConnectionSpec, ConnectionStatus } from '../../src/connections/connection.js'
import { ConnectionStore } from '../../src/connections/store.js'
import { OperationStore } from '../../src/operations/operations.js'
import { ChangeFeed } from '../../src/store/changes.js'
import { openDatabase, type Database } from '../../src/store/database.js'
import { migrate } from '../../src/store/migrations.js'
import { embeddedTemplate } from '../helpers/database.js'
import { createTestDatabase, realPostgres, realPostgresLabel } from '../helpers/postgres.js'

export { embeddedTemplate }

export type BackendKind = 'embedded' | 'postgres'

export interface Place {
  kind: BackendKind
  /** The database URL (real PostgreSQL). */
  url?: string
  /** The data directory (embedded; for PostgreSQL an unused temporary directory). */
  dataDir: string
  /** Opens a database handle on this place (not migrated). */
  open(): Promise<Database>
  /** Deletes the place (drops the database / removes the data directory). */
  remove(): Promise<void>
}

export interface Backend {
  kind: BackendKind
  /** The suite name (with the loud skip reason when skipped). */
  label: string
  skipReason?: string
  /**
   * A new, empty database. Embedded: a copy of a freshly initialised PGlite directory made once per run (creating
   * one takes seconds); `fresh: true` initialises this one itself, exactly as a first start does.
   */
  place(prefix?: string, options?: { fresh?: boolean }): Promise<Place>
}

export function backends (): Backend[] {
  const { url, skipReason } = realPostgres()
  return [
    {
      kind: 'embedded',
      label: 'embedded PostgreSQL (PGlite)',
      async place (_prefix, options = {}) {
        const dataDir = mkdtempSync(join(tmpdir(), 'gateway-store-'))
        if (!options.fresh) cpSync(await embeddedTemplate(), join(dataDir, 'pgdata'), { recursive: true })
        return {
          kind: 'embedded',
          dataDir,
          open: () => openDatabase({ dataDir }),
          async remove () { rmSync(dataDir, { recursive: true, force: true }) }
        }
      }
    },
    {
      kind: 'postgres',
      label: realPostgresLabel('real PostgreSQL'),
      ...(url ? {} : { skipReason: skipReason ?? 'no PostgreSQL server' }),
      async place (prefix = 'store') {
        const database = await createTestDatabase(prefix)
        const dataDir = mkdtempSync(join(tmpdir(), 'gateway-store-'))
        return {
          kind: 'postgres',
          url: database.url,
          dataDir,
          open: () => openDatabase({ url: database.url, dataDir, warn: () => {} }),
          async remove () {
            rmSync(dataDir, { recursive: true, force: true })
            await database.drop()
          }
        }
      }
    }
  ]
}

/** Runs `suite` once per backend; the real-PostgreSQL run is skipped (with the reason in its name) without a server. */
export function describeEachBackend (title: string, suite: (backend: Backend) => void, only?: BackendKind): void {
  for (const backend of backends()) {
    if (only && backend.kind !== only) continue
    const run = backend.skipReason ? describe.skip : describe
    run(`${title} — ${backend.label}`, () => suite(backend))
  }
}

/** The stores on one database handle, as a gateway process has them. */
export interface Stores {
  database: Database
  feed: ChangeFeed
  store: ConnectionStore
  operations: OperationStore
  /** Errors the change feed reported (a healthy run has none). */
  errors: Error[]
  close(): Promise<void>
}

/**
 * Opens a handle on `place`, migrates, and starts a change feed and the stores. `pollMs` defaults to the
 * server's: 1000 ms on PostgreSQL (NOTIFY wakes readers at once), 250 ms embedded (polling only).
 */
export async function openStores (place: Place, options: { pollMs?: number } = {}): Promise<Stores> {
  const database = await place.open()
  await migrate(database.pool)
  const errors: Error[] = []
  let closed = false
  const feed = await ChangeFeed.start(database, {
    pollMs: options.pollMs ?? (database.kind === 'postgres' ? 1000 : 250),
    onError: (error) => { if (!closed) errors.push(error) }
  })
  const store = await ConnectionStore.open(database.pool, feed)
  return {
    database,
    feed,
    store,
    operations: new OperationStore(database.pool),
    errors,
    async close () {
      closed = true
      await feed.close()
      // Let a read in flight finish before the pool goes away.
      await feed.wake().catch(() => {})
      await database.close()
    }
  }
}

/**
 * Polls `probe` until it answers a value other than undefined, for at most `withinMs`; answers the value and
 * how long it took. Fails with `what` when the time is up.
 */
export async function eventually<T> (what: string, probe: () => Promise<T | undefined> | T | undefined, withinMs = 1000, everyMs = 10): Promise<{ value: T, ms: number }> {
  const started = performance.now()
  const deadline = started + withinMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return { value, ms: performance.now() - started }
    if (performance.now() >= deadline) throw new Error(`${what}: not within ${withinMs} ms`)
    await sleep(everyMs)
  }
}

export const CONNECTOR_VERSION = 'projects/p/locations/global/providers/twilio/connectors/twilio/versions/1'
export const PARENT = 'projects/p/locations/us-central1'
export const ACTIVE: ConnectionStatus = { state: 'ACTIVE', description: 'Twilio accepts the credentials' }

/** A connection's settable fields, as a user would set them. */
export function spec (description = 'a connection', labels: Record<string, string> = { env: 'test' }): ConnectionSpec {
  return {
    connectorVersion: CONNECTOR_VERSION,
    description,
    labels,
    configVariables: [{ key: 'account_sid', stringValue: 'AC0123456789abcdef0123456789abcdef' }, { key: 'proxy_enabled' }, { key: 'sandbox', boolValue: true }],
    authConfig: {
      authType: 'USER_PASSWORD',
      userPassword: { username: 'AC0123456789abcdef0123456789abcdef', password: { secretVersion: 'projects/p/secrets/token/versions/1' } }
    },
    nodeConfig: { minNodeCount: 2, maxNodeCount: 5 }
  }
}

let counter = 0
/** A unique connection name under PARENT. */
export function connectionName (prefix = 'c'): string {
  counter += 1
  return `${PARENT}/connections/${prefix}-${process.pid}-${counter}`
}
