/**
 * What one runtime call may spend upstream: a deadline, a number of upstream requests (its budget), and a throttle
 * token for each request. The throttle admits a call by taking its first token; every further upstream request of
 * the call (another page, a retry, one row of a bulk change) pays its own token, waiting for it within the deadline.
 * The call's Twilio client carries it to the transport (see TwilioClients.forConnection), so adapters need not pass
 * it. (Not AsyncLocalStorage: on Node 20 its promise hooks cost more than the rest of a pass-through call.)
 */
import { setTimeout as delay } from 'node:timers/promises'
import { FailedPreconditionError } from '../errors.js'
import type { Clock, Reservation } from './token-bucket.js'

export interface CallAllowanceOptions {
  connection: string
  /** Clock time (ms) after which the call sends nothing more. */
  deadline: number
  /** Upstream requests the call may make, retries included. */
  budget: number
  /** Tokens already taken for the call (its admission). */
  prepaid: number
  /** Reserves one token for a further request, unless the wait for it would exceed `maxWaitMs`. */
  reserve: (maxWaitMs: number) => Reservation
  /** Thrown when a further request cannot get its token within the deadline. */
  throttled: (retryAfterMs: number) => Error
  clock: Clock
  sleep?: (ms: number) => Promise<unknown>
}

export class CallAllowance {
  #sent = 0
  #prepaid: number

  constructor (private readonly options: CallAllowanceOptions) {
    this.#prepaid = options.prepaid
  }

  get connection (): string {
    return this.options.connection
  }

  /** Milliseconds left before the deadline (never negative). */
  remainingMs (): number {
    return Math.max(0, this.options.deadline - this.options.clock())
  }

  /** Upstream requests the call may still make. */
  remainingRequests (): number {
    return this.options.budget - this.#sent
  }

  /** Counts an upstream request against the budget and pays its token, waiting for one within the deadline. */
  async beforeUpstreamRequest (): Promise<void> {
    if (this.#sent >= this.options.budget) {
      throw new FailedPreconditionError(`This call needs more than its budget of ${this.options.budget} upstream requests ` +
        'to Twilio; narrow it (fewer rows, tighter conditions)')
    }
    this.#sent++
    if (this.#prepaid > 0) {
      this.#prepaid--
      return
    }
    const reservation = this.options.reserve(this.remainingMs())
    if (!reservation.reserved) throw this.options.throttled(reservation.retryAfterMs)
    if (reservation.waitMs > 0) await (this.options.sleep ?? delay)(reservation.waitMs)
  }
}
