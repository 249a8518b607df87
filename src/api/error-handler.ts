/**
 * The one place where failures become HTTP answers: every non-2xx is Google's `google.rpc.Status` JSON,
 * `{"error":{"code":<http>,"message","status","details":[…]}}`. Domain errors keep their code; Fastify's own
 * errors (validation, malformed JSON, unknown routes) are mapped by meaning; anything else is an INTERNAL error
 * whose details stay in the log.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ErrorDetail, RpcCode } from '../errors.js'
import { GatewayError, InvalidArgumentError, NotFoundError, UnauthenticatedError } from '../errors.js'
import { summarize, violationsFromAjv } from '../validation/ajv.js'

export interface RpcStatusBody {
  error: { code: number, message: string, status: RpcCode, details: ErrorDetail[] }
}

/** Canonical codes for the HTTP statuses Fastify itself produces. */
const CODE_FOR_HTTP: Record<number, RpcCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  406: 'INVALID_ARGUMENT',
  413: 'INVALID_ARGUMENT',
  414: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED'
}

const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty but its Content-Type is application/json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type: send application/json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is too large',
  FST_ERR_BAD_URL: 'The request path is not valid percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment is too long'
}

/** PostgreSQL's "this text cannot be stored" codes (a NUL byte, an invalid escape), should any reach the database. */
const UNSTORABLE_TEXT = new Set(['22021', '22P05'])

function fromFastify (error: FastifyError): GatewayError | undefined {
  if (error.validation) {
    const context = error.validationContext === 'querystring' || error.validationContext === 'params' ? '' : error.validationContext ?? ''
    const violations = violationsFromAjv(error.validation as never, context)
    return new InvalidArgumentError(`Invalid request: ${summarize(violations)}`, violations)
  }
  const status = error.statusCode ?? 500
  const code = CODE_FOR_HTTP[status]
  if (!code) return undefined
  return new GatewayError(code, FASTIFY_MESSAGES[error.code] ?? error.message, [], { httpStatus: status })
}

export function rpcStatusBody (status: number, code: RpcCode, message: string, details: ErrorDetail[]): RpcStatusBody {
  return { error: { code: status, message, status: code, details } }
}

function send (reply: FastifyReply, error: GatewayError): FastifyReply {
  const status = error.httpStatus
  reply.request.rpcStatus = error.code
  if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(Math.ceil(error.retryAfterSeconds)))
  if (error instanceof UnauthenticatedError) reply.header('WWW-Authenticate', 'Bearer realm="twilio-connector-gateway"')
  return reply.code(status).type('application/json').send(rpcStatusBody(status, error.code, error.message, error.details))
}

/**
 * Fastify's `frameworkErrors` option: errors its router raises before a route is found (bad percent-encoding, an
 * over-long path segment) answered in the same shape as every other error.
 */
export function frameworkErrors (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  send(reply, fromFastify(error) ?? new InvalidArgumentError(FASTIFY_MESSAGES[error.code] ?? error.message))
}

export function registerErrorHandling (app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = error instanceof GatewayError
      ? error
      : UNSTORABLE_TEXT.has(String(error.code)) ? new InvalidArgumentError('The request holds text that cannot be stored (a NUL character or an invalid escape)') : fromFastify(error)
    if (mapped) {
      if (mapped.httpStatus >= 500) request.log.warn({ rpcStatus: mapped.code, message: mapped.message }, 'request failed')
      return send(reply, mapped)
    }
    request.log.error({ err: error }, 'unexpected error')
    return send(reply, new GatewayError('INTERNAL', 'Internal error; the gateway logged the details'))
  })
  app.setNotFoundHandler((request, reply) =>
    send(reply, new NotFoundError(`No such method: ${request.method} ${request.url.split('?')[0]}`)))
}
