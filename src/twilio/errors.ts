/**
 * Twilio failures → domain errors, by meaning. Twilio's own `code`, `message` and `more_info` travel in an
 * `ErrorInfo` detail (domain `api.twilio.com`). Nothing from the SDK's request (which carries credentials) is copied.
 */
import type { ErrorDetail } from '../errors.js'
import { GatewayError, errorInfoDetail, retryInfoDetail } from '../errors.js'
import { failedBeforeSending, isTlsFailure } from './retry.js'

/** What the gateway was doing upstream, for the error's message and its retry semantics. */
export interface UpstreamCall {
  connection: string
  /** `CREATE` outcomes are never guessed: a create that may have happened is not reported as retryable. */
  operation: 'LIST' | 'GET' | 'CREATE' | 'UPDATE' | 'DELETE' | 'CHECK'
  /** What was addressed, e.g. `Messages SM3ad9…`. */
  subject: string
  /** Appended to not-found messages of retired Twilio APIs. */
  deprecation?: string
}

/** Twilio refused the connection's credentials (401/403): a 400 FAILED_PRECONDITION for the caller. */
export class CredentialsRefusedError extends GatewayError {
  constructor (message: string, details: ErrorDetail[]) {
    super('FAILED_PRECONDITION', message, details)
  }
}

/** The connection's proxy refused the gateway's proxy credentials (407): nothing was sent, 503 UNAVAILABLE. */
export class ProxyCredentialsRefusedError extends GatewayError {
  constructor (message: string) {
    super('UNAVAILABLE', message)
  }
}

interface TwilioErrorBody { status: number, code?: number, message?: string, moreInfo?: string, retryAfterMs?: number }

function twilioErrorBody (error: unknown): TwilioErrorBody | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const candidate = error as Record<string, unknown>
  if (typeof candidate.status !== 'number') return undefined
  return {
    status: candidate.status,
    code: typeof candidate.code === 'number' ? candidate.code : undefined,
    message: typeof candidate.message === 'string' ? candidate.message : (typeof candidate.detail === 'string' ? candidate.detail : undefined),
    moreInfo: typeof candidate.moreInfo === 'string' ? candidate.moreInfo : undefined,
    retryAfterMs: typeof candidate.retryAfterMs === 'number' ? candidate.retryAfterMs : undefined
  }
}

/**
 * Twilio's 429 once the transport has given up retrying it: its error body, and its `Retry-After` (which the SDK's
 * own error would drop) for the caller's Retry-After.
 */
export function rateLimitedError (body: string, retryAfterMs: number | undefined): Error {
  let parsed: { code?: unknown, message?: unknown, more_info?: unknown } = {}
  try {
    parsed = JSON.parse(body) as typeof parsed
  } catch {}
  const message = typeof parsed.message === 'string' ? parsed.message : 'Too Many Requests'
  return Object.assign(new Error(message), {
    status: 429,
    ...(typeof parsed.code === 'number' ? { code: parsed.code } : {}),
    ...(typeof parsed.more_info === 'string' ? { moreInfo: parsed.more_info } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {})
  })
}

function twilioDetail (call: UpstreamCall, body: TwilioErrorBody): ErrorDetail {
  return errorInfoDetail('TWILIO_ERROR', 'api.twilio.com', {
    status: String(body.status),
    ...(body.code !== undefined ? { code: String(body.code) } : {}),
    ...(body.message ? { message: body.message } : {}),
    ...(body.moreInfo ? { more_info: body.moreInfo } : {}),
    connection: call.connection
  })
}

function networkCode (error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/** Whether Twilio answered that the addressed resource does not exist. */
export function isTwilioNotFound (error: unknown): boolean {
  const body = twilioErrorBody(error)
  return body?.status === 404 || body?.code === 20404
}

export function upstreamError (error: unknown, call: UpstreamCall): GatewayError {
  const body = twilioErrorBody(error)
  if (!body) return networkError(error, call)
  const detail = twilioDetail(call, body)
  const twilioSays = `Twilio answered ${body.status}${body.code !== undefined ? ` (error ${body.code})` : ''}: ${body.message ?? 'no message'}`
  if (body.status === 404 || body.code === 20404) {
    const note = call.deprecation ? ` ${call.deprecation}` : ''
    return new GatewayError('NOT_FOUND', `${call.subject} not found. ${twilioSays}.${note}`, [detail])
  }
  if (body.status === 401 || body.status === 403) {
    return new CredentialsRefusedError(`Twilio refused the credentials of connection ${call.connection}. ${twilioSays}`, [detail])
  }
  if (body.status === 429) {
    const seconds = Math.max(1, Math.ceil((body.retryAfterMs ?? 1000) / 1000))
    return new GatewayError('RESOURCE_EXHAUSTED', `Twilio is rate limiting this account. ${twilioSays}`,
      [detail, retryInfoDetail(seconds)], { retryAfterSeconds: seconds })
  }
  if (body.code === 20009) {
    return new GatewayError('FAILED_PRECONDITION', `${call.subject} cannot be ${call.operation === 'UPDATE' ? 'changed' : 'deleted'} yet. ${twilioSays}`, [detail])
  }
  if (body.status >= 500) return unavailable(call, twilioSays, [detail])
  return new GatewayError('INVALID_ARGUMENT', `${call.subject}: ${twilioSays}`, [detail])
}

function networkError (error: unknown, call: UpstreamCall): GatewayError {
  const code = networkCode(error) ?? 'UNKNOWN'
  if (code === 'EPROXY' && (error as { proxyStatus?: number }).proxyStatus === 407) {
    return new ProxyCredentialsRefusedError(`Twilio could not be reached (${code}: ${(error as Error).message}) while handling ${call.subject}`)
  }
  // Proxy and TLS failures say what to fix; socket codes speak for themselves.
  const why = code === 'EPROXY' || isTlsFailure(code) ? `${code}: ${(error as Error).message}` : code
  return unavailable(call, `Twilio could not be reached (${why})`, [], !failedBeforeSending(code))
}

/**
 * A failed upstream call. Reads, updates and deletes may be retried (503). A create that may have reached Twilio
 * is reported as 504 with reason UPSTREAM_OUTCOME_UNKNOWN, never 503, which clients read as "safe to retry".
 */
function unavailable (call: UpstreamCall, what: string, details: ErrorDetail[], mayHaveBeenSent = true): GatewayError {
  if (call.operation === 'CREATE' && mayHaveBeenSent) {
    return new GatewayError('DEADLINE_EXCEEDED',
      `${what}. The create may or may not have happened at Twilio; check before retrying.`,
      [...details, errorInfoDetail('UPSTREAM_OUTCOME_UNKNOWN', 'twilio-connector-gateway', { connection: call.connection })])
  }
  return new GatewayError('UNAVAILABLE', `${what} while handling ${call.subject}`, details)
}
