import type { ListRequest } from './paging.js'
import type { AccountData, Store } from './store.js'
import { API_PREFIX, notFound, type Params } from './wire.js'

/** What a resource handler sees of a request that passed authentication. */
export interface Context {
  store: Store
  /** The request path as received, e.g. `/2010-04-01/Accounts/AC…/Messages.json` (404 messages, list URIs). */
  path: string
  /** Path parameters, decoded. */
  params: Record<string, string>
  query: ListRequest
  form: Params
  /** The account the path names (the caller may act on it), or the caller's own for `/Accounts.json`. */
  data: AccountData
  /** The authenticated account; an API key acts for the account that owns it. */
  callerSid: string
  /** `http://host:port` as the client addressed this server, for absolute URLs such as `media_url`. */
  origin: string
}

export interface Answer {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export type Method = 'GET' | 'POST' | 'DELETE'
export type Handler = (context: Context) => Answer

export interface Route {
  pattern: RegExp
  methods: Partial<Record<Method, Handler>>
}

/**
 * A route of the 2010 API: `template` is relative to `/2010-04-01` and names parameters in braces, e.g.
 * `/Accounts/{AccountSid}/Calls/{Sid}.json`. A parameter never spans a `/`; the `.json` suffix is literal, so
 * `.xml`, `.csv` or no suffix find no route (404) as they would on a JSON-only Twilio.
 */
export function route (template: string, methods: Route['methods']): Route {
  const source = (API_PREFIX + template)
    .split(/(\{\w+\})/)
    .map((part) => /^\{\w+\}$/.test(part) ? `(?<${part.slice(1, -1)}>[^/]+?)` : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
    .join('')
  return { pattern: new RegExp(`^${source}$`), methods }
}

export function matchRoute (routes: readonly Route[], path: string): { route: Route, params: Record<string, string> } | undefined {
  for (const candidate of routes) {
    const match = candidate.pattern.exec(path)
    if (!match) continue
    const params: Record<string, string> = {}
    try {
      for (const [name, value] of Object.entries(match.groups ?? {})) params[name] = decodeURIComponent(value)
    } catch {
      return undefined
    }
    return { route: candidate, params }
  }
  return undefined
}

export const ok = (body: unknown): Answer => ({ status: 200, body })
export const created = (body: unknown): Answer => ({ status: 201, body })
export const noContent = (): Answer => ({ status: 204 })

/** The record with this sid, or Twilio's 404 for the request path. */
export function found<T> (record: T | undefined, context: Context): T {
  if (record === undefined) throw notFound(context.path)
  return record
}

/** Twilio's formatting of a price: a string with five decimals, e.g. `-0.01400`. */
export function money (price: number | null): string | null {
  return price === null ? null : price.toFixed(5)
}

/** `/2010-04-01/Accounts/{AccountSid}`, the prefix of every URI of an account's resources. */
export function accountUri (accountSid: string): string {
  return `${API_PREFIX}/Accounts/${accountSid}`
}
