/**
 * Secret values cached in memory for a TTL, in front of any SecretStore: a connection on `versions/latest` picks
 * up a new version within the TTL (or at once after `invalidate`, which the runtime calls when Twilio refuses a
 * credential). When the backend is unavailable, values past their TTL keep serving for a bounded grace period;
 * a secret that is gone or refused is never served from the cache once the backend says so.
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

interface Entry { value: string, fetchedAt: number }

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
    const key = `${as.serviceAccount ?? ''}\n${versionName}`
    const entry = this.#entries.get(key)
    const age = entry ? this.#now() - entry.fetchedAt : Infinity
    if (entry && age < this.#ttlMs) {
      this.options.onLookup?.('hit')
      return entry.value
    }
    // One read per key at a time: a burst of calls after expiry asks the backend once.
    let pending = this.#inFlight.get(key)
    if (!pending) {
      pending = this.backend.access(versionName, as).then((value) => {
        this.#entries.set(key, { value, fetchedAt: this.#now() })
        return value
      }).finally(() => this.#inFlight.delete(key))
      this.#inFlight.set(key, pending)
    }
    try {
      const value = await pending
      this.options.onLookup?.('miss')
      return value
    } catch (error) {
      if (entry && error instanceof GatewayError && error.code === 'UNAVAILABLE' && age < this.#ttlMs + this.#graceMs) {
        this.options.onLookup?.('stale')
        return entry.value
      }
      if (error instanceof GatewayError && error.code !== 'UNAVAILABLE') this.#forget(versionName)
      throw error
    }
  }

  invalidate (versionName: string): void {
    this.#forget(versionName)
  }

  #forget (versionName: string): void {
    for (const key of this.#entries.keys()) if (key.endsWith(`\n${versionName}`)) this.#entries.delete(key)
  }
}
