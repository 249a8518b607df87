/**
 * A list request compiled for one entity: its condition bound to the entity's fields, what of it Twilio filters on,
 * a key lookup when the condition pins the Sid, and the sort. Everything a caller can get wrong is found here, before
 * anything goes upstream.
 */
import { fieldNamed, type EntityDefinition } from '../entities/catalog.js'
import { invalidField } from '../errors.js'
import { compileCondition, fieldKind, type BoundCondition, type FieldKind } from '../filter/condition.js'
import { conjuncts, pushDown, type PushDown } from './push-down.js'

export interface SortSpec { field: string, kind: FieldKind, descending: boolean }

export interface ListQuery {
  condition?: BoundCondition
  pushDown: PushDown
  /** The Sid an `AND` term `Sid = '…'` pins: the rows are at most that one, read with a Get. */
  keySid?: string
  sort?: SortSpec
}

export interface ListQueryText {
  conditions?: string
  sortBy?: string[]
  sortOrder?: string[]
}

function compileSort (entity: EntityDefinition, sortBy: string[] = [], sortOrder: string[] = []): SortSpec | undefined {
  if (sortBy.length > 1) throw invalidField('sortBy', `Only one sortBy column is supported, got ${sortBy.length}: ${sortBy.join(', ')}`)
  if (sortOrder.length > sortBy.length) throw invalidField('sortOrder', 'sortOrder needs a sortBy column to apply to')
  const [name] = sortBy
  if (name === undefined) return undefined
  const field = fieldNamed(entity, name)
  if (!field) throw invalidField('sortBy', `Unknown sortBy column ${name}: ${entity.name} has ${Object.keys(entity.fields).join(', ')}`)
  const kind = fieldKind(entity.fields[field]!)
  if (kind === 'structured') throw invalidField('sortBy', `${field} holds structured data and cannot be sorted on`)
  const order = (sortOrder[0] ?? 'ASC').toUpperCase()
  if (order !== 'ASC' && order !== 'DESC') throw invalidField('sortOrder', `sortOrder must be ASC or DESC, got ${sortOrder[0]}`)
  return { field, kind, descending: order === 'DESC' }
}

/** The Sid pinned by top-level `Sid = '…'` terms, each checked against the entity's id format (in any order). */
function keySidOf (entity: EntityDefinition, condition: BoundCondition | undefined): string | undefined {
  const key = entity.document['x-entity'].key
  const pinned = (condition ? conjuncts(condition) : [])
    .filter((term) => term.kind === 'compare' && term.field === key && term.operator === '=' && typeof term.value === 'string')
    .map((term) => (term as { value: string }).value)
  const malformed = pinned.find((sid) => !entity.idPattern.test(sid))
  if (malformed !== undefined) {
    throw invalidField('conditions', `'${malformed}' is not a well-formed ${entity.name} Sid (must match ${entity.idPattern.source})`)
  }
  return pinned[0]
}

/** Compiles a list request; `now` (epoch ms) anchors TODAY() and NOW(). Throws 400 INVALID_ARGUMENT naming the fault. */
export function compileListQuery (entity: EntityDefinition, text: ListQueryText, now: number): ListQuery {
  const conditions = text.conditions?.trim() ?? ''
  const condition = conditions ? compileCondition(conditions, entity, now) : undefined
  return {
    condition,
    pushDown: pushDown(entity, condition),
    keySid: keySidOf(entity, condition),
    sort: compileSort(entity, text.sortBy, text.sortOrder)
  }
}
