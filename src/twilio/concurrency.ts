/**
 * A cap on concurrent upstream requests per Twilio account, in this process. Twilio's 429 is about concurrency
 * (too many requests in flight for an account), so the gateway queues its own requests beyond the cap instead of
 * provoking 429s; connections that share an account share its cap. A request that cannot start within its call's
 * deadline is refused without being sent (503 UNAVAILABLE: safe to retry).
 */
import { GatewayError, retryInfoDetail } from '../errors.js'

export const DEFAULT_CONCURRENCY_PER_ACCOUNT = 32

interface Waiter { resolve: () => void, timer: NodeJS.Timeout }

class AccountSlots {
  inFlight = 0
  readonly waiters: Waiter[] = []
}

export class AccountConcurrency {
  readonly #accounts = new Map<string, AccountSlots>()

  constructor (readonly limit: number = DEFAULT_CONCURRENCY_PER_ACCOUNT) {}

  /** Waits for a free slot of the account (at most `maxWaitMs`), answering the function that frees it. */
  async acquire (accountSid: string, maxWaitMs: number): Promise<() => void> {
    const slots = this.#slots(accountSid)
    if (slots.inFlight < this.limit) {
      slots.inFlight++
      return this.#releaser(accountSid, slots)
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          slots.waiters.splice(slots.waiters.indexOf(waiter), 1)
          reject(new GatewayError('UNAVAILABLE',
            `${this.limit} requests to Twilio account ${accountSid} were already in flight from this gateway process ` +
            'for the whole of the call\'s deadline; nothing was sent', [retryInfoDetail(1)], { retryAfterSeconds: 1 }))
        }, Math.max(0, maxWaitMs))
      }
      slots.waiters.push(waiter)
    })
    return this.#releaser(accountSid, slots)
  }

  /** Requests in flight for the account (metrics, tests). */
  inFlight (accountSid: string): number {
    return this.#accounts.get(accountSid)?.inFlight ?? 0
  }

  #slots (accountSid: string): AccountSlots {
    let slots = this.#accounts.get(accountSid)
    if (!slots) {
      slots = new AccountSlots()
      this.#accounts.set(accountSid, slots)
    }
    return slots
  }

  #releaser (accountSid: string, slots: AccountSlots): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = slots.waiters.shift()
      if (next) {
        // The slot passes straight to the next waiter.
        clearTimeout(next.timer)
        next.resolve()
        return
      }
      slots.inFlight--
      if (slots.inFlight === 0) this.#accounts.delete(accountSid)
    }
  }
}
