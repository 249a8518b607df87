/**
 * Idempotency keys and the answers they hold, for 24 hours: in PostgreSQL when the gateway has a database (so any
 * process can replay an answer, and a key survives restarts), in memory otherwise. A key is claimed by the process
 * that runs its call (`owner`); the answer is stored when the call ends in a way that must never be repeated.
 */
import type pg from 'pg'
import type { ErrorDetail, RpcCode } from '../errors.js'

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

/** An answer as it is replayed: the result, or the error with everything its HTTP answer had. */
export type StoredAnswer =
  | { ok: true, body: unknown }
  | { ok: false, error: { code: RpcCode, message: string, details: ErrorDetail[], httpStatus: number, retryAfterSeconds?: number } }

export interface KeyRecord {
  /** Digest of the request the key was first used with. */
  fingerprint: string
  /** The process that claimed it. */
  owner: string
  /** Present once the call ended. */
  answer?: StoredAnswer
}

export interface IdempotencyKeyStore {
  /** Claims the key (answering undefined), or answers the record that already holds it. Expired keys are free. */
  claim (scope: string, key: string, fingerprint: string, owner: string, now: number): Promise<KeyRecord | undefined>
  read (scope: string, key: string, now: number): Promise<KeyRecord | undefined>
  /** Stores the answer of a claimed key. */
  complete (scope: string, key: string, owner: string, answer: StoredAnswer): Promise<void>
  /** Frees a claimed key whose call certainly did nothing, so that it may be tried again. */
  release (scope: string, key: string, owner: string): Promise<void>
}

interface Entry extends KeyRecord { createdAt: number }

export class MemoryIdempotencyKeyStore implements IdempotencyKeyStore {
  readonly #entries = new Map<string, Entry>()

  constructor (private readonly ttlMs = IDEMPOTENCY_TTL_MS) {}

  async claim (scope: string, key: string, fingerprint: string, owner: string, now: number): Promise<KeyRecord | undefined> {
    const held = await this.read(scope, key, now)
    if (held) return held
    this.#entries.set(`${scope}\n${key}`, { fingerprint, owner, createdAt: now })
    return undefined
  }

  async read (scope: string, key: string, now: number): Promise<KeyRecord | undefined> {
    // Entries are kept in the order they were made: the expired ones come first.
    for (const [id, entry] of this.#entries) {
      if (now - entry.createdAt < this.ttlMs) break
      this.#entries.delete(id)
    }
    const entry = this.#entries.get(`${scope}\n${key}`)
    return entry && { fingerprint: entry.fingerprint, owner: entry.owner, ...(entry.answer ? { answer: entry.answer } : {}) }
  }

  async complete (scope: string, key: string, owner: string, answer: StoredAnswer): Promise<void> {
    const entry = this.#entries.get(`${scope}\n${key}`)
    if (entry?.owner === owner) entry.answer = answer
  }

  async release (scope: string, key: string, owner: string): Promise<void> {
    const id = `${scope}\n${key}`
    if (this.#entries.get(id)?.owner === owner) this.#entries.delete(id)
  }
}

interface Row { fingerprint: string, owner: string, answer: StoredAnswer | null }

/** How often a process deletes expired keys. */
const PURGE_EVERY_MS = 10 * 60 * 1000

export class DatabaseIdempotencyKeyStore implements IdempotencyKeyStore {
  #purgedAt = -Infinity

  constructor (private readonly pool: pg.Pool, private readonly ttlMs = IDEMPOTENCY_TTL_MS) {}

  async claim (scope: string, key: string, fingerprint: string, owner: string, clockNow: number): Promise<KeyRecord | undefined> {
    // The system clock has fractions of a millisecond; created_at_ms is a bigint.
    const now = Math.floor(clockNow)
    await this.#purge(now)
    await this.pool.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at_ms <= $3', [scope, key, now - this.ttlMs])
    const { rowCount } = await this.pool.query(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, owner, created_at_ms) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (scope, key) DO NOTHING`, [scope, key, fingerprint, owner, now])
    return rowCount ? undefined : this.read(scope, key, now)
  }

  async read (scope: string, key: string, now: number): Promise<KeyRecord | undefined> {
    const { rows } = await this.pool.query<Row>(
      'SELECT fingerprint, owner, answer FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at_ms > $3',
      [scope, key, Math.floor(now) - this.ttlMs])
    const row = rows[0]
    return row && { fingerprint: row.fingerprint, owner: row.owner, ...(row.answer ? { answer: row.answer } : {}) }
  }

  async complete (scope: string, key: string, owner: string, answer: StoredAnswer): Promise<void> {
    await this.pool.query('UPDATE idempotency_keys SET answer = $4 WHERE scope = $1 AND key = $2 AND owner = $3', [scope, key, owner, answer])
  }

  async release (scope: string, key: string, owner: string): Promise<void> {
    await this.pool.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND owner = $3 AND answer IS NULL', [scope, key, owner])
  }

  async #purge (now: number): Promise<void> {
    if (now - this.#purgedAt < PURGE_EVERY_MS) return
    this.#purgedAt = now
    await this.pool.query('DELETE FROM idempotency_keys WHERE created_at_ms <= $1', [now - this.ttlMs])
  }
}
