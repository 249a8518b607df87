import { invalidParameter, utcDay, type Params } from './wire.js'

/**
 * The list filters of one request: each method reads one query parameter and, when present, adds a test.
 * `names` collects the parameters a list honours, so paging URIs can carry them.
 */
export class Filters<T> {
  readonly names: string[] = []
  private readonly tests: Array<(record: T) => boolean> = []

  constructor (private readonly params: Params) {}

  readonly match = (record: T): boolean => this.tests.every((test) => test(record))

  /** Exact match, e.g. `To`, `FriendlyName`. */
  equals (name: string, field: (record: T) => string | null): this {
    const wanted = this.read(name)
    if (wanted !== undefined) this.tests.push((record) => field(record) === wanted)
    return this
  }

  sid (name: string, prefix: string, field: (record: T) => string | null): this {
    if (this.read(name) !== undefined) {
      const wanted = this.params.sid(name, prefix)
      this.tests.push((record) => field(record) === wanted)
    }
    return this
  }

  oneOf (name: string, allowed: readonly string[], field: (record: T) => string): this {
    if (this.read(name) !== undefined) {
      const wanted = this.params.oneOf(name, allowed)
      this.tests.push((record) => field(record) === wanted)
    }
    return this
  }

  /**
   * A date filter and its inequality forms: `Name` (that day), `Name<` (on or before) and `Name>` (on or after).
   * Like Twilio's, it compares UTC calendar days only; records without that date never match.
   */
  days (name: string, field: (record: T) => number | null): this {
    const day = (ms: number | null): string | null => ms === null ? null : utcDay(ms)
    for (const [suffix, keep] of [
      ['', (a: string, b: string) => a === b],
      ['<', (a: string, b: string) => a <= b],
      ['>', (a: string, b: string) => a >= b]
    ] as const) {
      const raw = this.read(name + suffix)
      if (raw === undefined) continue
      const wanted = filterDay(name + suffix, raw)
      this.tests.push((record) => {
        const actual = day(field(record))
        return actual !== null && keep(actual, wanted)
      })
    }
    return this
  }

  /** A boolean parameter that changes what the list includes rather than filtering on a field. */
  flag (name: string, fallback = false): boolean {
    this.names.push(name)
    return this.params.boolean(name) ?? fallback
  }

  /** A filter whose test the caller builds from the raw value. */
  custom (name: string, test: (value: string) => (record: T) => boolean): this {
    const value = this.read(name)
    if (value !== undefined) this.tests.push(test(value))
    return this
  }

  /** The parameter's value; an empty one filters nothing. */
  private read (name: string): string | undefined {
    this.names.push(name)
    return this.params.text(name)
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/i
const RFC_2822 = /^(?:[A-Z][a-z]{2},\s*)?\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|GMT|UTC|UT|Z)$/

/** The UTC day named by a date filter: `YYYY-MM-DD`, an ISO 8601 date-time (what the SDK sends) or RFC 2822. */
function filterDay (name: string, value: string): string {
  const iso = ISO_DATE_TIME.exec(value)
  const date = DATE.test(value) ? value : iso?.[1]
  let ms = NaN
  if (date !== undefined && isCalendarDate(date)) {
    ms = iso ? Date.parse(`${iso[1]}T${iso[2]}${normaliseZone(iso[3])}`) : Date.parse(`${date}T00:00:00Z`)
  } else if (RFC_2822.test(value)) {
    ms = Date.parse(value)
  }
  if (Number.isNaN(ms)) throw invalidParameter(`Invalid value for ${name}: '${value}' is not a valid date (YYYY-MM-DD)`)
  return utcDay(ms)
}

/** Rejects dates such as 2024-02-30 that Date.parse would roll over into the next month. */
function isCalendarDate (date: string): boolean {
  const ms = Date.parse(`${date}T00:00:00Z`)
  return !Number.isNaN(ms) && utcDay(ms) === date
}

function normaliseZone (zone: string | undefined): string {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 'Z'
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`
}
