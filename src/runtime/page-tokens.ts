/**
 * Opaque page tokens. A token carries where the next page starts (for entity lists, a Twilio page URI and a row in it,
 * or the last sort key; for v1 lists, an offset) and is signed (HMAC-SHA256) and bound to the connection, entity
 * type, conditions and sort it was issued for, so a tampered or foreign token is refused and any
 * gateway process holding the key can serve the next page.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { InvalidArgumentError } from '../errors.js'

/** What a token is bound to: a list's connection, entity type, conditions and, for sorted lists, the order. */
export interface PageScope { connection: string, entity: string, conditions: string, order?: string }

interface TokenPayload { v: 1, u: string }

export class PageTokens {
  constructor (private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the page-token key needs at least 32 bytes')
  }

  #mac (scope: PageScope, body: string): Buffer {
    return createHmac('sha256', this.key)
      .update(JSON.stringify([scope.connection, scope.entity, scope.conditions, scope.order ?? '']))
      .update('\n')
      .update(body)
      .digest()
  }

  issue (scope: PageScope, position: string): string {
    const body = Buffer.from(JSON.stringify({ v: 1, u: position } satisfies TokenPayload)).toString('base64url')
    return `${body}.${this.#mac(scope, body).toString('base64url')}`
  }

  /** The position a token carries; throws INVALID_ARGUMENT unless it was issued for this very scope. */
  open (scope: PageScope, token: string): string {
    const [body, mac, extra] = token.split('.')
    const expected = body ? this.#mac(scope, body) : undefined
    const given = mac ? Buffer.from(mac, 'base64url') : undefined
    if (extra !== undefined || !expected || !given || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidArgumentError('pageToken is not a token this gateway issued for this connection, entity type, conditions and sort', [
        { field: 'pageToken', description: 'must be a nextPageToken returned by the same list call' }
      ])
    }
    const payload = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as TokenPayload
    return payload.u
  }
}
