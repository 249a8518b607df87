import { invalidParameter, TwilioError } from './wire.js'

/**
 * Faults injected on purpose, to test clients' retries and timeouts. A fault matches requests by method and
 * path substring and applies to the next `count` of them:
 * - `status`: answer a Twilio error with that HTTP status (and `Retry-After` when `retryAfter` is set);
 * - `reset`: destroy the connection without answering;
 * - `hang`: never answer, so the client has to time out.
 * `when: 'before'` (the default) replaces the request: nothing is processed. `when: 'after'` processes the request
 * (its state change happens) and then replaces the answer, so the client cannot know the outcome.
 */
export type FaultSpec = FaultMatch & (
  | { kind: 'status', status: FaultStatus, retryAfter?: number }
  | { kind: 'reset' | 'hang' }
)

export interface FaultMatch {
  /** How many matching requests the fault applies to (default 1). */
  count?: number
  method?: 'GET' | 'POST' | 'DELETE'
  /** Matches requests whose path contains this string, e.g. `Messages`. */
  pathContains?: string
  when?: 'before' | 'after'
}

const FAULT_STATUSES = [403, 429, 500, 503] as const
export type FaultStatus = typeof FAULT_STATUSES[number]

/** A fault as queued: defaults applied, `count` the number of requests it still applies to. */
export type Fault = FaultSpec & { count: number, when: 'before' | 'after' }

const KEYS = new Set(['kind', 'status', 'count', 'method', 'pathContains', 'retryAfter', 'when'])

/** Validates one fault of the control API's JSON body. */
export function parseFault (input: unknown): Fault {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalidParameter('A fault must be a JSON object')
  const value = input as Record<string, unknown>
  const unknown = Object.keys(value).find((key) => !KEYS.has(key))
  if (unknown !== undefined) throw invalidParameter(`Unknown fault property '${unknown}'`)
  const { kind, status, count = 1, method, pathContains, retryAfter, when = 'before' } = value
  if (!Number.isInteger(count) || (count as number) < 1) throw invalidParameter('Fault count must be a positive integer')
  if (method !== undefined && !['GET', 'POST', 'DELETE'].includes(method as string)) throw invalidParameter('Fault method must be GET, POST or DELETE')
  if (pathContains !== undefined && (typeof pathContains !== 'string' || pathContains === '')) throw invalidParameter('Fault pathContains must be a non-empty string')
  if (when !== 'before' && when !== 'after') throw invalidParameter("Fault when must be 'before' or 'after'")
  const match = {
    count: count as number,
    when: when as Fault['when'],
    ...(method === undefined ? {} : { method: method as FaultMatch['method'] }),
    ...(pathContains === undefined ? {} : { pathContains: pathContains as string })
  }
  if (kind === 'reset' || kind === 'hang') {
    if (status !== undefined || retryAfter !== undefined) throw invalidParameter(`A ${kind} fault takes no status or retryAfter`)
    return { kind, ...match }
  }
  if (kind !== 'status') throw invalidParameter("Fault kind must be 'status', 'reset' or 'hang'")
  if (!FAULT_STATUSES.includes(status as FaultStatus)) throw invalidParameter(`Fault status must be one of ${FAULT_STATUSES.join(', ')}`)
  if (retryAfter !== undefined && (!Number.isInteger(retryAfter) || (retryAfter as number) < 0)) {
    throw invalidParameter('Fault retryAfter must be a non-negative integer (seconds)')
  }
  return { kind, status: status as FaultStatus, ...(retryAfter === undefined ? {} : { retryAfter: retryAfter as number }), ...match }
}

/** The Twilio error a `status` fault answers. */
export function faultError (status: FaultStatus, retryAfter?: number): TwilioError {
  const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) }
  switch (status) {
    case 403: return new TwilioError(403, 20403, 'Forbidden', headers)
    case 429: return new TwilioError(429, 20429, 'Too Many Requests', headers)
    case 500: return new TwilioError(500, 20500, 'Internal Server Error', headers)
    case 503: return new TwilioError(503, 20503, 'Service Unavailable', headers)
  }
}

/** Queued faults, consumed first-in first-out by the requests they match. */
export class FaultQueue {
  private faults: Fault[] = []

  add (faults: readonly Fault[]): void {
    this.faults.push(...faults)
  }

  list (): Fault[] {
    return this.faults.map((fault) => ({ ...fault }))
  }

  clear (): void {
    this.faults = []
  }

  /** The first fault matching this request, counted as used. */
  take (method: string, path: string): Fault | undefined {
    const fault = this.faults.find((candidate) =>
      (candidate.method === undefined || candidate.method === method) &&
      (candidate.pathContains === undefined || path.includes(candidate.pathContains)))
    if (fault === undefined) return undefined
    fault.count--
    if (fault.count === 0) this.faults = this.faults.filter((candidate) => candidate !== fault)
    return { ...fault }
  }
}
