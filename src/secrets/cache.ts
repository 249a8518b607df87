/**
 * Secret values cached in memory for a TTL, in front of any SecretStore: a connection on `versions/latest` picks
 * up a new version within the TTL (or at once after `invalidate`, which the runtime calls when Twilio refuses a
 * credential). When the backend is unavailable, values past their TTL keep serving for a bounded grace period,
 * asking the backend again at most every 10 seconds meanwhile; a secret that is gone is never served from the cache
 * once the backend says so, nor one refused to the identity asking.
 */
import { GatewayError } from '../errors.js'
import type { SecretAccess, SecretStore } from './secret-store.js'

export interface SecretCacheOptions {
  /** How long a value is used without asking the backend again (default 5 minutes). */
  ttlMs?: number
  /** How long past its TTL a value keeps serving while the backend is unavailable (default 1 hour). */
  graceMs?: number
  /** Injectable clock (epoch milliseconds). */
  now?: () => number
  /** Counts hits, misses and stale answers (metrics). */
  onLookup?: (outcome: 'hit' | 'miss' | 'stale') => void
}

interface Entry {
  value: string
  fetchedAt: number
  /** While the backend is down, the stale value is served without asking it again until then. */
  quietUntil?: number
}

/** After the backend failed, how long a stale value is served before it is asked again. */
const OUTAGE_BACKOFF_MS = 10_000

export class CachingSecretStore implements SecretStore {
  readonly #entries = new Map<string, Entry>()
  readonly #inFlight = new Map<string, Promise<string>>()
  readonly #ttlMs: number
  readonly #graceMs: number
  readonly #now: () => number

  constructor (private readonly backend: SecretStore, private readonly options: SecretCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 300_000
    this.#graceMs = options.graceMs ?? 3_600_000
    this.#now = options.now ?? Date.now
  }

  async access (versionName: string, as: SecretAccess = {}): Promise<string> {
    const key = keyOf(versionName, as)
    const entry = this.#entries.get(key)
    const now = this.#now()
    const age = entry ? now - entry.fetchedAt : Infinity
    if (entry && age < this.#ttlMs) {
      this.options.onLookup?.('hit')
      return entry.value
    }
    const servesStale = entry !== undefined && age < this.#ttlMs + this.#graceMs
    if (servesStale && entry.quietUntil !== undefined && now < entry.quietUntil) {
      this.options.onLookup?.('stale')
      return entry.value
    }
    // One read per key at a time: a burst of calls after expiry asks the backend once.
    let pending = this.#inFlight.get(key)
    if (!pending) {
      const read: Promise<string> = this.backend.access(versionName, as).then((value) => {
        // A read overtaken by `invalidate` must not put back the value it was asked to forget.
        if (this.#inFlight.get(key) === read) this.#entries.set(key, { value, fetchedAt: this.#now() })
        return value
      }).finally(() => {
        if (this.#inFlight.get(key) === read) this.#inFlight.delete(key)
      })
      pending = read
      this.#inFlight.set(key, read)
    }
    try {
      const value = await pending
      this.options.onLookup?.('miss')
      return value
    } catch (error) {
      if (servesStale && error instanceof GatewayError && error.code === 'UNAVAILABLE') {
        entry.quietUntil = this.#now() + OUTAGE_BACKOFF_MS
        this.options.onLookup?.('stale')
        return entry.value
      }
      if (error instanceof GatewayError && error.code === 'PERMISSION_DENIED') {
        // A refusal is about this identity only: other identities keep what they were allowed to read.
        this.#entries.delete(key)
      } else if (error instanceof GatewayError && error.code !== 'UNAVAILABLE') {
        this.#forget(versionName)
      }
      throw error
    }
  }

  invalidate (versionName: string): void {
    this.#forget(versionName)
  }

  /** Drops the cached values of a version and the reads in flight for it (their answers may be the old value). */
  #forget (versionName: string): void {
    for (const map of [this.#entries, this.#inFlight]) {
      for (const key of map.keys()) if (key.endsWith(`\n${versionName}`)) map.delete(key)
    }
  }
}

function keyOf (versionName: string, as: SecretAccess): string {
  return `${as.serviceAccount ?? ''}\n${versionName}`
}
