/**
 * The list engine against a plain reference, by property: for every listing entity, conditions generated from the
 * entity's real fields and values drawn from the sandbox's rows (fields Twilio filters on and fields it does not,
 * timestamps with times and offsets, TODAY() / NOW(), AND / OR / NOT, IN, LIKE, IS NULL, key lookups, names in any
 * case and Twilio's aliases), a random page size and an optional sort. Walking every page through the gateway must
 * answer exactly the rows the reference evaluation selects from all rows (read by walking the unfiltered list),
 * each once, in Twilio's order or, when sorted, in the reference's order — also through a gateway whose small
 * upstream budget makes pages stop early and resume inside Twilio's pages.
 *
 * Run budget: NUM_RUNS scenarios over all entities, well under a minute on two cores. A failure prints fast-check's
 * seed and the shrunk scenario (its condition text included); rerun one with LIST_WALK_SEED=<seed>.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { conditionText, kindsOf, referenceSelect, referenceSort, type Kind, type Operator, type Ref, type RefValue } from '../helpers/reference-filter.js'
import { LISTING_ENTITIES, allRows, sidsOf, walk, type ListingEntity, type Row } from '../api/v2/list-support.js'
import { entitySchema, startWorld, type World } from '../api/v2/support.js'
import { startGateway, type TestGateway } from '../helpers/gateway.js'

const NUM_RUNS = process.env.LIST_WALK_RUNS ? Number(process.env.LIST_WALK_RUNS) : 100
const SEED = process.env.LIST_WALK_SEED ? Number(process.env.LIST_WALK_SEED) : undefined
const DAY = 86_400_000

interface PushDownFilter { field: string, param: string, match: string }

/** What the generators know of an entity: its fields, their kinds, Twilio's aliases and values from its rows. */
interface Catalog {
  entity: ListingEntity
  rows: Row[]
  kinds: Record<string, Kind>
  /** Fields a condition can compare (not structured). */
  scalar: string[]
  /** Every field, structured ones too (IS NULL applies to all). */
  every: string[]
  pushed: PushDownFilter[]
  /** Distinct non-null values by field, at most 40 of each. */
  values: Record<string, unknown[]>
  aliases: Record<string, string[]>
}

/** Twilio's names that stand for a field (`From` for `Sender`), from the Create/Update schemas' `x-aliases`. */
function aliasesOf (entity: ListingEntity): Record<string, string[]> {
  const schema = entitySchema(entity) as unknown as { $defs: Record<string, { properties?: Record<string, { 'x-aliases'?: string[] }> } | undefined> }
  const aliases: Record<string, string[]> = {}
  for (const input of [schema.$defs.Create, schema.$defs.Update]) {
    for (const [field, property] of Object.entries(input?.properties ?? {})) {
      for (const alias of property['x-aliases'] ?? []) aliases[field] = [...new Set([...(aliases[field] ?? []), alias])]
    }
  }
  return aliases
}

function catalogOf (entity: ListingEntity, rows: Row[]): Catalog {
  const schema = entitySchema(entity)
  const kinds = kindsOf(schema.properties)
  const every = Object.keys(schema.properties)
  const values: Record<string, unknown[]> = {}
  for (const field of every) {
    const distinct = [...new Set(rows.map((row) => row[field]).filter((value) => value !== null && value !== undefined && typeof value !== 'object'))]
    // Spread over the data rather than the first 40 seen.
    const step = Math.max(1, Math.floor(distinct.length / 40))
    values[field] = distinct.filter((_, index) => index % step === 0).slice(0, 40)
  }
  return {
    entity,
    rows,
    kinds,
    scalar: every.filter((field) => kinds[field] !== 'structured'),
    every,
    pushed: (schema['x-entity'] as { pushDown?: PushDownFilter[] }).pushDown ?? [],
    values,
    aliases: aliasesOf(entity)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Generators.

/** A field as a user may write it: as named, lower or upper case, or one of Twilio's names for it. */
function spelling (catalog: Catalog, field: string): fc.Arbitrary<string> {
  const names = [field, field.toLowerCase(), field.toUpperCase(), ...(catalog.aliases[field] ?? [])]
  return fc.constantFrom(...names)
}

/** ISO 8601 of an instant at a UTC offset of `minutes` (`…+02:00`), or `Z`. */
function isoAt (ms: number, minutes: number): string {
  if (minutes === 0) return new Date(ms).toISOString().replace(/\.000Z$/, 'Z')
  const local = new Date(ms + minutes * 60_000).toISOString().slice(0, 19)
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

/** A timestamp value near the data: a row's instant moved by up to two days, as a timestamp or a date, or relative. */
function timestampValue (catalog: Catalog, field: string): fc.Arbitrary<RefValue> {
  const seen = catalog.values[field]!.map((value) => Date.parse(String(value)))
  const near = seen.length > 0 ? fc.constantFrom(...seen) : fc.constant(Date.UTC(2023, 11, 1, 12))
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(near, fc.constantFrom(0, 0, 1_000, -1_000, 3_600_000, -7_200_000, DAY, -2 * DAY, 12 * 3_600_000), fc.constantFrom(0, 0, 0, 120, -300, 330))
      .map(([ms, shift, offset]): RefValue => ({ type: 'instant', text: isoAt(ms + shift, offset) })) },
    { weight: 2, arbitrary: near.map((ms): RefValue => ({ type: 'instant', text: new Date(ms).toISOString().slice(0, 10) })) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('TODAY', 'NOW') as fc.Arbitrary<'TODAY' | 'NOW'>, fc.constantFrom(0, -1, -7, -30, -45.5, -89, -120, 1))
      .map(([base, days]): RefValue => ({ type: 'relative', base, days })) }
  )
}

/** A value of the field's kind: mostly one the rows hold, sometimes one they do not. */
function valueFor (catalog: Catalog, field: string): fc.Arbitrary<RefValue> {
  const pool = catalog.values[field]!
  switch (catalog.kinds[field]) {
    case 'timestamp':
      return timestampValue(catalog, field)
    case 'number': {
      const seen = pool.length > 0 ? fc.constantFrom(...(pool as number[])) : fc.constant(0)
      return fc.oneof(
        { weight: 4, arbitrary: seen.map((value): RefValue => ({ type: 'number', value })) },
        { weight: 1, arbitrary: fc.tuple(seen, fc.constantFrom(-1, -0.5, 0.5, 1, 100)).map(([value, shift]): RefValue => ({ type: 'number', value: value + shift })) }
      )
    }
    case 'boolean':
      return fc.boolean().map((value): RefValue => ({ type: 'boolean', value }))
    default: {
      const seen = pool.length > 0 ? fc.constantFrom(...(pool as string[])) : fc.constant('none')
      // `Sid = '<not a Sid>'` as an AND term is refused (400) rather than evaluated, by design (limits.test.ts): the
      // key lookup would put it in an upstream path. Sid values are therefore always well formed here.
      if (field === 'Sid') return fc.oneof(seen, fc.constant(`${String(pool[0]).slice(0, 2)}${'0'.repeat(32)}`)).map((value): RefValue => ({ type: 'string', value }))
      return fc.oneof(
        { weight: 5, arbitrary: seen.map((value): RefValue => ({ type: 'string', value })) },
        { weight: 1, arbitrary: fc.constantFrom('zz-none', '', "it's", 'whatsapp:+10000000000').map((value): RefValue => ({ type: 'string', value, quote: '"' })) }
      )
    }
  }
}

/** A LIKE pattern made from a value the rows hold: a prefix, a suffix, a middle, with `_` for some characters. */
function likePatternFor (catalog: Catalog, field: string): fc.Arbitrary<string> {
  const pool = catalog.values[field]! as string[]
  if (pool.length === 0) return fc.constantFrom('%', '_%', 'x%')
  return fc.tuple(fc.constantFrom(...pool), fc.nat(), fc.nat(), fc.constantFrom('exact', 'prefix', 'suffix', 'middle', 'blanks', 'any')).map(([value, a, b, shape]) => {
    const chars = [...value]
    const cut = chars.length === 0 ? 0 : a % chars.length
    switch (shape) {
      case 'exact': return value
      case 'prefix': return `${chars.slice(0, cut + 1).join('')}%`
      case 'suffix': return `%${chars.slice(cut).join('')}`
      case 'middle': return `%${chars.slice(cut, cut + 1 + (b % 4)).join('')}%`
      case 'blanks': return chars.map((char, index) => (index + b) % 3 === 0 ? '_' : char).join('')
      default: return '%'
    }
  })
}

function atom (catalog: Catalog): fc.Arbitrary<Ref> {
  // Fields Twilio filters on half the time: those are where push-down can go wrong.
  const pushedFields = catalog.pushed.map((filter) => filter.field)
  const scalarField = fc.oneof(fc.constantFrom(...catalog.scalar), fc.constantFrom(...pushedFields))
  const stringFields = catalog.scalar.filter((field) => catalog.kinds[field] === 'string')
  const compare = scalarField.chain((field) => fc.tuple(
    spelling(catalog, field),
    catalog.kinds[field] === 'boolean' ? fc.constantFrom<Operator>('=', '!=', '<>') : fc.constantFrom<Operator>('=', '!=', '<>', '<', '<=', '>', '>='),
    valueFor(catalog, field)
  ).map(([written, operator, value]): Ref => ({ op: 'cmp', field, spelling: written, operator, value })))
  const inList = scalarField.chain((field) => fc.tuple(spelling(catalog, field), fc.array(valueFor(catalog, field), { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([written, values, negated]): Ref => ({ op: 'in', field, spelling: written, values, negated })))
  const likeFields = [...stringFields, ...pushedFields.filter((field) => catalog.kinds[field] === 'string')]
  const like = fc.constantFrom(...likeFields).chain((field) => fc.tuple(spelling(catalog, field), likePatternFor(catalog, field), fc.boolean())
    .map(([written, pattern, negated]): Ref => ({ op: 'like', field, spelling: written, pattern, negated })))
  const isNull = fc.constantFrom(...catalog.every).chain((field) => fc.tuple(spelling(catalog, field), fc.boolean())
    .map(([written, negated]): Ref => ({ op: 'isNull', field, spelling: written, negated })))
  return fc.oneof({ weight: 5, arbitrary: compare }, { weight: 2, arbitrary: inList }, { weight: 2, arbitrary: like }, { weight: 1, arbitrary: isNull })
}

/**
 * Terms Twilio filters on, made from one row so that together they usually hold for it (and for its neighbours
 * or not): equality with its value on equality filters, comparisons near its instant on day filters — where
 * whole-day widening must be refined to the second.
 */
function anchoredTerms (catalog: Catalog): fc.Arbitrary<Ref[]> {
  const term = (row: Row, filter: PushDownFilter): fc.Arbitrary<Ref> => {
    const value = row[filter.field]
    if (filter.match !== 'day') {
      return fc.tuple(spelling(catalog, filter.field), fc.boolean()).map(([written, asIn]): Ref => asIn
        ? { op: 'in', field: filter.field, spelling: written, values: [{ type: 'string', value: String(value) }], negated: false }
        : { op: 'cmp', field: filter.field, spelling: written, operator: '=', value: { type: 'string', value: String(value) } })
    }
    const ms = Date.parse(String(value))
    return fc.tuple(spelling(catalog, filter.field), fc.constantFrom<Operator>('=', '<', '<=', '>', '>='),
      fc.constantFrom(0, 0, 1_000, 60_000, 3_600_000, 12 * 3_600_000, DAY), fc.constantFrom(0, 0, 0, 120, -300, 330))
      .map(([written, operator, slack, offset]): Ref => {
        // Satisfied by the row: >= and > below its instant, <= and < above it, = at it.
        const at = operator === '=' ? ms : operator.startsWith('>') ? ms - slack - (operator === '>' ? 1_000 : 0) : ms + slack + (operator === '<' ? 1_000 : 0)
        return { op: 'cmp', field: filter.field, spelling: written, operator, value: { type: 'instant', text: isoAt(at, offset) } }
      })
  }
  return fc.constantFrom(...catalog.rows).chain((row) => {
    const usable = catalog.pushed.filter((filter) => row[filter.field] !== null && row[filter.field] !== undefined)
    if (usable.length === 0) return fc.constant<Ref[]>([])
    return fc.uniqueArray(fc.constantFrom(...usable), { minLength: 1, maxLength: 2, selector: (filter) => filter.field })
      .chain((filters) => fc.tuple(...filters.map((filter) => term(row, filter))))
  })
}

const conjunction = (terms: Ref[]): Ref => terms.length === 1 ? terms[0]! : { op: 'and', operands: terms }

function tree (catalog: Catalog): fc.Arbitrary<Ref> {
  return fc.letrec<{ node: Ref }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', maxDepth: 3 },
      atom(catalog),
      fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((operands): Ref => ({ op: 'and', operands })),
      fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((operands): Ref => ({ op: 'or', operands })),
      tie('node').map((operand): Ref => ({ op: 'not', operand }))
    )
  })).node
}

/**
 * A condition: a tree; terms Twilio filters on ANDed with a tree (push-down meets refinement); an OR of two such
 * groups or a NOT of one (never pushed); sometimes a key lookup.
 */
function condition (catalog: Catalog): fc.Arbitrary<Ref> {
  const sid = fc.constantFrom(...catalog.rows.map((row) => row.Sid as string))
  const anchored = anchoredTerms(catalog).filter((terms) => terms.length > 0)
  return fc.oneof(
    { weight: 3, arbitrary: tree(catalog) },
    { weight: 4, arbitrary: fc.tuple(anchored, fc.option(tree(catalog), { nil: undefined }))
      .map(([terms, rest]): Ref => conjunction(rest ? [...terms, rest] : terms)) },
    { weight: 2, arbitrary: fc.tuple(anchored, fc.oneof(anchored, tree(catalog).map((ref) => [ref])))
      .map(([left, right]): Ref => ({ op: 'or', operands: [conjunction(left), conjunction(right)] })) },
    { weight: 1, arbitrary: anchored.map((terms): Ref => ({ op: 'not', operand: conjunction(terms) })) },
    { weight: 1, arbitrary: fc.tuple(sid, fc.option(tree(catalog), { nil: undefined }))
      .map(([value, rest]): Ref => {
        const key: Ref = { op: 'cmp', field: 'Sid', operator: '=', value: { type: 'string', value } }
        return rest ? { op: 'and', operands: [rest, key] } : key
      }) }
  )
}

interface Scenario {
  entity: ListingEntity
  /** Served by the gateway whose calls may send only 5 upstream requests: its pages stop early and resume. */
  lean: boolean
  conditions?: string
  ref?: Ref
  pageSize: number
  sort?: { field: string, written: string, descending: boolean, order?: string }
}

function scenario (catalog: Catalog): fc.Arbitrary<Scenario> {
  const sort = fc.constantFrom(...catalog.scalar).chain((field) => fc.tuple(spelling(catalog, field), fc.constantFrom(undefined, 'ASC', 'DESC', 'desc'))
    .map(([written, order]) => ({ field, written, descending: order?.toUpperCase() === 'DESC', ...(order ? { order } : {}) })))
  return fc.record({
    ref: fc.option(condition(catalog), { nil: undefined, freq: 8 }),
    pageSize: fc.integer({ min: 1, max: 50 }),
    sort: fc.option(sort, { nil: undefined, freq: 2 }),
    lean: fc.boolean()
  }).map(({ ref, pageSize, sort: sorted, lean }): Scenario => ({
    entity: catalog.entity,
    lean,
    ...(ref ? { conditions: conditionText(ref), ref } : {}),
    pageSize,
    ...(sorted ? { sort: sorted } : {})
  }))
}

// ---------------------------------------------------------------------------------------------------------------

let world: World
let lean: TestGateway
const catalogs = {} as Record<ListingEntity, Catalog>

beforeAll(async () => {
  world = await startWorld({ sandbox: { seed: { calls: 90, messages: 120 } }, gatewayClock: true })
  // 5 upstream requests per call, 4 attempts kept in reserve for each: a page in Twilio's order reads 2 of its pages.
  lean = await startGateway({ sandbox: world.sandbox, config: { callLimits: { budget: 5 }, clock: world.clock.now } })
  for (const entity of LISTING_ENTITIES) catalogs[entity] = catalogOf(entity, await allRows(world, entity))
})
afterAll(async () => {
  await lean?.close()
  await world?.close()
})

describe('walking a list with generated conditions, page sizes and sorts', () => {
  it('the catalog reaches every listing entity, with fields Twilio filters on and values from the rows', () => {
    for (const entity of LISTING_ENTITIES) {
      const catalog = catalogs[entity]
      expect(catalog.rows.length, entity).toBeGreaterThan(3)
      expect(catalog.pushed.length, entity).toBeGreaterThan(0)
      expect(catalog.scalar.filter((field) => catalog.values[field]!.length > 0).length, entity).toBeGreaterThan(3)
    }
  })

  it('answers exactly the reference\'s rows, each once, in Twilio\'s order or the sort\'s', async () => {
    const perEntity = Object.fromEntries(LISTING_ENTITIES.map((entity) => [entity, 0])) as Record<ListingEntity, number>
    let nonEmpty = 0
    // Messages and Calls have the most rows and filters: they get most of the runs.
  const scenarios = fc.constantFrom<ListingEntity>('Messages', 'Messages', 'Calls', 'Calls', 'Recordings', 'IncomingPhoneNumbers', 'OutgoingCallerIds')
    .chain((entity) => scenario(catalogs[entity]))
    await fc.assert(fc.asyncProperty(scenarios, async (generated) => {
      const catalog = catalogs[generated.entity]
      const selected = generated.ref ? referenceSelect(catalog.rows, generated.ref, catalog.kinds, world.clock.now()) : catalog.rows
      const expected = generated.sort ? referenceSort(selected, generated.sort.field, catalog.kinds[generated.sort.field]!, generated.sort.descending) : selected
      const result = await walk(generated.lean ? lean.call : world.call, generated.entity, {
        pageSize: generated.pageSize,
        conditions: generated.conditions,
        ...(generated.sort ? { sortBy: generated.sort.written, sortOrder: generated.sort.order } : {})
      }, catalog.rows.length + 20)
      expect(sidsOf(result.rows)).toEqual(sidsOf(expected))
      perEntity[generated.entity]++
      if (expected.length > 0) nonEmpty++
      if (process.env.LIST_WALK_STATS) console.log(generated.entity, expected.length, result.pages.length, generated.conditions)
    }), { numRuns: NUM_RUNS, ...(SEED === undefined ? {} : { seed: SEED }) })
    // The runs reached the entities and selected rows (not only empty answers).
    expect(Object.values(perEntity).filter((runs) => runs > 0).length).toBeGreaterThanOrEqual(4)
    expect(nonEmpty).toBeGreaterThan(NUM_RUNS / 4)
  }, 180_000)
})
