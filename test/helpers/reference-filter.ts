/**
 * A plain in-memory reference for the filter language and sorting, written independently of src/filter and
 * src/query: conditions are built as a small tree, rendered to the text a user would send, and evaluated here on
 * rows with SQL's three-valued logic (a comparison with a NULL is unknown; a row matches only when the whole
 * condition is true). LIKE is matched character by character (code points, as SQL counts characters), without
 * regular expressions. Sorting follows SQL's order as the gateway documents it: by the column, NULLs last
 * ascending and first descending, ties broken by the Sid in the same direction.
 *
 * The tests compare what the gateway answers (push-down to Twilio plus its own refinement) with what this reference
 * selects from every row of the unfiltered list.
 */

export type Kind = 'string' | 'number' | 'boolean' | 'timestamp' | 'structured'
export type Row = Record<string, unknown>

export type RefValue =
  | { type: 'string', value: string, quote?: '\'' | '"' }
  | { type: 'number', value: number }
  | { type: 'boolean', value: boolean }
  /** An ISO date (`2024-03-01`, midnight UTC) or timestamp (`2024-03-01T10:00:00Z`, `…+02:00`) in quotes. */
  | { type: 'instant', text: string }
  /** `TODAY()` (midnight UTC) or `NOW()`, plus `days` (may be negative or fractional). */
  | { type: 'relative', base: 'TODAY' | 'NOW', days: number }

export type Operator = '=' | '!=' | '<>' | '<' | '<=' | '>' | '>='

/** `field` is the schema's name; `spelling` how the condition writes it (another case, a Twilio alias). */
export type Ref =
  | { op: 'and' | 'or', operands: Ref[] }
  | { op: 'not', operand: Ref }
  | { op: 'cmp', field: string, spelling?: string, operator: Operator, value: RefValue }
  | { op: 'like', field: string, spelling?: string, pattern: string, negated: boolean }
  | { op: 'in', field: string, spelling?: string, values: RefValue[], negated: boolean }
  | { op: 'isNull', field: string, spelling?: string, negated: boolean }

const DAY_MS = 86_400_000

/** The kind of a JSON Schema property of an entity, as the tests read `schemas/*.json`. */
export function kindOf (property: { type?: string | string[], format?: string }): Kind {
  if (property.format === 'date-time') return 'timestamp'
  const types = Array.isArray(property.type) ? property.type : property.type === undefined ? [] : [property.type]
  if (types.includes('integer') || types.includes('number')) return 'number'
  if (types.includes('boolean')) return 'boolean'
  if (types.includes('object') || types.includes('array')) return 'structured'
  return 'string'
}

export function kindsOf (properties: Record<string, { type?: string | string[], format?: string }>): Record<string, Kind> {
  return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, kindOf(property)]))
}

// ---------------------------------------------------------------------------------------------------------------
// Building and rendering.

export const and = (...operands: Ref[]): Ref => ({ op: 'and', operands })
export const or = (...operands: Ref[]): Ref => ({ op: 'or', operands })
export const not = (operand: Ref): Ref => ({ op: 'not', operand })
export const str = (value: string): RefValue => ({ type: 'string', value })
export const num = (value: number): RefValue => ({ type: 'number', value })
export const bool = (value: boolean): RefValue => ({ type: 'boolean', value })
export const at = (text: string): RefValue => ({ type: 'instant', text })
export const cmp = (field: string, operator: Operator, value: RefValue, spelling?: string): Ref =>
  ({ op: 'cmp', field, operator, value, ...(spelling === undefined ? {} : { spelling }) })

function quote (text: string, mark: '\'' | '"' = '\''): string {
  return mark + text.split(mark).join(mark + mark) + mark
}

function numberText (value: number): string {
  // The language has no negative literals of its own: `-` before a number negates it.
  return value < 0 || Object.is(value, -0) ? `-${String(-value)}` : String(value)
}

export function valueText (value: RefValue): string {
  switch (value.type) {
    case 'string': return quote(value.value, value.quote)
    case 'number': return numberText(value.value)
    case 'boolean': return value.value ? 'TRUE' : 'FALSE'
    case 'instant': return quote(value.text)
    case 'relative': return value.days === 0 ? `${value.base}()` : `${value.base}() ${value.days < 0 ? '-' : '+'} ${String(Math.abs(value.days))}`
  }
}

/** The condition as a user writes it; composite operands are parenthesised. */
export function conditionText (ref: Ref): string {
  const operand = (inner: Ref): string => inner.op === 'and' || inner.op === 'or' ? `(${conditionText(inner)})` : conditionText(inner)
  switch (ref.op) {
    case 'and':
    case 'or':
      return ref.operands.map(operand).join(ref.op === 'and' ? ' AND ' : ' OR ')
    case 'not':
      return `NOT (${conditionText(ref.operand)})`
    case 'cmp':
      return `${ref.spelling ?? ref.field} ${ref.operator} ${valueText(ref.value)}`
    case 'like':
      return `${ref.spelling ?? ref.field} ${ref.negated ? 'NOT LIKE' : 'LIKE'} ${quote(ref.pattern)}`
    case 'in':
      return `${ref.spelling ?? ref.field} ${ref.negated ? 'NOT IN' : 'IN'} (${ref.values.map(valueText).join(', ')})`
    case 'isNull':
      return `${ref.spelling ?? ref.field} IS ${ref.negated ? 'NOT NULL' : 'NULL'}`
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation.

/** Epoch ms of an ISO date (midnight UTC) or timestamp. */
export function instantOf (text: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text)
  if (Number.isNaN(ms)) throw new Error(`not an ISO date or timestamp: ${text}`)
  return ms
}

function literal (value: RefValue, now: number): string | number | boolean {
  switch (value.type) {
    case 'string':
    case 'number':
    case 'boolean':
      return value.value
    case 'instant':
      return instantOf(value.text)
    case 'relative':
      return (value.base === 'TODAY' ? Math.floor(now / DAY_MS) * DAY_MS : now) + value.days * DAY_MS
  }
}

/** A row's value as compared: timestamps as epoch ms; NULL (and absent) as undefined. */
function cell (row: Row, field: string, kind: Kind): string | number | boolean | undefined {
  const value = row[field]
  if (value === null || value === undefined) return undefined
  if (kind === 'timestamp') return Date.parse(String(value))
  return value as string | number | boolean
}

/** SQL LIKE on code points: `%` any run (also empty), `_` exactly one character; everything else literal, case-sensitive. */
export function likeMatches (pattern: string, text: string): boolean {
  const p = [...pattern]
  const t = [...text]
  // reachable[j]: the pattern prefix read so far can match the first j characters of the text.
  let reachable: boolean[] = t.map(() => false).concat(false)
  reachable[0] = true
  for (const char of p) {
    const next: boolean[] = t.map(() => false).concat(false)
    if (char === '%') {
      let any = false
      for (let j = 0; j <= t.length; j++) {
        any ||= reachable[j]!
        next[j] = any
      }
    } else {
      for (let j = 0; j < t.length; j++) if (reachable[j] && (char === '_' || t[j] === char)) next[j + 1] = true
    }
    reachable = next
  }
  return reachable[t.length]!
}

type Truth = boolean | undefined

/** SQL's three-valued result of `ref` on `row`: true, false or unknown (undefined). */
export function evaluateRef (ref: Ref, row: Row, kinds: Record<string, Kind>, now: number): Truth {
  const kind = (field: string): Kind => {
    const found = kinds[field]
    if (found === undefined) throw new Error(`the reference has no field ${field}`)
    return found
  }
  switch (ref.op) {
    case 'and': {
      const values = ref.operands.map((operand) => evaluateRef(operand, row, kinds, now))
      return values.includes(false) ? false : values.includes(undefined) ? undefined : true
    }
    case 'or': {
      const values = ref.operands.map((operand) => evaluateRef(operand, row, kinds, now))
      return values.includes(true) ? true : values.includes(undefined) ? undefined : false
    }
    case 'not': {
      const value = evaluateRef(ref.operand, row, kinds, now)
      return value === undefined ? undefined : !value
    }
    case 'isNull': {
      const missing = row[ref.field] === null || row[ref.field] === undefined
      return ref.negated ? !missing : missing
    }
    case 'like': {
      const value = row[ref.field]
      if (value === null || value === undefined) return undefined
      return likeMatches(ref.pattern, String(value)) !== ref.negated
    }
    case 'in': {
      const value = cell(row, ref.field, kind(ref.field))
      if (value === undefined) return undefined
      return ref.values.some((candidate) => literal(candidate, now) === value) !== ref.negated
    }
    case 'cmp': {
      const value = cell(row, ref.field, kind(ref.field))
      if (value === undefined) return undefined
      const wanted = literal(ref.value, now)
      switch (ref.operator) {
        case '=': return value === wanted
        case '!=':
        case '<>': return value !== wanted
        case '<': return value < wanted
        case '<=': return value <= wanted
        case '>': return value > wanted
        case '>=': return value >= wanted
      }
    }
  }
}

/** The rows (in their order) for which the condition is true. */
export function referenceSelect<T extends Row> (rows: readonly T[], ref: Ref, kinds: Record<string, Kind>, now: number): T[] {
  return rows.filter((row) => evaluateRef(ref, row, kinds, now) === true)
}

// ---------------------------------------------------------------------------------------------------------------
// Sorting.

/** SQL's order by one column: NULLs last ascending, first descending; ties by Sid in the same direction. */
export function referenceOrder (field: string, kind: Kind, descending: boolean): (a: Row, b: Row) => number {
  const direction = descending ? -1 : 1
  const plain = (x: string | number | boolean, y: string | number | boolean): number => x < y ? -1 : x > y ? 1 : 0
  return (a, b) => {
    const x = cell(a, field, kind)
    const y = cell(b, field, kind)
    let order: number
    if (x === undefined || y === undefined) order = x === y ? 0 : x === undefined ? 1 : -1
    else order = plain(x, y)
    if (order === 0) order = plain(String(a.Sid), String(b.Sid))
    return order * direction
  }
}

export function referenceSort<T extends Row> (rows: readonly T[], field: string, kind: Kind, descending: boolean): T[] {
  return [...rows].sort(referenceOrder(field, kind, descending))
}
