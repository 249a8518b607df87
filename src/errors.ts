/**
 * Domain errors. The core throws these; `api/error-handler.ts` is the one place that turns them (and every other
 * failure) into Google's `google.rpc.Status` JSON. Codes and their HTTP statuses follow `google/rpc/code.proto`.
 */

export const RPC_HTTP_STATUS = {
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401
} as const

export type RpcCode = keyof typeof RPC_HTTP_STATUS

/** A `google.rpc.*` detail message, e.g. `ErrorInfo` or `BadRequest`, with its `@type`. */
export type ErrorDetail = { '@type': string } & Record<string, unknown>

export interface FieldViolation { field: string, description: string }

export const ERROR_DOMAIN = 'twilio-connector-gateway'

export function badRequestDetail (violations: FieldViolation[]): ErrorDetail {
  return { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violations }
}

export function errorInfoDetail (reason: string, domain: string, metadata: Record<string, string>): ErrorDetail {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata }
}

/** `retryDelay` is a google.protobuf.Duration in its JSON form: whole seconds, or exactly 3 fractional digits. */
export function retryInfoDetail (seconds: number): ErrorDetail {
  const millis = Math.round(seconds * 1000)
  const text = millis % 1000 === 0 ? String(millis / 1000) : (millis / 1000).toFixed(3)
  return { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${text}s` }
}

export interface GatewayErrorOptions {
  /** Seconds a client should wait before retrying; sent as `Retry-After`. */
  retryAfterSeconds?: number
  /** An HTTP status other than the code's own, where HTTP has a more precise one (413, 415). */
  httpStatus?: number
}

export class GatewayError extends Error {
  readonly retryAfterSeconds?: number
  readonly httpStatus: number

  constructor (readonly code: RpcCode, message: string, readonly details: ErrorDetail[] = [], options: GatewayErrorOptions = {}) {
    super(message)
    this.name = 'GatewayError'
    this.retryAfterSeconds = options.retryAfterSeconds
    this.httpStatus = options.httpStatus ?? RPC_HTTP_STATUS[code]
  }
}

export class InvalidArgumentError extends GatewayError {
  constructor (message: string, violations: FieldViolation[] = [], details: ErrorDetail[] = []) {
    super('INVALID_ARGUMENT', message, violations.length ? [badRequestDetail(violations), ...details] : details)
  }
}

/** 400 INVALID_ARGUMENT about one field, its message doubling as the violation's description. */
export function invalidField (field: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(message, [{ field, description: message }])
}

export class NotFoundError extends GatewayError {
  constructor (message: string, details: ErrorDetail[] = []) {
    super('NOT_FOUND', message, details)
  }
}

export class FailedPreconditionError extends GatewayError {
  constructor (message: string, details: ErrorDetail[] = []) {
    super('FAILED_PRECONDITION', message, details)
  }
}

export class UnimplementedError extends GatewayError {
  constructor (message: string) {
    super('UNIMPLEMENTED', message)
  }
}

export class UnauthenticatedError extends GatewayError {
  constructor (message: string) {
    super('UNAUTHENTICATED', message)
  }
}
