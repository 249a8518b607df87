import { createHash, timingSafeEqual } from 'node:crypto'
import type { Store } from './store.js'

/** The credentials of a request: the Basic username and the account it acts for. */
export interface Principal {
  username: string
  accountSid: string
}

/** The username and password of an HTTP Basic `Authorization` header, if it is one. */
export function parseBasic (header: string | undefined): { username: string, password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '')
  if (!match) return undefined
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/** Compares secrets in constant time (hashing first, so their lengths leak nothing either). */
export function secretsEqual (a: string, b: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(a), digest(b))
}

/**
 * Twilio's two kinds of credentials: an account SID with its auth token, or an API key SID (`SK…`) with its
 * secret, which acts on the account owning the key.
 */
export function authenticate (header: string | undefined, store: Store): Principal | undefined {
  const credentials = parseBasic(header)
  if (!credentials) return undefined
  const { username, password } = credentials
  const key = store.apiKeys.get(username)
  if (key) return secretsEqual(password, key.secret) ? { username, accountSid: key.accountSid } : undefined
  const account = store.account(username)?.account
  // Unknown usernames cost a comparison too, so response times do not tell which accounts exist.
  const valid = secretsEqual(password, account?.authToken ?? '') && account !== undefined
  return valid ? { username, accountSid: account.sid } : undefined
}
