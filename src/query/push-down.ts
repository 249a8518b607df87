/**
 * Which parts of a condition Twilio can filter on. Only top-level `AND` terms are pushed down, each to the list
 * filter its field has (`x-entity.pushDown`); `OR` and `NOT` are always evaluated by the gateway, so a filter on one
 * side of an `OR` can never drop rows the other side matches. What Twilio returns is refined by the gateway
 * against the whole condition, so a pushed filter only has to return a superset of the matching rows: Twilio's
 * day-granular date filters are widened to whole UTC days.
 */
import type { EntityDefinition, PushDownFilter } from '../entities/catalog.js'
import type { BoundCondition, Scalar } from '../filter/condition.js'

export interface PushDown {
  /** Twilio list filters by query parameter (`To`, `DateSent>`), values as Twilio takes them (`YYYY-MM-DD`). */
  filters: Record<string, string>
  /** Whether the filters alone select exactly the matching rows, so every row Twilio returns matches. */
  exact: boolean
}

const DAY_MS = 86_400_000

/** The `AND` terms of a condition (the condition itself when it is not an `AND`). */
export function conjuncts (condition: BoundCondition): BoundCondition[] {
  return condition.kind === 'and' ? condition.operands.flatMap(conjuncts) : [condition]
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/** Whether a value can be sent to an `equals` filter: Twilio refuses values outside the field's enum or pattern. */
function fitsField (entity: EntityDefinition, field: string, value: string): boolean {
  const property = entity.fields[field]!
  if (property.enum && !property.enum.includes(value)) return false
  return property.pattern === undefined || new RegExp(property.pattern).test(value)
}

/** Lower and upper day bounds (inclusive, epoch ms of midnight UTC) gathered for one date filter. */
interface DayRange { from?: number, to?: number, exact: boolean }

class PushDownBuilder {
  readonly filters: Record<string, string> = {}
  readonly #days = new Map<PushDownFilter, DayRange>()
  exact = true

  constructor (private readonly entity: EntityDefinition) {}

  /** Pushes one `AND` term if its field has a filter and its form fits it; anything else is left to the gateway. */
  add (term: BoundCondition): void {
    const single = term.kind === 'in' && !term.negated && term.values.length === 1
      ? { field: term.field, operator: '=' as const, value: term.values[0]! }
      : term.kind === 'compare' ? term : undefined
    const filter = single && this.entity.pushDown.get(single.field)
    if (!single || !filter) {
      this.exact = false
      return
    }
    if (filter.match === 'day') this.#day(filter, single.operator, single.value)
    else if (single.operator === '=' && typeof single.value === 'string') this.#equals(filter, single.value)
    else this.exact = false
  }

  #equals (filter: PushDownFilter, value: string): void {
    const sendable = filter.match === 'contains' ||
      ((filter.match !== 'address' || !value.includes(':')) && fitsField(this.entity, filter.field, value))
    // Two different values for one filter: no row matches; the gateway finds that out on what Twilio returns.
    if (!sendable || (this.filters[filter.param] !== undefined && this.filters[filter.param] !== value)) {
      this.exact = false
      return
    }
    this.filters[filter.param] = value
    if (filter.match === 'contains') this.exact = false
  }

  /**
   * A comparison on a timestamp, as whole days: `>= midnight` and `< midnight` are exact (the latter as `<=` the day
   * before); other bounds include the whole day of their instant; `!=` is not pushed.
   */
  #day (filter: PushDownFilter, operator: string, value: Scalar): void {
    if (typeof value !== 'number' || operator === '!=') {
      this.exact = false
      return
    }
    const midnight = Math.floor(value / DAY_MS) * DAY_MS
    const atMidnight = midnight === value
    const range = this.#days.get(filter) ?? { exact: true }
    const lower = (day: number, exact: boolean): void => {
      range.from = Math.max(range.from ?? day, day)
      range.exact &&= exact
    }
    const upper = (day: number, exact: boolean): void => {
      range.to = Math.min(range.to ?? day, day)
      range.exact &&= exact
    }
    if (operator === '>=' || operator === '>') lower(midnight, operator === '>=' && atMidnight)
    if (operator === '<' && atMidnight) upper(midnight - DAY_MS, true)
    else if (operator === '<' || operator === '<=') upper(midnight, false)
    if (operator === '=') {
      lower(midnight, false)
      upper(midnight, false)
    }
    this.#days.set(filter, range)
  }

  build (): PushDown {
    for (const [filter, range] of this.#days) {
      if (range.from !== undefined) this.filters[`${filter.param}>`] = utcDay(range.from)
      if (range.to !== undefined) this.filters[`${filter.param}<`] = utcDay(range.to)
      this.exact &&= range.exact
    }
    return { filters: this.filters, exact: this.exact }
  }
}

/** The Twilio list filters a condition pushes down for an entity; no condition pushes nothing and is exact. */
export function pushDown (entity: EntityDefinition, condition: BoundCondition | undefined): PushDown {
  const builder = new PushDownBuilder(entity)
  if (condition) for (const term of conjuncts(condition)) builder.add(term)
  return builder.build()
}
