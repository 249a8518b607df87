/**
 * Calls that create something upstream, made at most once per idempotency key (Google's `requestId`, or an
 * `Idempotency-Key` header). The first call with a key claims it and runs; its answer is stored for 24 hours and
 * replayed to every later call with the same key and the same request. The same key with another request is 409
 * ABORTED. A duplicate arriving while the first still runs waits for its answer (up to its own deadline, then 409);
 * if the process running the first died, nobody can know whether Twilio acted: 409 ABORTED with reason
 * UPSTREAM_OUTCOME_UNKNOWN, and the call is never sent again.
 *
 * Only answers that must not be repeated are stored: a success, and a failure whose outcome is unknown (a timeout
 * or a reset after sending), which later calls with the key get as 409 ABORTED, reason UPSTREAM_OUTCOME_UNKNOWN. A
 * call that certainly did nothing (refused by the throttle, rejected by Twilio as invalid, never sent) frees its key,
 * so the same request may be tried again.
 */
import { createHash } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import type { ClusterMembership } from '../cluster/membership.js'
import { ERROR_DOMAIN, GatewayError, errorInfoDetail, retryInfoDetail } from '../errors.js'
import type { Clock } from '../throttle/token-bucket.js'
import { systemClock } from '../throttle/token-bucket.js'
import type { IdempotencyKeyStore, StoredAnswer } from './key-store.js'

export const OUTCOME_UNKNOWN = 'UPSTREAM_OUTCOME_UNKNOWN'

export interface IdempotentCallsOptions {
  store: IdempotencyKeyStore
  membership: ClusterMembership
  clock?: Clock
  /** How often a duplicate looks again at a key another process holds (default 100 ms). */
  pollMs?: number
}

export interface IdempotentResult<T> { value: T, replayed: boolean }

/** A request's identity: the same key must come with the same one. */
export function fingerprintOf (request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex')
}

function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** Whether an error leaves the outcome upstream unknown (and so must be replayed, never retried). */
export function outcomeUnknown (error: unknown): boolean {
  if (!(error instanceof GatewayError)) return true
  return error.details.some((detail) => detail.reason === OUTCOME_UNKNOWN)
}

function aborted (message: string, reason: string, metadata: Record<string, string>, retryAfterSeconds?: number): GatewayError {
  return new GatewayError('ABORTED', message, [
    errorInfoDetail(reason, ERROR_DOMAIN, metadata),
    ...(retryAfterSeconds === undefined ? [] : [retryInfoDetail(retryAfterSeconds)])
  ], retryAfterSeconds === undefined ? {} : { retryAfterSeconds })
}

function replay<T> (answer: StoredAnswer, key: string): T {
  if (answer.ok) return answer.body as T
  const { code, message, details, httpStatus, retryAfterSeconds } = answer.error
  // The first call's outcome is unknown: its repeats are told so (409), never a 504 that invites another try.
  if (details.some((detail) => detail.reason === OUTCOME_UNKNOWN)) {
    throw aborted(`The call first made with idempotency key ${key} may or may not have taken effect at Twilio (${message}); ` +
      'it is not sent again. Check Twilio before making it with a new key.', OUTCOME_UNKNOWN, { key })
  }
  throw new GatewayError(code, message, details, { httpStatus, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) })
}

export class IdempotentCalls {
  /** Calls running in this process, by scope and key, so a duplicate here waits without polling. */
  readonly #running = new Map<string, Promise<unknown>>()
  readonly #clock: Clock

  constructor (private readonly options: IdempotentCallsOptions) {
    this.#clock = options.clock ?? systemClock
  }

  /**
   * Runs `work` once for `key` within `scope` (a connection), or replays its answer. `request` is what the key
   * must always come with; `waitMs` bounds how long a duplicate waits for a first call still running.
   */
  async run<T> (scope: string, key: string, request: unknown, waitMs: number, work: () => Promise<T>): Promise<IdempotentResult<T>> {
    const fingerprint = fingerprintOf(request)
    const owner = this.options.membership.processId
    const waitUntil = this.#clock() + waitMs
    for (;;) {
      const held = await this.options.store.claim(scope, key, fingerprint, owner, this.#clock())
      if (!held) {
        const id = `${scope}\n${key}`
        const running = this.#runClaimed(scope, key, owner, work)
        this.#running.set(id, running.catch(() => {}))
        try {
          return { value: await running, replayed: false }
        } finally {
          this.#running.delete(id)
        }
      }
      if (held.fingerprint !== fingerprint) {
        throw aborted(`The idempotency key ${key} was already used with a different request; use a new key for a new request`,
          'IDEMPOTENCY_KEY_REUSED', { key })
      }
      if (held.answer) return { value: replay<T>(held.answer, key), replayed: true }
      const answer = await this.#awaitAnswer(scope, key, held.owner, waitUntil)
      if (answer) return { value: replay<T>(answer, key), replayed: true }
      // The first call freed the key (it certainly did nothing): this one runs.
    }
  }

  /** Runs the call of a key this process claimed, storing or freeing the key as its outcome requires. */
  async #runClaimed<T> (scope: string, key: string, owner: string, work: () => Promise<T>): Promise<T> {
    let value: T
    try {
      value = await work()
    } catch (error) {
      if (outcomeUnknown(error)) {
        const failure = error instanceof GatewayError ? error : new GatewayError('INTERNAL', 'Internal error; the gateway logged the details')
        await this.options.store.complete(scope, key, owner, {
          ok: false,
          error: { code: failure.code, message: failure.message, details: failure.details, httpStatus: failure.httpStatus, ...(failure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failure.retryAfterSeconds }) }
        })
      } else {
        await this.options.store.release(scope, key, owner)
      }
      throw error
    }
    // Outside the try: should storing the answer fail, the key stays held (its repeats wait, then get
    // IDEMPOTENCY_KEY_IN_USE) rather than freed for a second send of a call that succeeded.
    await this.options.store.complete(scope, key, owner, { ok: true, body: value })
    return value
  }

  /**
   * Waits for the answer of a key another call holds. Undefined when the key was freed; 409 when its process died
   * (outcome unknown) or when the wait ran out.
   */
  async #awaitAnswer (scope: string, key: string, owner: string, waitUntil: number): Promise<StoredAnswer | undefined> {
    for (;;) {
      const local = this.#running.get(`${scope}\n${key}`)
      if (local) await local
      else if (!(await this.options.membership.isAlive(owner))) {
        const record = await this.options.store.read(scope, key, this.#clock())
        if (!record || record.answer) return record?.answer
        throw aborted(`The call first made with idempotency key ${key} was cut off while Twilio handled it (its gateway ` +
          'process stopped): it may or may not have taken effect, and it is not sent again. Check Twilio before making it with a new key.',
        OUTCOME_UNKNOWN, { key })
      } else {
        const left = waitUntil - this.#clock()
        if (left <= 0) {
          throw aborted(`A call with idempotency key ${key} is still in progress; retry later to get its answer`,
            'IDEMPOTENCY_KEY_IN_USE', { key }, 1)
        }
        await delay(Math.min(this.options.pollMs ?? 100, left))
      }
      const record = await this.options.store.read(scope, key, this.#clock())
      if (!record || record.answer) return record?.answer
    }
  }
}
