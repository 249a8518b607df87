/**
 * Where each connection's current node count lives. Autoscaling changes it; every process reads it from memory.
 * With a database the count is shared by the cluster: a change is a compare-and-set on the time of the last change
 * (so the cluster takes one step per window, whichever process asks first) and reaches the other processes through
 * the change feed. It is kept apart from the connection resource: Terraform must never see it as a diff.
 */
import type pg from 'pg'
import type { ChangeFeed } from '../store/changes.js'
import { recordChange } from '../store/changes.js'

export interface NodeCounts {
  /** The count autoscaling set, if it ever did (otherwise the connection runs on its minimum). */
  get (name: string): number | undefined
  /** Connections with a count, so that idle ones are scaled down too. */
  names (): string[]
  /**
   * Sets the count unless it changed less than `minGapMs` before `now` (clock milliseconds); answers whether it
   * did. A connection that no longer exists is not given a count.
   */
  change (name: string, nodes: number, now: number, minGapMs: number): Promise<boolean>
}

interface Entry { nodes: number, changedAt: number }

export class MemoryNodeCounts implements NodeCounts {
  readonly #entries = new Map<string, Entry>()

  get (name: string): number | undefined {
    return this.#entries.get(name)?.nodes
  }

  names (): string[] {
    return [...this.#entries.keys()]
  }

  async change (name: string, nodes: number, now: number, minGapMs: number): Promise<boolean> {
    const entry = this.#entries.get(name)
    if (entry && now - entry.changedAt < minGapMs) return false
    this.#entries.set(name, { nodes, changedAt: now })
    return true
  }
}

const TOPIC = 'connection-nodes'

export class DatabaseNodeCounts implements NodeCounts {
  readonly #cache = new Map<string, number>()

  private constructor (private readonly pool: pg.Pool) {}

  static async open (pool: pg.Pool, feed: ChangeFeed): Promise<DatabaseNodeCounts> {
    const counts = new DatabaseNodeCounts(pool)
    const follow = { changed: (name: string) => counts.#refresh(name), resync: () => counts.#loadAll() }
    feed.subscribe(TOPIC, follow)
    // A deleted (or re-created) connection loses its count with its row.
    feed.subscribe('connections', follow)
    await counts.#loadAll()
    return counts
  }

  get (name: string): number | undefined {
    return this.#cache.get(name)
  }

  names (): string[] {
    return [...this.#cache.keys()]
  }

  async change (name: string, nodes: number, now: number, minGapMs: number): Promise<boolean> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      const { rowCount } = await client.query(
        `INSERT INTO connection_nodes (name, nodes, changed_at_ms)
         SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM connections WHERE name = $1)
         ON CONFLICT (name) DO UPDATE SET nodes = EXCLUDED.nodes, changed_at_ms = EXCLUDED.changed_at_ms
         WHERE connection_nodes.changed_at_ms <= $3 - $4`,
        [name, nodes, now, minGapMs])
      if (rowCount) await recordChange(client, TOPIC, name)
      await client.query('COMMIT')
      if (rowCount) this.#cache.set(name, nodes)
      return Boolean(rowCount)
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  async #refresh (name: string): Promise<void> {
    const { rows } = await this.pool.query<{ nodes: number }>('SELECT nodes FROM connection_nodes WHERE name = $1', [name])
    if (rows[0]) this.#cache.set(name, rows[0].nodes)
    else this.#cache.delete(name)
  }

  async #loadAll (): Promise<void> {
    const { rows } = await this.pool.query<{ name: string, nodes: number }>('SELECT name, nodes FROM connection_nodes')
    this.#cache.clear()
    for (const row of rows) this.#cache.set(row.name, row.nodes)
  }
}
