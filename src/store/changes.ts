/**
 * Tells every gateway process about changes made by any of them (or by a CLI): each write records a row in
 * `changes` within its own transaction; every process reads the rows newer than the last it saw and hands their
 * keys to the subscribers of their topic. Readers are woken by NOTIFY on PostgreSQL and by a short poll anyway, so
 * a change is never missed, not even across a dropped connection, and is seen by all processes within a second.
 */
import type pg from 'pg'
import type { Database } from './database.js'

const CHANNEL = 'gateway_changes'
/** Changes older than this are pruned; a process that sleeps longer reloads everything (see `onResync`). */
const RETENTION = '1 hour'
/**
 * Sequence numbers are taken when a transaction writes, not when it commits: a change with a lower number can
 * become visible after a higher one. Each read therefore looks this far back and skips what it already saw.
 */
const REORDER_WINDOW = 256n

export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>

/** Records a change of `key` in `topic`; call it inside the transaction that makes the change. */
export async function recordChange (db: Queryable, topic: string, key: string): Promise<void> {
  await db.query('INSERT INTO changes (topic, key) VALUES ($1, $2)', [topic, key])
  await db.query('SELECT pg_notify($1, $2)', [CHANNEL, topic])
}

export interface Subscriber {
  /** Called with the key of every change in the topic; a rejection has the change delivered again later. */
  changed (key: string): Promise<void>
  /** Called when changes may have been pruned unseen: reload everything. */
  resync (): Promise<void>
}

export class ChangeFeed {
  readonly #subscribers = new Map<string, Subscriber[]>()
  /** The highest sequence number handed out, and those handed out within the reorder window below it. */
  #lastSeq = 0n
  readonly #seen = new Set<bigint>()
  #reading: Promise<void> | undefined
  #again = false
  #timer: NodeJS.Timeout | undefined
  #prunedAt = 0
  #closed = false

  private constructor (private readonly database: Database, private readonly onError: (error: Error) => void) {}

  /** Starts following changes from now on; `pollMs` bounds how late a change can be seen. */
  static async start (database: Database, options: { pollMs: number, onError: (error: Error) => void }): Promise<ChangeFeed> {
    const feed = new ChangeFeed(database, options.onError)
    // Changes from before the start are in what the subscribers load; later ones (even within the reorder window)
    // may be handed out once more, which subscribers tolerate: a change only says "reload this key".
    const { rows } = await database.pool.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM changes')
    feed.#lastSeq = BigInt(rows[0]?.seq ?? 0)
    await database.onNotify(CHANNEL, () => feed.wake())
    feed.#timer = setInterval(() => feed.wake(), options.pollMs)
    feed.#timer.unref()
    return feed
  }

  subscribe (topic: string, subscriber: Subscriber): void {
    this.#subscribers.set(topic, [...(this.#subscribers.get(topic) ?? []), subscriber])
  }

  /** Reads new changes now (coalescing concurrent wake-ups); resolves when they have been handed out. */
  wake (): Promise<void> {
    if (this.#closed) return Promise.resolve()
    if (this.#reading) {
      this.#again = true
      return this.#reading
    }
    this.#reading = this.#read().catch(this.onError).finally(() => {
      this.#reading = undefined
      if (this.#again) {
        this.#again = false
        void this.wake()
      }
    })
    return this.#reading
  }

  async #read (): Promise<void> {
    const floor = this.#lastSeq > REORDER_WINDOW ? this.#lastSeq - REORDER_WINDOW : 0n
    const { rows } = await this.database.pool.query<{ seq: string, topic: string, key: string, oldest: string | null }>(
      'SELECT seq, topic, key, (SELECT min(seq) FROM changes) AS oldest FROM changes WHERE seq > $1 ORDER BY seq LIMIT 10000',
      [floor.toString()])
    const oldest = rows[0]?.oldest
    if (this.#lastSeq > 0n && oldest !== undefined && oldest !== null && BigInt(oldest) > this.#lastSeq + 1n) {
      // Changes newer than the last one seen were pruned before this process read them.
      for (const subscribers of this.#subscribers.values()) for (const subscriber of subscribers) await subscriber.resync()
    }
    for (const row of rows) {
      const seq = BigInt(row.seq)
      if (this.#seen.has(seq) || (seq <= this.#lastSeq && seq <= floor)) continue
      // A subscriber that fails (the database is briefly away) stops the read here: this change and the ones after
      // it are delivered again on the next read.
      for (const subscriber of this.#subscribers.get(row.topic) ?? []) await subscriber.changed(row.key)
      this.#seen.add(seq)
      if (seq > this.#lastSeq) this.#lastSeq = seq
    }
    const newFloor = this.#lastSeq > REORDER_WINDOW ? this.#lastSeq - REORDER_WINDOW : 0n
    for (const seq of this.#seen) if (seq <= newFloor) this.#seen.delete(seq)
    await this.#prune()
  }

  async #prune (): Promise<void> {
    if (Date.now() - this.#prunedAt < 60_000) return
    this.#prunedAt = Date.now()
    await this.database.pool.query(`DELETE FROM changes WHERE at < now() - interval '${RETENTION}'`)
  }

  /** Stops following changes; resolves once a read in flight has finished (so the database can be closed). */
  async close (): Promise<void> {
    this.#closed = true
    if (this.#timer) clearInterval(this.#timer)
    await this.#reading
  }
}
