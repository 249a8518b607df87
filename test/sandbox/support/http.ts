/** A small Twilio-style HTTP client over a real socket, and a manual clock, for the sandbox's tests. */
import { basicAuth, type TestSandbox } from '../../helpers/sandbox.js'

export type FormInput = Record<string, string | number | boolean | Array<string | number>> | Array<[string, string]>

export interface Reply<T = any> {
  status: number
  headers: Headers
  /** Parsed JSON, or undefined for an empty body. */
  body: T
  text: string
}

function toParams (input: FormInput | undefined): URLSearchParams {
  const params = new URLSearchParams()
  if (input === undefined) return params
  const entries = Array.isArray(input) ? input : Object.entries(input)
  for (const [key, value] of entries) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item))
  }
  return params
}

/**
 * Requests to a sandbox as one set of credentials. Paths starting with `/` are used as they are; other paths are
 * relative to the account, e.g. `Messages.json` → `/2010-04-01/Accounts/AC…/Messages.json`.
 */
export class TwilioHttp {
  constructor (
    readonly sandbox: TestSandbox,
    readonly accountSid = sandbox.accountSid,
    /** The Authorization header; null sends none. */
    private readonly authorization: string | null = basicAuth(sandbox.accountSid, sandbox.authToken)
  ) {}

  /** The same client acting on another account path, with other credentials (or none for `undefined`). */
  as (username: string | undefined, password?: string, accountSid = this.accountSid): TwilioHttp {
    return new TwilioHttp(this.sandbox, accountSid, username === undefined ? null : basicAuth(username, password ?? ''))
  }

  url (path: string): string {
    return path.startsWith('/') ? path : `/2010-04-01/Accounts/${this.accountSid}/${path}`
  }

  get<T = any> (path: string, query?: FormInput): Promise<Reply<T>> {
    const search = toParams(query).toString()
    return this.request('GET', search ? `${this.url(path)}?${search}` : this.url(path))
  }

  post<T = any> (path: string, form?: FormInput): Promise<Reply<T>> {
    return this.request('POST', this.url(path), {
      body: toParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' }
    })
  }

  delete<T = any> (path: string): Promise<Reply<T>> {
    return this.request('DELETE', this.url(path))
  }

  async request<T = any> (method: string, path: string, init: { body?: string, headers?: Record<string, string> } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...init.headers }
    if (this.authorization !== null) headers.authorization = this.authorization
    const response = await fetch(this.sandbox.baseUrl + path, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) })
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined, text }
  }
}

/** A clock the test moves by hand: the sandbox's time-driven state changes follow it, not the wall clock. */
export function manualClock (start = Date.UTC(2025, 5, 16, 12, 0, 0)) {
  let now = start
  return {
    now: () => now,
    advance (ms: number) { now += ms },
    set (ms: number) { now = ms }
  }
}

/** Asserts Twilio's error body and answers it. */
export function twilioError (reply: Reply): { code: number, message: string, more_info: string, status: number } {
  const body = reply.body
  if (typeof body?.code !== 'number' || typeof body.message !== 'string' || body.status !== reply.status ||
      body.more_info !== `https://www.twilio.com/docs/errors/${body.code}` || Object.keys(body).length !== 4) {
    throw new Error(`not a Twilio error body: ${reply.status} ${reply.text.slice(0, 300)}`)
  }
  return body
}
