/**
 * The gateway processes sharing one database. Each process writes a heartbeat every couple of seconds and counts
 * the processes whose heartbeat is fresh (by the database's clock, so machines' clocks do not matter); a process
 * that dies stops counting within `HEARTBEAT_TTL_MS`. The throttle gives each process an even share of a
 * connection's limit; idempotency keys ask whether the process that holds one is still alive.
 */
import { randomUUID } from 'node:crypto'
import type pg from 'pg'

export interface ClusterMembership {
  /** This process's identifier (random per start). */
  readonly processId: string
  /** Live gateway processes, this one included (at least 1). */
  liveProcesses (): number
  /** Whether the process is alive (its heartbeat is fresh). */
  isAlive (processId: string): Promise<boolean>
  stop (): Promise<void>
}

/** One process on its own (no database shared with others). */
export class SingleProcess implements ClusterMembership {
  readonly processId = randomUUID()
  liveProcesses (): number { return 1 }
  async isAlive (processId: string): Promise<boolean> { return processId === this.processId }
  async stop (): Promise<void> {}
}

export const HEARTBEAT_INTERVAL_MS = 2_000
export const HEARTBEAT_TTL_MS = 6_000

export interface HeartbeatOptions {
  intervalMs?: number
  ttlMs?: number
  onError?: (error: Error) => void
}

export class DatabaseMembership implements ClusterMembership {
  readonly processId = randomUUID()
  #live = 1
  #timer: NodeJS.Timeout | undefined
  #beating: Promise<void> | undefined
  readonly #ttlMs: number

  private constructor (private readonly pool: pg.Pool, options: HeartbeatOptions) {
    this.#ttlMs = options.ttlMs ?? HEARTBEAT_TTL_MS
  }

  /** Joins the cluster: writes the first heartbeat and keeps beating until `stop`. */
  static async join (pool: pg.Pool, options: HeartbeatOptions = {}): Promise<DatabaseMembership> {
    const membership = new DatabaseMembership(pool, options)
    await membership.#beat()
    membership.#timer = setInterval(() => {
      membership.#beating ??= membership.#beat().catch((error: Error) => options.onError?.(error)).finally(() => { membership.#beating = undefined })
    }, options.intervalMs ?? HEARTBEAT_INTERVAL_MS)
    membership.#timer.unref()
    return membership
  }

  liveProcesses (): number {
    return this.#live
  }

  async isAlive (processId: string): Promise<boolean> {
    if (processId === this.processId) return true
    const { rowCount } = await this.pool.query(
      'SELECT 1 FROM gateway_processes WHERE id = $1 AND heartbeat_at > now() - make_interval(secs => $2)',
      [processId, this.#ttlMs / 1000])
    return Boolean(rowCount)
  }

  /** Leaves the cluster at once (the others stop counting this process at their next heartbeat). */
  async stop (): Promise<void> {
    clearInterval(this.#timer)
    await this.#beating
    await this.pool.query('DELETE FROM gateway_processes WHERE id = $1', [this.processId])
  }

  async #beat (): Promise<void> {
    await this.pool.query(
      `INSERT INTO gateway_processes (id, heartbeat_at) VALUES ($1, now())
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`, [this.processId])
    const { rows } = await this.pool.query<{ live: string }>(
      'SELECT count(*) AS live FROM gateway_processes WHERE heartbeat_at > now() - make_interval(secs => $1)', [this.#ttlMs / 1000])
    this.#live = Math.max(1, Number(rows[0]?.live ?? 1))
    // Long-gone processes are forgotten (rows of processes that died without stopping).
    await this.pool.query("DELETE FROM gateway_processes WHERE heartbeat_at < now() - interval '1 hour'")
  }
}
