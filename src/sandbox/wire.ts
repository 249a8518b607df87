/**
 * Twilio's wire conventions shared by every resource: RFC 2822 dates, form-encoded parameters (also used for
 * query strings) and the JSON error body.
 */

export const API_VERSION = '2010-04-01'
export const API_PREFIX = `/${API_VERSION}`

/** `Tue, 31 Aug 2010 20:36:28 +0000`, the date format of every Twilio timestamp. */
export function rfc2822 (ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000')
}

export function rfc2822OrNull (ms: number | null): string | null {
  return ms === null ? null : rfc2822(ms)
}

/** The UTC calendar day of a timestamp, `YYYY-MM-DD`. */
export function utcDay (ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

/** A Twilio error: answered as `{code, message, more_info, status}` with `status` as the HTTP status. */
export class TwilioError extends Error {
  constructor (
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
  }

  body (): TwilioErrorBody {
    return { code: this.code, message: this.message, more_info: `https://www.twilio.com/docs/errors/${this.code}`, status: this.status }
  }
}

export interface TwilioErrorBody { code: number, message: string, more_info: string, status: number }

export function notFound (path: string): TwilioError {
  return new TwilioError(404, 20404, `The requested resource ${path} was not found`)
}

export function unauthenticated (): TwilioError {
  return new TwilioError(401, 20003, 'Authenticate', { 'WWW-Authenticate': 'Basic realm="Twilio API"' })
}

/** Twilio's generic "bad request" (20001) for parameters that have no more specific error code. */
export function invalidParameter (message: string): TwilioError {
  return new TwilioError(400, 20001, message)
}

export function missingParameter (name: string): TwilioError {
  return invalidParameter(`Missing required parameter ${name} in the post body`)
}

export function badRequest (code: number, message: string): TwilioError {
  return new TwilioError(400, code, message)
}

/** Form fields or query parameters; a repeated key (`MediaUrl=a&MediaUrl=b`) becomes an array. */
export type FormBody = Record<string, string | string[]>

export function parseForm (text: string): FormBody {
  return collect(new URLSearchParams(text))
}

export function collect (entries: Iterable<[string, string]>): FormBody {
  const out: FormBody = Object.create(null)
  for (const [key, value] of entries) {
    const seen = out[key]
    if (seen === undefined) out[key] = value
    else if (Array.isArray(seen)) seen.push(value)
    else out[key] = [seen, value]
  }
  return out
}

/**
 * Typed, validating access to form fields or query parameters. Every accessor returns `undefined` when the
 * parameter is absent and throws a Twilio 400 when it is present but malformed. Unknown parameters are simply
 * never read, which is how Twilio treats them.
 */
export class Params {
  constructor (private readonly values: FormBody) {}

  has (name: string): boolean {
    return this.values[name] !== undefined
  }

  string (name: string): string | undefined {
    const value = this.values[name]
    return Array.isArray(value) ? value[0] : value
  }

  list (name: string): string[] {
    const value = this.values[name]
    return value === undefined ? [] : Array.isArray(value) ? value : [value]
  }

  /** A non-empty string, or undefined when absent or empty. */
  text (name: string, maxLength = Infinity): string | undefined {
    const value = this.string(name)
    if (value === undefined || value === '') return undefined
    if (value.length > maxLength) throw invalidParameter(`${name} must be at most ${maxLength} characters long`)
    return value
  }

  boolean (name: string): boolean | undefined {
    const value = this.string(name)
    if (value === undefined) return undefined
    const lower = value.toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
    throw invalidParameter(`Invalid value for ${name}: '${value}' is not a boolean (true or false)`)
  }

  integer (name: string, min: number, max: number): number | undefined {
    const value = this.string(name)
    if (value === undefined) return undefined
    const number = /^-?\d+$/.test(value) ? Number(value) : NaN
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      throw invalidParameter(`Invalid value for ${name}: '${value}' is not an integer between ${min} and ${max}`)
    }
    return number
  }

  oneOf<T extends string> (name: string, allowed: readonly T[]): T | undefined {
    const value = this.string(name)
    if (value === undefined) return undefined
    if (!(allowed as readonly string[]).includes(value)) {
      throw invalidParameter(`Invalid value for ${name}: '${value}' is not one of ${allowed.join(', ')}`)
    }
    return value as T
  }

  /** GET or POST, case-insensitive, answered upper-case as Twilio does. */
  httpMethod (name: string): 'GET' | 'POST' | undefined {
    const value = this.string(name)
    if (value === undefined) return undefined
    const method = value.toUpperCase()
    if (method !== 'GET' && method !== 'POST') throw invalidParameter(`Invalid value for ${name}: '${value}' is not GET or POST`)
    return method
  }

  /** An absolute http(s) URL; an empty value clears the setting (null). */
  url (name: string): string | null | undefined {
    const value = this.string(name)
    if (value === undefined || value === '') return value === undefined ? undefined : null
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      throw invalidParameter(`Invalid value for ${name}: '${value}' is not a valid http or https URL`)
    }
    return value
  }

  /** A SID with the given prefix; an empty value clears the setting (null). */
  sid (name: string, prefix: string): string | null | undefined {
    const value = this.string(name)
    if (value === undefined || value === '') return value === undefined ? undefined : null
    if (!isSid(value, prefix)) throw invalidParameter(`Invalid value for ${name}: '${value}' is not a valid ${prefix} SID`)
    return value
  }
}

export function isSid (value: string, prefix: string): boolean {
  return value.length === 34 && value.startsWith(prefix) && /^[0-9a-fA-F]{32}$/.test(value.slice(2))
}
