/**
 * When an upstream request is tried again, and after how long. Twilio's 429 means the request was not processed:
 * any method is retried, after at least its `Retry-After`. A 5xx or a network failure after the request may have
 * been sent is retried only for GET (Get, List) and DELETE, which are safe to repeat; a POST (create or update)
 * never is, because it may have taken effect. Failures before anything was sent (connection refused, DNS) are
 * retried for every method; TLS failures and a proxy's refusals never are. Delays are exponential with full jitter, and a retry that would end past the call's
 * deadline is not made.
 */

export interface RetryOptions {
  /** Attempts in all, the first included (default 4). */
  maxAttempts?: number
  /** First backoff ceiling in ms, doubled per attempt (default 100). */
  baseDelayMs?: number
  /** Largest backoff ceiling in ms (default 5,000). */
  maxDelayMs?: number
  /** A number in [0, 1) (injectable for tests). */
  random?: () => number
}

/** What came of one attempt. */
export type AttemptOutcome =
  | { kind: 'answer', status: number, retryAfterMs?: number }
  | { kind: 'failure', code: string | undefined, proxyStatus?: number }

/** A proxy's own refusals (bad proxy credentials, a forbidden destination): no retry cures them. */
const PROXY_REFUSALS = new Set([403, 407])

/** Failures before the request left for Twilio: nothing can have happened upstream. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'EPROXY'])
/** TLS failures: not sent either, and no retry cures them (a certificate or configuration problem). */
const TLS_FAILURE = /CERT|TLS|SSL|SELF_SIGNED|HOSTNAME|UNABLE_TO_(GET|VERIFY|DECRYPT|DECODE)|SIGNATURE|ISSUER|CHAIN|INVALID_(CA|PURPOSE|NON_CA)|PATH_LENGTH|CRL/

/** Whether a network failure happened before the request left for Twilio. */
export function failedBeforeSending (code: string | undefined): boolean {
  return code !== undefined && (NOT_SENT.has(code) || TLS_FAILURE.test(code))
}

/** Whether a network failure is a TLS one. */
export function isTlsFailure (code: string | undefined): boolean {
  return code !== undefined && TLS_FAILURE.test(code)
}

export type RetryReason = '429' | '5xx' | 'network'

export interface RetryDecision { reason: RetryReason, delayMs: number }

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `now`. */
export function retryAfterMs (header: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || value.trim() === '') return undefined
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

export class RetryPolicy {
  readonly maxAttempts: number
  readonly #base: number
  readonly #cap: number
  readonly #random: () => number

  constructor (options: RetryOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 4
    this.#base = options.baseDelayMs ?? 100
    this.#cap = options.maxDelayMs ?? 5_000
    this.#random = options.random ?? Math.random
  }

  /**
   * Whether attempt number `attempt` (1-based) of a `method` request should be followed by another, and after how
   * long; undefined when not (not retryable, attempts used up, or the wait would pass `remainingMs`).
   */
  decide (method: string, outcome: AttemptOutcome, attempt: number, remainingMs: number): RetryDecision | undefined {
    if (attempt >= this.maxAttempts) return undefined
    const repeatable = method === 'GET' || method === 'DELETE'
    let reason: RetryReason | undefined
    let floorMs = 0
    if (outcome.kind === 'answer') {
      if (outcome.status === 429) {
        reason = '429'
        floorMs = outcome.retryAfterMs ?? 0
      } else if (outcome.status >= 500 && repeatable) {
        reason = '5xx'
      }
    } else if (!isTlsFailure(outcome.code) && !PROXY_REFUSALS.has(outcome.proxyStatus ?? 0) && (repeatable || failedBeforeSending(outcome.code))) {
      reason = 'network'
    }
    if (!reason) return undefined
    const ceiling = Math.min(this.#cap, this.#base * 2 ** (attempt - 1))
    const delayMs = Math.max(floorMs, Math.floor(this.#random() * ceiling))
    return delayMs < remainingMs ? { reason, delayMs } : undefined
  }
}
