/**
 * sortBy / sortOrder on v2 List, end to end against the sandbox: each kind of column (timestamp, number, string,
 * boolean) ascending and descending over many small pages, every row exactly once and in SQL's order (NULLs last
 * ascending, first descending, ties broken by the Sid), with conditions, column names as users write them,
 * refusals naming sortBy / sortOrder / pageToken, stateless pages any gateway process can continue, and the bound on
 * the rows a sorted listing may read from Twilio.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../../helpers/gateway.js'
import { and, at, cmp, conditionText, kindsOf, referenceSelect, referenceSort, str, type Kind, type Ref } from '../../helpers/reference-filter.js'
import { allRows, dayOf, filtersOf, listOnce, listRequests, listUrl, sidsOf, walk, type ListQuery, type ListingEntity, type Row } from './list-support.js'
import { entityPath, entitySchema, expectRpcError, violatedFields, startWorld, withoutUpstream, type World } from './support.js'

const SEED = { calls: 120, messages: 200 }

let world: World
const ALL = {} as Record<'Messages' | 'Calls' | 'IncomingPhoneNumbers' | 'Recordings', Row[]>

beforeAll(async () => {
  world = await startWorld({ sandbox: { seed: SEED } })
  for (const entity of ['Messages', 'Calls', 'IncomingPhoneNumbers', 'Recordings'] as const) ALL[entity] = await allRows(world, entity)
})
afterAll(async () => { await world?.close() })

const kindOfField = (entity: ListingEntity, field: string): Kind => kindsOf(entitySchema(entity).properties)[field]!

/** Walks a sorted list and asserts every expected row exactly once, in the reference's order. */
async function expectSorted (entity: keyof typeof ALL, field: string, descending: boolean, options: { ref?: Ref, pageSize?: number, sortBy?: string, sortOrder?: string } = {}) {
  const pageSize = options.pageSize ?? 9
  const query: ListQuery & { pageSize: number } = {
    pageSize,
    sortBy: options.sortBy ?? field,
    ...(options.sortOrder !== undefined ? { sortOrder: options.sortOrder } : descending ? { sortOrder: 'DESC' } : {}),
    ...(options.ref ? { conditions: conditionText(options.ref) } : {})
  }
  world.clearUpstream()
  const result = await walk(world.call, entity, query)
  const kinds = kindsOf(entitySchema(entity).properties)
  const selected = options.ref ? referenceSelect(ALL[entity], options.ref, kinds, world.clock.now()) : ALL[entity]
  const reference = referenceSort(selected, field, kinds[field]!, descending)
  expect(sidsOf(result.rows), JSON.stringify(query)).toEqual(sidsOf(reference))
  // Every page but the last is full: sorted pages never stop early.
  for (const page of result.pages.slice(0, -1)) expect(page).toHaveLength(pageSize)
  return { ...result, reference, requests: listRequests(world, entity) }
}

/** Positions of rows whose `field` is NULL, in a walk's rows. */
const nullPositions = (rows: Row[], field: string): number[] => rows.flatMap((row, index) => row[field] === null ? [index] : [])

/** Whether some adjacent rows share the value (so the Sid tie-break is exercised). */
const hasTies = (rows: Row[], field: string): boolean => rows.some((row, index) => index > 0 && row[field] !== null && row[field] === rows[index - 1]![field])

describe('each kind of column, both directions, over many pages', () => {
  it.each([
    ['Messages', 'DateSent', 'timestamp'],
    ['Messages', 'Price', 'number'],
    ['Messages', 'To', 'string'],
    ['Calls', 'Duration', 'number'],
    ['Calls', 'CallerName', 'string'],
    ['Calls', 'StartTime', 'timestamp'],
    ['Recordings', 'DateCreated', 'timestamp'],
    ['IncomingPhoneNumbers', 'Beta', 'boolean']
  ] as const)('%s by %s (%s)', async (entity, field, kind) => {
    expect(kindOfField(entity, field)).toBe(kind)
    const pageSize = entity === 'IncomingPhoneNumbers' ? 2 : 9
    const ascending = await expectSorted(entity, field, false, { pageSize })
    const descending = await expectSorted(entity, field, true, { pageSize })
    expect(ascending.pages.length).toBeGreaterThan(2)
    // The same rows, reversed: descending breaks ties by the Sid descending too.
    expect(sidsOf(descending.rows)).toEqual(sidsOf(ascending.rows).reverse())
    const nulls = nullPositions(ascending.rows, field).length
    if (nulls > 0) {
      const total = ascending.rows.length
      expect(nullPositions(ascending.rows, field), 'NULLs last ascending').toEqual(Array.from({ length: nulls }, (_, index) => total - nulls + index))
      expect(nullPositions(descending.rows, field), 'NULLs first descending').toEqual(Array.from({ length: nulls }, (_, index) => index))
    }
  })

  it('the data exercises NULLs and ties (so the checks above are not vacuous)', () => {
    expect(ALL.Messages.some((row) => row.DateSent === null)).toBe(true)
    expect(ALL.Messages.some((row) => row.Price === null)).toBe(true)
    expect(ALL.Calls.some((row) => row.CallerName === null)).toBe(true)
    expect(hasTies(referenceSort(ALL.Messages, 'Price', 'number', false), 'Price')).toBe(true)
    expect(hasTies(referenceSort(ALL.Calls, 'CallerName', 'string', false), 'CallerName')).toBe(true)
  })

  it('ties are broken by the Sid: rows with the same Price come in Sid order', async () => {
    const { rows } = await expectSorted('Messages', 'Price', false, { pageSize: 13 })
    for (let index = 1; index < rows.length; index++) {
      const [previous, current] = [rows[index - 1]!, rows[index]!]
      if (previous.Price === current.Price) expect(String(previous.Sid) < String(current.Sid)).toBe(true)
    }
  })

  it('sortOrder defaults to ASC and is case-insensitive', async () => {
    await expectSorted('Messages', 'DateSent', false, { sortOrder: undefined })
    await expectSorted('Messages', 'DateSent', true, { sortOrder: 'desc' })
    await expectSorted('Messages', 'DateSent', false, { sortOrder: 'Asc' })
  })

  it('column names are case-insensitive, and Twilio\'s names are aliases (From for Sender)', async () => {
    await expectSorted('Messages', 'DateSent', true, { sortBy: 'datesent' })
    await expectSorted('Messages', 'Sender', false, { sortBy: 'From' })
    await expectSorted('Messages', 'Sender', true, { sortBy: 'from' })
    await expectSorted('IncomingPhoneNumbers', 'Name', false, { sortBy: 'FriendlyName', pageSize: 4 })
  })

  it('a page of 200 holds every row at once; one page of 1 at a time still yields them all in order', async () => {
    const whole = await expectSorted('Messages', 'DateSent', true, { pageSize: 200 })
    expect(whole.pages).toHaveLength(1)
    await expectSorted('Recordings', 'Duration', false, { pageSize: 1 })
  })
})

describe('sorting with conditions', () => {
  it('sorts only the matching rows, and still pushes the conditions down', async () => {
    const delivered = cmp('Status', '=', str('delivered'))
    await expectSorted('Messages', 'DateSent', true, { ref: delivered })

    const instant = ALL.Messages.map((row) => row.DateSent).filter((value): value is string => typeof value === 'string')[40]!
    const recent = cmp('DateSent', '>=', at(instant))
    const { requests, rows } = await expectSorted('Messages', 'Price', false, { ref: recent, pageSize: 5 })
    expect(rows.length).toBeGreaterThan(10)
    for (const request of requests) expect(filtersOf(request)).toEqual({ 'DateSent>': dayOf(instant) })

    const busy = and(cmp('Status', '=', str('completed')), cmp('Duration', '>', { type: 'number', value: 60 }))
    const calls = await expectSorted('Calls', 'Duration', true, { ref: busy, pageSize: 6 })
    for (const request of calls.requests) expect(filtersOf(request)).toEqual({ Status: 'completed' })
  })

  it('a condition no row matches answers one empty page', async () => {
    const answer = await listOnce(world.call, 'Messages', { conditions: "Body = 'no such body'", sortBy: 'DateSent', pageSize: 5 })
    expect(answer.rows).toEqual([])
    expect(answer.token).toBe('')
  })
})

describe('refusals', () => {
  const refused = async (query: ListQuery, field: string): Promise<string> => {
    const answer = await withoutUpstream(world, () => world.call('GET', listUrl('Messages', { pageSize: 5, ...query })))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer), JSON.stringify(query)).toEqual([field])
    return error.message
  }

  it('two sortBy columns', async () => {
    await refused({ sortBy: ['DateSent', 'Price'] }, 'sortBy')
  })

  it('an unknown column, named in the message', async () => {
    expect(await refused({ sortBy: 'Colour' }, 'sortBy')).toContain('Colour')
  })

  it('a structured column', async () => {
    expect(await refused({ sortBy: 'SubresourceUris' }, 'sortBy')).toContain('SubresourceUris')
  })

  it('a sortOrder that is neither ASC nor DESC, or one without sortBy', async () => {
    expect(await refused({ sortBy: 'DateSent', sortOrder: 'UP' }, 'sortOrder')).toContain('UP')
    await refused({ sortOrder: 'DESC' }, 'sortOrder')
    await refused({ sortBy: 'DateSent', sortOrder: ['ASC', 'DESC'] }, 'sortOrder')
  })

  describe('page tokens bound to their sort and conditions', () => {
    async function sortedToken (query: ListQuery): Promise<string> {
      const { token } = await listOnce(world.call, 'Messages', { pageSize: 5, ...query })
      expect(token).not.toBe('')
      return token
    }

    it.each([
      ['ASC used with DESC', { sortBy: 'DateSent' }, { sortBy: 'DateSent', sortOrder: 'DESC' }],
      ['DESC used with ASC', { sortBy: 'DateSent', sortOrder: 'DESC' }, { sortBy: 'DateSent' }],
      ['one column used with another', { sortBy: 'DateSent' }, { sortBy: 'Price' }],
      ['sorted used unsorted', { sortBy: 'DateSent' }, {}],
      ['unsorted used sorted', {}, { sortBy: 'DateSent' }],
      ['used with other conditions', { sortBy: 'DateSent', conditions: "Status = 'delivered'" }, { sortBy: 'DateSent', conditions: "Status = 'failed'" }],
      ['used without its conditions', { sortBy: 'DateSent', conditions: "Status = 'delivered'" }, { sortBy: 'DateSent' }]
    ] as Array<[string, ListQuery, ListQuery]>)('a token issued %s', async (_case, issued, used) => {
      const pageToken = await sortedToken(issued)
      await refused({ ...used, pageToken }, 'pageToken')
    })

    it('the same sort spelled differently (case, alias) continues the walk', async () => {
      const first = await listOnce(world.call, 'Messages', { pageSize: 5, sortBy: 'Sender', sortOrder: 'DESC' })
      const next = await listOnce(world.call, 'Messages', { pageSize: 5, sortBy: 'from', sortOrder: 'desc', pageToken: first.token })
      const reference = referenceSort(ALL.Messages, 'Sender', 'string', true)
      expect(sidsOf([...first.rows, ...next.rows])).toEqual(sidsOf(reference.slice(0, 10)))
    })
  })
})

describe('stateless pages', () => {
  let twinA: TestGateway
  let twinB: TestGateway
  beforeAll(async () => {
    // Two gateway processes sharing the page-token key, in front of the same Twilio account.
    const pageTokenKey = randomBytes(32)
    twinA = await startGateway({ sandbox: world.sandbox, config: { pageTokenKey } })
    twinB = await startGateway({ sandbox: world.sandbox, config: { pageTokenKey } })
  })
  afterAll(async () => {
    await twinA?.close()
    await twinB?.close()
  })

  it('any process can serve the next page: alternating between two processes walks every row once, in order', async () => {
    for (const query of [{ sortBy: 'Price', sortOrder: 'DESC' }, { conditions: 'NumSegments >= 1' }] as ListQuery[]) {
      const seen: string[] = []
      let token = ''
      for (let page = 0; page < 100; page++) {
        const gateway = page % 2 === 0 ? twinA : twinB
        const answer = await listOnce(gateway.call, 'Messages', { pageSize: 7, ...query, ...(token ? { pageToken: token } : {}) })
        seen.push(...sidsOf(answer.rows))
        token = answer.token
        if (token === '') break
      }
      const expected = query.sortBy ? referenceSort(ALL.Messages, 'Price', 'number', true) : ALL.Messages
      expect(seen, JSON.stringify(query)).toEqual(sidsOf(expected))
    }
  })

  it('a token of another key is refused', async () => {
    const { token } = await listOnce(twinA.call, 'Messages', { pageSize: 7, sortBy: 'Price' })
    const answer = await world.call('GET', listUrl('Messages', { pageSize: 7, sortBy: 'Price', pageToken: token }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['pageToken'])
  })
})

describe('rows deleted between sorted pages', () => {
  let changing: World
  beforeAll(async () => { changing = await startWorld({ sandbox: { seed: { calls: 10, messages: 60 } } }) })
  afterAll(async () => { await changing?.close() })

  it('the next page starts after the last (value, Sid) answered, whichever rows are gone', async () => {
    const rows = referenceSort(await allRows(changing, 'Messages'), 'DateSent', 'timestamp', false)
    const first = await listOnce(changing.call, 'Messages', { pageSize: 10, sortBy: 'DateSent' })
    expect(sidsOf(first.rows)).toEqual(sidsOf(rows.slice(0, 10)))
    // Delete the whole first page and two rows further on.
    const gone = new Set([...sidsOf(first.rows), rows[15]!.Sid as string, rows[30]!.Sid as string])
    for (const sid of gone) expect((await changing.call('DELETE', entityPath('Messages', sid))).status).toBe(200)
    const seen = [...sidsOf(first.rows)]
    let token = first.token
    while (token !== '') {
      const page = await listOnce(changing.call, 'Messages', { pageSize: 10, sortBy: 'DateSent', pageToken: token })
      seen.push(...sidsOf(page.rows))
      token = page.token
    }
    expect(seen).toEqual(sidsOf(rows).filter((sid, index) => index < 10 || !gone.has(sid)))
  })
})

describe('the bound on rows read for sorting', () => {
  let big: World
  let bigRows: Row[]
  beforeAll(async () => {
    // One row beyond the bound of 10,000 rows read from Twilio.
    big = await startWorld({ sandbox: { seed: { calls: 10, messages: 10_001 } } })
    bigRows = await allRows(big, 'Messages')
  }, 120_000)
  afterAll(async () => { await big?.close() })

  it('sorting that needs more than 10,000 rows read answers 400 FAILED_PRECONDITION asking for narrower conditions', async () => {
    expect(bigRows).toHaveLength(10_001)
    for (const query of [{ sortBy: 'DateSent' }, { sortBy: 'Price', sortOrder: 'DESC', conditions: "Body LIKE '%e%'" }] as ListQuery[]) {
      const answer = await big.call('GET', listUrl('Messages', { pageSize: 10, ...query }))
      expect(expectRpcError(answer, 400, 'FAILED_PRECONDITION').message).toMatch(/10000 rows.*narrow the conditions/)
    }
  })

  it('narrower conditions Twilio filters on sort the same data', async () => {
    const instant = bigRows.map((row) => row.DateSent).filter((value): value is string => typeof value === 'string')[400]!
    const recent = cmp('DateSent', '>=', at(instant))
    const kinds = kindsOf(entitySchema('Messages').properties)
    const reference = referenceSort(referenceSelect(bigRows, recent, kinds, big.clock.now()), 'Price', 'number', false)
    expect(reference.length).toBeGreaterThan(300)
    const result = await walk(big.call, 'Messages', { pageSize: 150, sortBy: 'Price', conditions: conditionText(recent) })
    expect(sidsOf(result.rows)).toEqual(sidsOf(reference))
  })

  it('exactly 10,000 rows read is within the bound', async () => {
    const deletable = bigRows.find((row) => row.Status === 'delivered')!
    expect((await big.call('DELETE', entityPath('Messages', deletable.Sid as string))).status).toBe(200)
    const first = await listOnce(big.call, 'Messages', { pageSize: 10, sortBy: 'DateSent', sortOrder: 'DESC' })
    const remaining = bigRows.filter((row) => row.Sid !== deletable.Sid)
    expect(sidsOf(first.rows)).toEqual(sidsOf(referenceSort(remaining, 'DateSent', 'timestamp', true).slice(0, 10)))
  })
})
