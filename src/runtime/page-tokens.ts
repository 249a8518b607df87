/**
 * Opaque page tokens. A token carries Twilio's next-page URI and is signed (HMAC-SHA256) and bound to the
 * connection, entity type and conditions it was issued for, so a tampered or foreign token is refused and any
 * gateway process holding the key can serve the next page.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { InvalidArgumentError } from '../errors.js'

export interface PageScope { connection: string, entity: string, conditions: string }

interface TokenPayload { v: 1, u: string }

export class PageTokens {
  constructor (private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the page-token key needs at least 32 bytes')
  }

  #mac (scope: PageScope, body: string): Buffer {
    return createHmac('sha256', this.key)
      .update(JSON.stringify([scope.connection, scope.entity, scope.conditions]))
      .update('\n')
      .update(body)
      .digest()
  }

  issue (scope: PageScope, upstreamUri: string): string {
    const body = Buffer.from(JSON.stringify({ v: 1, u: upstreamUri } satisfies TokenPayload)).toString('base64url')
    return `${body}.${this.#mac(scope, body).toString('base64url')}`
  }

  /** The upstream URI a token carries; throws INVALID_ARGUMENT unless it was issued for this very scope. */
  open (scope: PageScope, token: string): string {
    const [body, mac, extra] = token.split('.')
    const expected = body ? this.#mac(scope, body) : undefined
    const given = mac ? Buffer.from(mac, 'base64url') : undefined
    if (extra !== undefined || !expected || !given || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidArgumentError('pageToken is not a token this gateway issued for this connection, entity type and conditions', [
        { field: 'pageToken', description: 'must be a nextPageToken returned by the same list call' }
      ])
    }
    const payload = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as TokenPayload
    return payload.u
  }
}
