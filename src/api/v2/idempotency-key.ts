/**
 * The idempotency key of a creating call: Google's `requestId` query parameter or an `Idempotency-Key` header
 * (either; both only when they agree).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidArgumentError } from '../../errors.js'

export interface IdempotencyQuery { requestId?: string }

const KEY_PATTERN = /^[\x21-\x7E]{1,128}$/

const KEY = {
  type: 'string',
  pattern: KEY_PATTERN.source,
  description: 'Makes the create happen at most once: the first answer is stored for 24 hours and replayed to ' +
    'repeats with the same key and the same fields (answered with Idempotent-Replayed: true). The same key with ' +
    'other fields is 409 ABORTED. Up to 128 visible ASCII characters; a UUID is a good choice.'
}

export const IDEMPOTENCY_QUERY_SCHEMA = { type: 'object', properties: { requestId: KEY } }
export const IDEMPOTENCY_HEADERS_SCHEMA = { type: 'object', properties: { 'idempotency-key': { ...KEY, description: `The same as requestId. ${KEY.description}` } } }

export function idempotencyKeyOf (request: FastifyRequest): string | undefined {
  const fromQuery = (request.query as IdempotencyQuery | undefined)?.requestId
  const header = request.headers['idempotency-key']
  const fromHeader = Array.isArray(header) ? header[0] : header
  if (fromQuery !== undefined && fromHeader !== undefined && fromQuery !== fromHeader) {
    throw new InvalidArgumentError('requestId and the Idempotency-Key header differ; send one of them, or the same key in both', [
      { field: 'requestId', description: 'differs from the Idempotency-Key header' }
    ])
  }
  const key = fromQuery ?? fromHeader
  if (key !== undefined && !KEY_PATTERN.test(key)) {
    throw new InvalidArgumentError('The idempotency key must be 1 to 128 visible ASCII characters', [
      { field: fromQuery !== undefined ? 'requestId' : 'Idempotency-Key', description: `must match ${KEY_PATTERN.source}` }
    ])
  }
  return key
}

/** Marks an answer replayed from an earlier call with the same key (`Idempotent-Replayed: true`). */
export function markReplayed (reply: FastifyReply, replayed: boolean): void {
  if (replayed) reply.header('idempotent-replayed', 'true')
}
