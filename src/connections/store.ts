/**
 * Connections in the database. The management API reads and writes rows directly; the runtime reads a cache of
 * all connections that every write (from any process) refreshes through the change feed, so runtime calls never
 * wait on the database and a change made anywhere is served everywhere within a second.
 */
import type pg from 'pg'
import { GatewayError, NotFoundError } from '../errors.js'
import type { ChangeFeed, Queryable } from '../store/changes.js'
import { recordChange } from '../store/changes.js'
import type { Connection, ConnectionSpec, ConnectionStatus } from './connection.js'
import type { ConnectionRegistry } from './registry.js'

const TOPIC = 'connections'

export interface StoredConnection {
  connection: Connection
  createTime: Date
  updateTime: Date
  /** Bumped by every create or update a user makes (Google's `connectionRevision`). */
  revision: number
}

interface Row {
  name: string
  resource: ConnectionSpec
  status: ConnectionStatus
  revision: string
  create_time: Date
  update_time: Date
}

function fromRow (row: Row): StoredConnection {
  return {
    connection: { ...row.resource, name: row.name, status: row.status },
    createTime: row.create_time,
    updateTime: row.update_time,
    revision: Number(row.revision)
  }
}

/** The `projects/{p}/locations/{l}` a connection name belongs to. */
export function parentOf (name: string): string {
  return name.split('/connections/')[0]!
}

/** Freezes an object and everything in it. */
function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const item of Object.values(value)) deepFreeze(item)
  }
  return value
}

export class ConnectionStore implements ConnectionRegistry {
  readonly #cache = new Map<string, Connection>()

  private constructor (private readonly pool: pg.Pool) {}

  /** Opens the store, loads the runtime cache and keeps it current through the change feed. */
  static async open (pool: pg.Pool, feed: ChangeFeed): Promise<ConnectionStore> {
    const store = new ConnectionStore(pool)
    feed.subscribe(TOPIC, { changed: (name) => store.#refresh(name), resync: () => store.#loadAll() })
    await store.#loadAll()
    return store
  }

  async #loadAll (): Promise<void> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM connections')
    this.#cache.clear()
    for (const row of rows) this.#cache.set(row.name, deepFreeze(fromRow(row).connection))
  }

  async #refresh (name: string): Promise<void> {
    const stored = await this.read(name)
    if (stored) this.#cache.set(name, deepFreeze(stored.connection))
    else this.#cache.delete(name)
  }

  has (name: string): boolean {
    return this.#cache.has(name)
  }

  /** The runtime's view: from the cache, frozen (shared by every call, so nobody may change it). */
  async get (name: string): Promise<Connection | undefined> {
    return this.#cache.get(name)
  }

  /** Records the connection's status as the runtime finds it; not a user change, so the revision stays. */
  async setStatus (name: string, status: ConnectionStatus): Promise<void> {
    await this.transaction(async (tx) => { await tx.setStatus(name, status) })
  }

  async read (name: string, db: Queryable = this.pool): Promise<StoredConnection | undefined> {
    const { rows } = await db.query<Row>('SELECT * FROM connections WHERE name = $1', [name])
    return rows[0] && fromRow(rows[0])
  }

  async list (parent: string): Promise<StoredConnection[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM connections WHERE parent = $1 ORDER BY name', [parent])
    return rows.map(fromRow)
  }

  /**
   * Runs `work` in a transaction; the connections it changes are refreshed in this process's cache as soon as it
   * commits (other processes follow through the change feed).
   */
  async transaction<T> (work: (tx: ConnectionTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    const changed = new Set<string>()
    try {
      await client.query('BEGIN')
      const result = await work(new ConnectionTransaction(client, changed))
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
      for (const name of changed) await this.#refresh(name)
    }
  }
}

/** Writes to connections within one transaction. */
export class ConnectionTransaction {
  constructor (readonly client: pg.PoolClient, private readonly changed: Set<string>) {}

  async read (name: string): Promise<StoredConnection | undefined> {
    const { rows } = await this.client.query<Row>('SELECT * FROM connections WHERE name = $1 FOR UPDATE', [name])
    return rows[0] && fromRow(rows[0])
  }

  /** Inserts a new connection; ALREADY_EXISTS if the name is taken. */
  async insert (name: string, spec: ConnectionSpec, status: ConnectionStatus, now: Date): Promise<StoredConnection> {
    const { rows } = await this.client.query<Row>(
      `INSERT INTO connections (name, parent, resource, status, revision, create_time, update_time)
       VALUES ($1, $2, $3, $4, 1, $5, $5) ON CONFLICT (name) DO NOTHING RETURNING *`,
      [name, parentOf(name), spec, status, now])
    if (!rows[0]) throw new GatewayError('ALREADY_EXISTS', `Connection ${name} already exists`)
    await this.#changed(name)
    return fromRow(rows[0])
  }

  /** Replaces a connection's settable fields and status, bumping its revision. */
  async replace (name: string, spec: ConnectionSpec, status: ConnectionStatus, now: Date): Promise<StoredConnection> {
    const { rows } = await this.client.query<Row>(
      `UPDATE connections SET resource = $2, status = $3, revision = revision + 1, update_time = $4
       WHERE name = $1 RETURNING *`,
      [name, spec, status, now])
    if (!rows[0]) throw new NotFoundError(`Connection ${name} not found`)
    await this.#changed(name)
    return fromRow(rows[0])
  }

  async setStatus (name: string, status: ConnectionStatus): Promise<void> {
    const { rowCount } = await this.client.query('UPDATE connections SET status = $2 WHERE name = $1', [name, status])
    if (rowCount) await this.#changed(name)
  }

  async remove (name: string): Promise<boolean> {
    const { rowCount } = await this.client.query('DELETE FROM connections WHERE name = $1', [name])
    if (rowCount) await this.#changed(name)
    return Boolean(rowCount)
  }

  async #changed (name: string): Promise<void> {
    this.changed.add(name)
    await recordChange(this.client, TOPIC, name)
  }
}
