/**
 * A token bucket: refilled continuously at `rate` tokens per second up to `capacity`. Refill is computed lazily
 * from the clock on each call, so an idle bucket costs nothing. Time comes from an injectable clock (ms).
 */

/** Milliseconds on a monotonic-enough clock; tests pass a controllable one. */
export type Clock = () => number

export const systemClock: Clock = () => performance.timeOrigin + performance.now()

export type Admission = { admitted: true } | { admitted: false, retryAfterMs: number }
export type Reservation = { reserved: true, waitMs: number } | { reserved: false, retryAfterMs: number }

export class TokenBucket {
  #tokens: number
  #updatedAt: number

  /** Starts full. */
  constructor (private rate: number, private capacity: number, private readonly clock: Clock = systemClock) {
    this.#tokens = capacity
    this.#updatedAt = clock()
  }

  /** Tokens available now (negative while reservations are outstanding). */
  get tokens (): number {
    this.#refill()
    return this.#tokens
  }

  /** Takes `cost` tokens if the bucket holds them; otherwise says how long until it will. */
  tryTake (cost = 1): Admission {
    this.#refill()
    if (this.#tokens >= cost) {
      this.#tokens -= cost
      return { admitted: true }
    }
    return { admitted: false, retryAfterMs: this.#msUntil(cost) }
  }

  /**
   * Reserves `cost` tokens now, possibly going into debt, and answers how many milliseconds the caller must wait
   * before using them — unless that is longer than `maxWaitMs`, in which case nothing is reserved. Later callers
   * see the debt and are refused until it is repaid, so the rate holds.
   */
  reserve (cost: number, maxWaitMs: number): Reservation {
    this.#refill()
    const waitMs = this.#tokens >= cost ? 0 : this.#msUntil(cost)
    if (waitMs > maxWaitMs) return { reserved: false, retryAfterMs: waitMs }
    this.#tokens -= cost
    return { reserved: true, waitMs }
  }

  /** Changes the refill rate and capacity, keeping the tokens earned so far (capped at the new capacity). */
  resize (rate: number, capacity: number): void {
    this.#refill()
    this.rate = rate
    this.capacity = capacity
    this.#tokens = Math.min(this.#tokens, capacity)
  }

  #msUntil (cost: number): number {
    return Math.ceil(((cost - this.#tokens) / this.rate) * 1000)
  }

  #refill (): void {
    const now = this.clock()
    const elapsedMs = Math.max(0, now - this.#updatedAt)
    this.#updatedAt = now
    this.#tokens = Math.min(this.capacity, this.#tokens + (elapsedMs * this.rate) / 1000)
  }
}
