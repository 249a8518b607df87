/**
 * A parsed condition bound to an entity: field names resolved (case-insensitively, Twilio's aliases such as `From`
 * included), values checked against the fields' types and converted (timestamps to epoch milliseconds, `TODAY()`
 * to midnight UTC), and evaluated on entity rows with SQL's three-valued logic — a comparison with a missing value
 * is unknown, and only rows for which the whole condition is true match.
 */
import { invalidField, type InvalidArgumentError } from '../errors.js'
import { fieldNamed, typesOf, type EntityDefinition, type PropertySchema } from '../entities/catalog.js'
import { FilterSyntaxError, parseCondition, type ComparisonOperator, type Condition, type FieldReference, type Literal } from './parser.js'

export type FieldKind = 'string' | 'number' | 'boolean' | 'timestamp' | 'structured'

/** A value as the engine compares it: strings, numbers (timestamps as epoch ms), booleans. */
export type Scalar = string | number | boolean

export type BoundCondition =
  | { kind: 'and' | 'or', operands: BoundCondition[] }
  | { kind: 'not', operand: BoundCondition }
  | { kind: 'compare', field: string, fieldKind: FieldKind, operator: ComparisonOperator, value: Scalar }
  | { kind: 'like', field: string, pattern: RegExp, negated: boolean }
  | { kind: 'in', field: string, fieldKind: FieldKind, values: Scalar[], negated: boolean }
  | { kind: 'isNull', field: string, negated: boolean }

const DAY_MS = 86_400_000
/** A clause that is only a SID, as Google's Twilio page writes filter clauses: it means `Sid = '<that sid>'`. */
const BARE_SID = /^[A-Z]{2}[0-9a-fA-F]{32}$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

export function fieldKind (property: PropertySchema): FieldKind {
  if (property.format === 'date-time') return 'timestamp'
  const types = typesOf(property)
  if (types.includes('integer') || types.includes('number')) return 'number'
  if (types.includes('boolean')) return 'boolean'
  if (types.includes('object') || types.includes('array')) return 'structured'
  return 'string'
}

class Binder {
  constructor (private readonly entity: EntityDefinition, private readonly now: number) {}

  bind (condition: Condition): BoundCondition {
    switch (condition.kind) {
      case 'and':
      case 'or':
        return { kind: condition.kind, operands: condition.operands.map((operand) => this.bind(operand)) }
      case 'not':
        return { kind: 'not', operand: this.bind(condition.operand) }
      case 'isNull':
        return { kind: 'isNull', field: this.#field(condition.field, true).name, negated: condition.negated }
      case 'like': {
        const field = this.#field(condition.field)
        if (field.kind !== 'string') throw invalidField('conditions', `LIKE needs a text field; ${field.name} (position ${condition.field.position}) is ${field.kind}`)
        return { kind: 'like', field: field.name, pattern: likePattern(condition.pattern), negated: condition.negated }
      }
      case 'in': {
        const field = this.#field(condition.field)
        return { kind: 'in', field: field.name, fieldKind: field.kind, values: condition.values.map((value) => this.#value(field, condition.field, value)), negated: condition.negated }
      }
      case 'compare': {
        const field = this.#field(condition.field)
        if (field.kind === 'boolean' && !['=', '!='].includes(condition.operator)) {
          throw invalidField('conditions', `${field.name} (position ${condition.field.position}) is true or false: compare it with = or !=`)
        }
        return { kind: 'compare', field: field.name, fieldKind: field.kind, operator: condition.operator, value: this.#value(field, condition.field, condition.value) }
      }
    }
  }

  /** The field a reference names; a structured one only where `structured` allows it (IS [NOT] NULL). */
  #field (reference: FieldReference, structured = false): { name: string, kind: FieldKind } {
    const name = fieldNamed(this.entity, reference.name)
    if (!name) {
      throw invalidField('conditions', `Unknown field ${reference.name} at position ${reference.position}: ${this.entity.name} has ` +
        Object.keys(this.entity.fields).join(', '))
    }
    const kind = fieldKind(this.entity.fields[name]!)
    if (kind === 'structured' && !structured) throw invalidField('conditions', `${name} (position ${reference.position}) holds structured data: only IS [NOT] NULL applies to it`)
    return { name, kind }
  }

  #value (field: { name: string, kind: FieldKind }, reference: FieldReference, literal: Literal): Scalar {
    const wrong = (what: string): InvalidArgumentError =>
      invalidField('conditions', `${field.name} (position ${reference.position}) is ${field.kind === 'timestamp' ? 'a timestamp' : `a ${field.kind}`}; ${what}`)
    if (literal.kind === 'null') throw wrong('compare it with IS NULL or IS NOT NULL, not with NULL')
    switch (field.kind) {
      case 'string':
        if (literal.kind !== 'string') throw wrong('quote the value')
        return literal.value
      case 'number':
        if (literal.kind !== 'number') throw wrong('give a number, unquoted')
        return literal.value
      case 'boolean':
        if (literal.kind !== 'boolean') throw wrong('give TRUE or FALSE')
        return literal.value
      default:
        return this.#instant(literal, wrong)
    }
  }

  /**
   * A timestamp literal as epoch ms: an ISO date (midnight UTC) or timestamp, or TODAY() / NOW() ± days. Dates must be
   * on the calendar (no February 30th) and instants within the years 0001–9999 UTC, what Twilio's date filters can take.
   */
  #instant (literal: Literal, wrong: (what: string) => InvalidArgumentError): number {
    let at = NaN
    if (literal.kind === 'relative') {
      const base = literal.base === 'NOW' ? this.now : Math.floor(this.now / DAY_MS) * DAY_MS
      at = base + literal.days * DAY_MS
    } else if (literal.kind === 'string' && (ISO_DATE.test(literal.value) || ISO_TIMESTAMP.test(literal.value)) && onCalendar(literal.value.slice(0, 10))) {
      at = Date.parse(ISO_DATE.test(literal.value) ? `${literal.value}T00:00:00Z` : literal.value)
    }
    if (Number.isNaN(at)) {
      throw wrong("give an ISO date or timestamp in quotes ('2024-03-01', '2024-03-01T10:00:00Z'), TODAY() or NOW(), optionally - N days")
    }
    if (!(at >= FIRST_INSTANT && at <= LAST_INSTANT)) throw wrong('give an instant between the years 0001 and 9999 (UTC)')
    return at
  }
}

const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00Z')
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z')

/** Whether `YYYY-MM-DD` names a real day: Date.parse rolls 2024-02-30 over into March instead of refusing it. */
function onCalendar (date: string): boolean {
  const at = Date.parse(`${date}T00:00:00Z`)
  return !Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) === date
}

/**
 * SQL LIKE (`%` any run, `_` one character) as an anchored regular expression; case-sensitive. Unicode mode, so `_`
 * is one character even outside the Basic Multilingual Plane (an emoji), not one UTF-16 code unit.
 */
function likePattern (pattern: string): RegExp {
  const source = [...pattern].map((char) => char === '%' ? '.*' : char === '_' ? '.' : char.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')).join('')
  return new RegExp(`^${source}$`, 'su')
}

/**
 * Parses and binds `text` for `entity` (a bare SID is `Sid = '<sid>'`); `now` (epoch ms) anchors TODAY() and NOW(). Throws 400 INVALID_ARGUMENT
 * naming the position or the field at fault.
 */
export function compileCondition (text: string, entity: EntityDefinition, now: number): BoundCondition {
  let parsed: Condition
  try {
    parsed = BARE_SID.test(text.trim()) ? parseCondition(`${entity.document['x-entity'].key} = '${text.trim()}'`) : parseCondition(text)
  } catch (error) {
    if (error instanceof FilterSyntaxError) throw invalidField('conditions', `conditions: ${error.message}`)
    throw error
  }
  return new Binder(entity, now).bind(parsed)
}

/** A row's value as the engine compares it: timestamps as epoch ms; missing and null as undefined. */
function scalarOf (value: unknown, kind: FieldKind): Scalar | undefined {
  if (value === null || value === undefined) return undefined
  if (kind === 'timestamp') {
    const at = Date.parse(String(value))
    return Number.isNaN(at) ? undefined : at
  }
  return value as Scalar
}

function compare (left: Scalar, operator: ComparisonOperator, right: Scalar): boolean {
  switch (operator) {
    case '=': return left === right
    case '!=': return left !== right
    case '<': return left < right
    case '<=': return left <= right
    case '>': return left > right
    case '>=': return left >= right
  }
}

/** SQL's three-valued result: true, false, or unknown (undefined). */
export function evaluate (condition: BoundCondition, row: Record<string, unknown>): boolean | undefined {
  switch (condition.kind) {
    case 'and': {
      let result: boolean | undefined = true
      for (const operand of condition.operands) {
        const value = evaluate(operand, row)
        if (value === false) return false
        if (value === undefined) result = undefined
      }
      return result
    }
    case 'or': {
      let result: boolean | undefined = false
      for (const operand of condition.operands) {
        const value = evaluate(operand, row)
        if (value === true) return true
        if (value === undefined) result = undefined
      }
      return result
    }
    case 'not': {
      const value = evaluate(condition.operand, row)
      return value === undefined ? undefined : !value
    }
    case 'isNull': {
      const missing = row[condition.field] === null || row[condition.field] === undefined
      return condition.negated ? !missing : missing
    }
    case 'like': {
      const value = row[condition.field]
      if (value === null || value === undefined) return undefined
      const matched = condition.pattern.test(String(value))
      return condition.negated ? !matched : matched
    }
    case 'in': {
      const value = scalarOf(row[condition.field], condition.fieldKind)
      if (value === undefined) return undefined
      const found = condition.values.includes(value)
      return condition.negated ? !found : found
    }
    case 'compare': {
      const value = scalarOf(row[condition.field], condition.fieldKind)
      return value === undefined ? undefined : compare(value, condition.operator, condition.value)
    }
  }
}

/** Whether a row matches: the condition is true for it (not false, not unknown). */
export function matches (condition: BoundCondition, row: Record<string, unknown>): boolean {
  return evaluate(condition, row) === true
}
