/**
 * Conditions on v2 List, end to end against the sandbox: what is pushed down to Twilio's list filters (read from the
 * sandbox's request log) and that the answer is exactly what a plain reference evaluation of the condition selects
 * from every row of the unfiltered list — for every push-down filter of every listing entity, Twilio's day-granular
 * date filters widened and refined to the second, OR and NOT never pushed, channel addresses not pushed, relative
 * dates on the gateway's clock, key lookups, refusals before anything goes upstream, and pages that stop early at
 * the call's upstream budget yet walk to every matching row exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../../helpers/gateway.js'
import {
  and, at, cmp, conditionText, kindsOf, not, num, or, referenceSelect, str, type Ref
} from '../../helpers/reference-filter.js'
import {
  LISTING_ENTITIES, allRows, dayOf, filtersOf, isoSeconds, listOnce, listRequests, listUrl, sidsOf, walk, type ListingEntity, type Row
} from './list-support.js'
import {
  GOOGLE, WHATSAPP_SENDER, entitySchema, expectEntityList, expectRpcError, expectUpstream, violatedFields, startWorld,
  withoutUpstream, type World
} from './support.js'

const DAY = 86_400_000
const SEED = { calls: 150, messages: 300 }

interface PushDownFilter { field: string, param: string, match: 'equals' | 'address' | 'contains' | 'day' }
const pushDownOf = (entity: ListingEntity): PushDownFilter[] =>
  ((entitySchema(entity)['x-entity'] as { pushDown?: PushDownFilter[] }).pushDown ?? [])
const kinds = (entity: ListingEntity): ReturnType<typeof kindsOf> => kindsOf(entitySchema(entity).properties)

let world: World
const ALL = {} as Record<ListingEntity, Row[]>

beforeAll(async () => {
  world = await startWorld({ sandbox: { seed: SEED }, gatewayClock: true })
  for (const entity of LISTING_ENTITIES) ALL[entity] = await allRows(world, entity)
  expect(ALL.Messages).toHaveLength(SEED.messages)
  expect(ALL.Calls).toHaveLength(SEED.calls)
})
afterAll(async () => { await world?.close() })

const expected = (entity: ListingEntity, ref: Ref): Row[] => referenceSelect(ALL[entity], ref, kinds(entity), world.clock.now())

/**
 * Walks the list with the condition (upstream log cleared first) and asserts it answers exactly the reference's
 * rows, in Twilio's order, each once. Answers the walk, the reference rows and the list requests sent upstream.
 */
async function expectSelects (entity: ListingEntity, ref: Ref, pageSize = 7, call = world.call) {
  world.clearUpstream()
  const result = await walk(call, entity, { conditions: conditionText(ref), pageSize })
  const reference = expected(entity, ref)
  expect(sidsOf(result.rows), conditionText(ref)).toEqual(sidsOf(reference))
  return { ...result, reference, requests: listRequests(world, entity) }
}

/** The most frequent non-null value of a field (ties: the first seen), among values `usable` accepts. */
function commonValue (rows: Row[], field: string, usable: (value: unknown) => boolean = () => true): unknown {
  const counts = new Map<unknown, number>()
  for (const row of rows) {
    const value = row[field]
    if (value === null || value === undefined || !usable(value)) continue
    counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  let best: unknown
  let bestCount = 0
  for (const [value, count] of counts) if (count > bestCount) [best, bestCount] = [value, count]
  return best
}

/** A mid-data row's timestamp (not at midnight) for a timestamp field. */
function midTimestamp (rows: Row[], field: string): string {
  const stamped = rows.map((row) => row[field]).filter((value): value is string => typeof value === 'string' && !value.endsWith('T00:00:00Z'))
  expect(stamped.length, `${field} has timestamps`).toBeGreaterThan(2)
  return stamped[Math.floor(stamped.length / 2)]!
}

describe('every push-down filter of every listing entity', () => {
  const cases = LISTING_ENTITIES.flatMap((entity) => pushDownOf(entity).map((filter) => [entity, filter.field, filter.param, filter] as const))

  it('covers the five listing entities, each with at least one filter', () => {
    expect(new Set(cases.map(([entity]) => entity))).toEqual(new Set(LISTING_ENTITIES))
  })

  it.each(cases.filter(([, , , filter]) => filter.match !== 'day'))('%s: %s = … sends %s and answers exactly the matching rows', async (entity, field, _param, filter) => {
    const rows = ALL[entity]
    // A channel address (whatsapp:…) is never pushed; its own test is below.
    let value = commonValue(rows, field, (candidate) => filter.match !== 'address' || !String(candidate).includes(':')) as string | undefined
    // No seeded recording belongs to a conference: a well-formed ConferenceSid must still be sent and select nothing.
    const absent = value === undefined
    if (absent) value = `${(entitySchema(entity).properties[field]!.pattern as string).slice(1, 3)}${'ab'.repeat(16)}`
    const { requests, reference } = await expectSelects(entity, cmp(field, '=', str(value!)))
    expect(requests.length).toBeGreaterThan(0)
    for (const request of requests) expect(request.query[filter.param], `${filter.param} in ${JSON.stringify(request.query)}`).toBe(value)
    if (absent) expect(reference).toEqual([])
    else expect(reference.length).toBeGreaterThan(0)
    // The filter narrowed what Twilio sent: fewer rows than the entity has (so the test tells filters from no filters).
    if (!absent && filter.match !== 'contains') expect(reference.length).toBeLessThan(rows.length)
  })

  it.each(cases.filter(([, , , filter]) => filter.match === 'day'))('%s: %s >= / < a timestamp sends %s> / < as whole UTC days and refines to the second', async (entity, field, _param, filter) => {
    const instant = midTimestamp(ALL[entity], field)
    const day = dayOf(instant)

    const after = await expectSelects(entity, cmp(field, '>=', at(instant)))
    expect(after.reference.length).toBeGreaterThan(0)
    for (const request of after.requests) expect(filtersOf(request)).toEqual({ [`${filter.param}>`]: day })

    const before = await expectSelects(entity, cmp(field, '<', at(instant)))
    expect(before.reference.length).toBeGreaterThan(0)
    for (const request of before.requests) expect(filtersOf(request)).toEqual({ [`${filter.param}<`]: day })
  })
})

describe('Twilio\'s PhoneNumber filter on IncomingPhoneNumbers matches a part of the number', () => {
  it('= still means the whole number: a part is sent, and the numbers that only contain it are refined away', async () => {
    const part = await expectSelects('IncomingPhoneNumbers', cmp('PhoneNumber', '=', str('5550142')))
    for (const request of part.requests) expect(filtersOf(request)).toEqual({ PhoneNumber: '5550142' })
    expect(part.rows).toEqual([])
    const like = await expectSelects('IncomingPhoneNumbers', { op: 'like', field: 'PhoneNumber', pattern: '%5550142', negated: false })
    expect(sidsOf(like.rows)).toEqual([GOOGLE.incomingPhoneNumber])
  })
})

describe('whole-day widening of DateSent, refined exactly', () => {
  /** A UTC day with at least three messages sent at different instants, and those instants (ms, ascending). */
  function busyDay (): { day: string, times: number[] } {
    const byDay = new Map<string, Set<number>>()
    for (const row of ALL.Messages) {
      if (typeof row.DateSent !== 'string') continue
      const day = dayOf(row.DateSent)
      byDay.set(day, (byDay.get(day) ?? new Set()).add(Date.parse(row.DateSent)))
    }
    const found = [...byDay].find(([, times]) => times.size >= 3)
    expect(found, 'a day with three messages at different instants').toBeDefined()
    return { day: found![0], times: [...found![1]].sort((a, b) => a - b) }
  }

  /** Rows of `day` the answer left out and took in. */
  function splitDay (rows: Row[], day: string, answered: Row[]): { left: number, taken: number } {
    const ofDay = rows.filter((row) => typeof row.DateSent === 'string' && dayOf(row.DateSent) === day)
    const taken = new Set(sidsOf(answered))
    return { left: ofDay.filter((row) => !taken.has(row.Sid as string)).length, taken: ofDay.filter((row) => taken.has(row.Sid as string)).length }
  }

  it('DateSent >= a mid-day instant sends DateSent> = that day and leaves out that day\'s earlier messages', async () => {
    const { day, times } = busyDay()
    const between = isoSeconds(Math.floor((times[0]! + times[1]!) / 2000) * 1000)
    expect(Date.parse(between)).toBeGreaterThan(times[0]!)
    expect(Date.parse(between)).toBeLessThan(times[1]!)
    for (const operator of ['>=', '>'] as const) {
      const result = await expectSelects('Messages', cmp('DateSent', operator, at(between)))
      for (const request of result.requests) expect(filtersOf(request)).toEqual({ 'DateSent>': day })
      const split = splitDay(ALL.Messages, day, result.rows)
      expect(split.left, 'messages of that day before the instant are left out').toBeGreaterThan(0)
      expect(split.taken, 'messages of that day after the instant are answered').toBeGreaterThan(0)
    }
  })

  it('DateSent < and <= a mid-day instant send DateSent< = that day and leave out that day\'s later messages', async () => {
    const { day, times } = busyDay()
    const between = isoSeconds(Math.floor((times[0]! + times[1]!) / 2000) * 1000)
    for (const operator of ['<', '<='] as const) {
      const result = await expectSelects('Messages', cmp('DateSent', operator, at(between)))
      for (const request of result.requests) expect(filtersOf(request)).toEqual({ 'DateSent<': day })
      const split = splitDay(ALL.Messages, day, result.rows)
      expect(split.left).toBeGreaterThan(0)
      expect(split.taken).toBeGreaterThan(0)
    }
    // <= includes the instant itself, < does not.
    const second = isoSeconds(times[1]!)
    const inclusive = await expectSelects('Messages', cmp('DateSent', '<=', at(second)), 50)
    const exclusive = await expectSelects('Messages', cmp('DateSent', '<', at(second)), 50)
    expect(inclusive.rows.length).toBeGreaterThan(exclusive.rows.length)
  })

  it('DateSent = an instant sends both bounds of its day and answers only the messages sent at that second', async () => {
    const { day, times } = busyDay()
    const result = await expectSelects('Messages', cmp('DateSent', '=', at(isoSeconds(times[1]!))))
    for (const request of result.requests) expect(filtersOf(request)).toEqual({ 'DateSent>': day, 'DateSent<': day })
    expect(result.rows.length).toBeGreaterThan(0)
    for (const row of result.rows) expect(row.DateSent).toBe(isoSeconds(times[1]!))
  })

  it('a range (>= one instant AND < another) sends both days; the tighter of two lower bounds wins', async () => {
    const { day, times } = busyDay()
    const from = isoSeconds(Math.floor((times[0]! + times[1]!) / 2000) * 1000)
    const to = isoSeconds(Date.parse(from) + 3 * DAY + 5 * 3_600_000)
    const range = await expectSelects('Messages', and(cmp('DateSent', '>=', at(from)), cmp('DateSent', '<', at(to))))
    for (const request of range.requests) expect(filtersOf(request)).toEqual({ 'DateSent>': day, 'DateSent<': dayOf(to) })
    expect(range.rows.length).toBeGreaterThan(0)

    const loose = isoSeconds(Date.parse(`${day}T00:00:00Z`) - 10 * DAY)
    const tighter = await expectSelects('Messages', and(cmp('DateSent', '>=', at(loose)), cmp('DateSent', '>', at(from)), cmp('DateSent', '<=', at(to))))
    for (const request of tighter.requests) expect(filtersOf(request)).toEqual({ 'DateSent>': day, 'DateSent<': dayOf(to) })
  })

  it('a bound at midnight UTC is exact: Twilio\'s pages are the caller\'s pages; a mid-day bound reads larger pages and refines', async () => {
    const { day } = busyDay()
    const exact = await expectSelects('Messages', cmp('DateSent', '>=', at(day)), 7)
    for (const request of exact.requests) expect(request.query['DateSent>']).toBe(day)
    expect(exact.requests[0]!.query.PageSize).toBe('7')

    const previous = new Date(Date.parse(`${day}T00:00:00Z`) - DAY).toISOString().slice(0, 10)
    const before = await expectSelects('Messages', cmp('DateSent', '<', at(`${day}T00:00:00Z`)), 7)
    for (const request of before.requests) expect(filtersOf(request)).toEqual({ 'DateSent<': previous })
    expect(before.requests[0]!.query.PageSize).toBe('7')

    const widened = await expectSelects('Messages', cmp('DateSent', '>=', at(`${day}T12:00:00Z`)), 7)
    expect(Number(widened.requests[0]!.query.PageSize)).toBeGreaterThan(7)
  })

  it('a timestamp with an offset is converted to UTC before its day is chosen', async () => {
    const { day } = busyDay()
    const previous = new Date(Date.parse(`${day}T00:00:00Z`) - DAY).toISOString().slice(0, 10)
    // 01:00 at +02:00 is 23:00 UTC the day before.
    const result = await expectSelects('Messages', cmp('DateSent', '>=', at(`${day}T01:00:00+02:00`)))
    for (const request of result.requests) expect(filtersOf(request)).toEqual({ 'DateSent>': previous })
  })

  it('messages without DateSent (failed ones) are never selected by a DateSent comparison, nor by its negation', async () => {
    const unsent = ALL.Messages.filter((row) => row.DateSent === null)
    expect(unsent.length).toBeGreaterThan(0)
    const { day } = busyDay()
    const either = await expectSelects('Messages', or(cmp('DateSent', '>=', at(day)), not(cmp('DateSent', '>=', at(day)))), 50)
    expect(either.rows).toHaveLength(ALL.Messages.length - unsent.length)
    await expectSelects('Messages', { op: 'isNull', field: 'DateSent', negated: false }, 50)
  })
})

describe('OR and NOT are never pushed down', () => {
  const someTo = (): string => commonValue(ALL.Messages, 'To', (value) => !String(value).includes(':')) as string

  it('To = x OR Status = \'delivered\' sends no To filter and answers the union', async () => {
    const to = someTo()
    const ref = or(cmp('To', '=', str(to)), cmp('Status', '=', str('delivered')))
    const result = await expectSelects('Messages', ref)
    for (const request of result.requests) expect(filtersOf(request)).toEqual({})
    const toOnly = expected('Messages', cmp('To', '=', str(to)))
    const deliveredOnly = expected('Messages', cmp('Status', '=', str('delivered')))
    expect(toOnly.length).toBeGreaterThan(0)
    expect(result.rows.length).toBeGreaterThan(deliveredOnly.length)
    expect(result.rows.length).toBeGreaterThanOrEqual(toOnly.length)
  })

  it('NOT (To = x), To != x and To NOT IN (x) send nothing', async () => {
    const to = someTo()
    for (const ref of [not(cmp('To', '=', str(to))), cmp('To', '!=', str(to)), cmp('To', '<>', str(to)),
      { op: 'in', field: 'To', values: [str(to)], negated: true } satisfies Ref]) {
      const result = await expectSelects('Messages', ref, 50)
      for (const request of result.requests) expect(filtersOf(request)).toEqual({})
      expect(result.rows.length).toBeGreaterThan(0)
    }
  })

  it('an AND term beside an OR is still pushed; an OR of ANDs is not', async () => {
    const to = someTo()
    const inside = await expectSelects('Messages', and(cmp('To', '=', str(to)), or(cmp('Status', '=', str('delivered')), cmp('Status', '=', str('received')))))
    for (const request of inside.requests) expect(filtersOf(request)).toEqual({ To: to })

    const [other] = ALL.Messages.map((row) => row.To as string).filter((value) => value !== to && !value.includes(':'))
    const across = await expectSelects('Messages', or(and(cmp('To', '=', str(to)), cmp('Status', '=', str('delivered'))), cmp('To', '=', str(other!))))
    for (const request of across.requests) expect(filtersOf(request)).toEqual({})
  })

  it('IN with one value is pushed like =; with several it is not', async () => {
    const one = await expectSelects('Calls', { op: 'in', field: 'Status', values: [str('busy')], negated: false })
    for (const request of one.requests) expect(filtersOf(request)).toEqual({ Status: 'busy' })
    expect(one.rows.length).toBeGreaterThan(0)
    const two = await expectSelects('Calls', { op: 'in', field: 'Status', values: [str('busy'), str('failed')], negated: false })
    for (const request of two.requests) expect(filtersOf(request)).toEqual({})
    expect(two.rows.length).toBeGreaterThan(one.rows.length)
  })

  it('a value Twilio would refuse (not one of Status\'s values) is not sent, and selects nothing', async () => {
    const result = await expectSelects('Calls', cmp('Status', '=', str('on-hold')))
    for (const request of result.requests) expect(filtersOf(request)).toEqual({})
    expect(result.rows).toEqual([])
  })
})

describe('channel addresses', () => {
  it('To / From = \'whatsapp:+1…\' is not pushed to Twilio and still answers exactly the WhatsApp messages', async () => {
    const whatsappTo = ALL.Messages.filter((row) => String(row.To).startsWith('whatsapp:'))
    expect(whatsappTo.length, 'the seed has WhatsApp messages').toBeGreaterThan(0)
    for (const ref of [
      cmp('To', '=', str(WHATSAPP_SENDER)),
      cmp('Sender', '=', str(WHATSAPP_SENDER), 'From'),
      cmp('To', '=', str(commonValue(ALL.Messages, 'To', (value) => String(value).startsWith('whatsapp:') && value !== WHATSAPP_SENDER) as string)),
      { op: 'in', field: 'Sender', spelling: 'From', values: [str(WHATSAPP_SENDER)], negated: false } satisfies Ref
    ]) {
      const result = await expectSelects('Messages', ref)
      expect(result.rows.length, conditionText(ref)).toBeGreaterThan(0)
      for (const request of result.requests) expect(filtersOf(request)).toEqual({})
    }
  })

  it('beside a channel address, a date term is still pushed', async () => {
    const { DateSent: sent } = ALL.Messages.find((row) => row.To === WHATSAPP_SENDER && typeof row.DateSent === 'string')!
    const day = dayOf(sent as string)
    const result = await expectSelects('Messages', and(cmp('To', '=', str(WHATSAPP_SENDER)), cmp('DateSent', '>=', at(day))))
    expect(result.rows.length).toBeGreaterThan(0)
    for (const request of result.requests) expect(filtersOf(request)).toEqual({ 'DateSent>': day })
  })
})

describe('names and aliases', () => {
  it('field names are case-insensitive and Twilio\'s names (From, FriendlyName) are aliases that push the same filter', async () => {
    const sender = commonValue(ALL.Messages, 'Sender', (value) => !String(value).includes(':')) as string
    for (const spelling of ['From', 'from', 'SENDER', 'sender']) {
      const result = await expectSelects('Messages', cmp('Sender', '=', str(sender), spelling))
      expect(result.rows.length).toBeGreaterThan(0)
      for (const request of result.requests) expect(filtersOf(request)).toEqual({ From: sender })
    }
    const result = await expectSelects('IncomingPhoneNumbers', cmp('Name', '=', { type: 'string', value: 'Sales', quote: '"' }, 'friendlyname'))
    expect(sidsOf(result.rows)).toHaveLength(1)
    for (const request of result.requests) expect(filtersOf(request)).toEqual({ FriendlyName: 'Sales' })
  })
})

describe('relative dates on the gateway\'s clock', () => {
  it('TODAY() - N and NOW() - N are anchored at the clock of the call, in UTC', async () => {
    const start = world.clock.now()
    try {
      const today = new Date(start).toISOString().slice(0, 10)
      const weekAgo = new Date(Date.parse(today) - 7 * DAY).toISOString().slice(0, 10)
      const lastWeek = await expectSelects('Messages', cmp('DateSent', '>=', { type: 'relative', base: 'TODAY', days: -7 }))
      for (const request of lastWeek.requests) expect(filtersOf(request)).toEqual({ 'DateSent>': weekAgo })
      expect(lastWeek.rows.length).toBeGreaterThan(0)

      const nowBased = await expectSelects('Messages', cmp('DateSent', '>=', { type: 'relative', base: 'NOW', days: -7 }))
      for (const request of nowBased.requests) expect(filtersOf(request)).toEqual({ 'DateSent>': dayOf(isoSeconds(start - 7 * DAY)) })
      expect(nowBased.rows.length).toBeLessThanOrEqual(lastWeek.rows.length)

      const older = cmp('DateSent', '<', { type: 'relative', base: 'NOW', days: -30 })
      const before = await expectSelects('Messages', older)
      for (const request of before.requests) expect(filtersOf(request)).toEqual({ 'DateSent<': dayOf(isoSeconds(start - 30 * DAY)) })

      // Three days later the same text means three days later.
      world.clock.advance(3 * DAY)
      const later = await expectSelects('Messages', older)
      for (const request of later.requests) expect(filtersOf(request)).toEqual({ 'DateSent<': dayOf(isoSeconds(start - 27 * DAY)) })
      expect(later.rows.length).toBeGreaterThan(before.rows.length)
      const laterWeek = await expectSelects('Messages', cmp('DateSent', '>=', { type: 'relative', base: 'TODAY', days: -7 }))
      expect(laterWeek.rows.length).toBeLessThan(lastWeek.rows.length)
    } finally {
      world.clock.advance(start - world.clock.now())
    }
  })
})

describe('key lookups', () => {
  const path = (entity: string, sid: string): string => `${entity}/${sid}.json`

  it('Sid = … AND the rest answers the row only when the rest matches, with one Get upstream', async () => {
    const cases: Array<[string, boolean]> = [
      [`Sid = '${GOOGLE.message}' AND Status = 'delivered'`, true],
      [`Sid = '${GOOGLE.message}' AND Status = 'failed'`, false],
      [`sid = '${GOOGLE.message}' AND DateSent >= '2024-01-01T03:04:05Z'`, true],
      [`Status = 'delivered' AND Sid = '${GOOGLE.message}' AND DateSent > '2024-01-01T03:04:05Z'`, false],
      [`Sid = '${GOOGLE.message}' AND (Body LIKE '%appointment%' OR Body IS NULL)`, true],
      [`Sid = '${GOOGLE.message}' AND NOT (Body LIKE '%appointment%')`, false]
    ]
    for (const [conditions, found] of cases) {
      world.clearUpstream()
      const answer = await world.call('GET', listUrl('Messages', { conditions }))
      expect(sidsOf(expectEntityList(answer, 'Messages')), conditions).toEqual(found ? [GOOGLE.message] : [])
      expect(answer.body.nextPageToken).toBe('')
      expectUpstream(world, [['GET', path('Messages', GOOGLE.message)]])
    }
  })

  it('works for calls with Twilio\'s alias, and a bare Sid means Sid = …', async () => {
    world.clearUpstream()
    const { rows } = await listOnce(world.call, 'Calls', { conditions: `Sid = '${GOOGLE.deletableCall}' AND From = '+15005550006'` })
    expect(sidsOf(rows)).toEqual([GOOGLE.deletableCall])
    expectUpstream(world, [['GET', path('Calls', GOOGLE.deletableCall)]])
    world.clearUpstream()
    const bare = await listOnce(world.call, 'Recordings', { conditions: ` ${GOOGLE.recording} ` })
    expect(sidsOf(bare.rows)).toEqual([GOOGLE.recording])
    expectUpstream(world, [['GET', path('Recordings', GOOGLE.recording)]])
  })

  it('refuses a malformed Sid in any Sid = … term, whatever the order of the terms', async () => {
    for (const conditions of [`Sid = 'zz' AND Sid = '${GOOGLE.message}'`, `Sid = '${GOOGLE.message}' AND Sid = 'zz'`]) {
      const answer = await withoutUpstream(world, () => world.call('GET', listUrl('Messages', { conditions })))
      expect(expectRpcError(answer, 400, 'INVALID_ARGUMENT').message, conditions).toContain("'zz' is not a well-formed Messages Sid")
    }
  })

  it('a Sid inside an OR is no key lookup: the list is read and the union answered', async () => {
    const ref = or(cmp('Sid', '=', str(GOOGLE.message)), cmp('Status', '=', str('failed')))
    const result = await expectSelects('Messages', ref)
    expect(result.requests.length).toBeGreaterThan(0)
    expect(sidsOf(result.rows)).toContain(GOOGLE.message)
    expect(result.rows.length).toBeGreaterThan(1)
  })
})

describe('refusals name the position or the field, and send nothing upstream', () => {
  const refused = async (entity: ListingEntity, conditions: string): Promise<string> => {
    const answer = await withoutUpstream(world, () => world.call('GET', listUrl(entity, { conditions })))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['conditions'])
    return error.message
  }

  it.each([
    ["Status = 'delivered' AND", 'position 25'],
    ["Status = 'delivered", 'position 10'],
    ["(Status = 'delivered'", 'position 22'],
    ["Status == 'delivered'", 'position 9'],
    ["Status = 'delivered' To = 'x'", 'position 22'],
    ['DateSent > TODAY - 1', 'position 18'],
    ['Status ~ 1', 'position 8']
  ])('syntax: %s → %s', async (conditions, position) => {
    expect(await refused('Messages', conditions)).toContain(position)
  })

  it.each([
    ['Messages', "Colour = 'red'", 'Colour'],
    ['Messages', "Status = 'delivered' AND Recipient = 'x'", 'Recipient'],
    ['Calls', "FriendlyName = 'x'", 'FriendlyName'],
    ['Messages', "NumSegments = 'two'", 'NumSegments'],
    ['Messages', "DateSent >= 'last tuesday'", 'DateSent'],
    ['Messages', 'Status = 5', 'Status'],
    ['Calls', "Duration LIKE '1%'", 'Duration'],
    ['IncomingPhoneNumbers', 'Beta > TRUE', 'Beta'],
    ['IncomingPhoneNumbers', "Capabilities = 'voice'", 'Capabilities'],
    ['Messages', 'ErrorCode = NULL', 'ErrorCode'],
    ['Messages', "Sid = 'SM123'", 'SM123']
  ] as const)('%s: %s names %s', async (entity, conditions, named) => {
    expect(await refused(entity, conditions)).toContain(named)
  })
})

describe('pages that stop at the call\'s upstream budget', () => {
  let lean: TestGateway
  beforeAll(async () => {
    // 5 upstream requests per call: with 4 attempts kept in reserve for each request, a page reads 2 of Twilio's pages.
    lean = await startGateway({ sandbox: world.sandbox, config: { callLimits: { budget: 5 } } })
  })
  afterAll(async () => { await lean?.close() })

  it('a condition matching rows spread thinly answers short pages with a token, and the walk yields every match once', async () => {
    // A call reads Twilio's rows 0-39 (pages of 8 and 32), the next 40-79, …: row 40 is the first one after a stop.
    const spread = [10, 40, 150, 290].map((index) => ALL.Messages[index]!.Sid as string)
    const conditions = `Sid IN (${spread.map((sid) => `'${sid}'`).join(', ')})`
    const pages: Array<{ rows: string[], token: string, requests: number }> = []
    let token = ''
    for (let page = 0; page < 50; page++) {
      world.clearUpstream()
      const answer = await listOnce(lean.call, 'Messages', { conditions, pageSize: 2, ...(token ? { pageToken: token } : {}) })
      pages.push({ rows: sidsOf(answer.rows), token: answer.token, requests: listRequests(world, 'Messages').length })
      token = answer.token
      if (token === '') break
    }
    expect(token).toBe('')
    expect(pages.flatMap((page) => page.rows)).toEqual(spread)
    // The first page found one match before its budget ran out: fewer rows than asked, and a token to go on; the
    // next page starts with the row right after the last one read.
    expect(pages[0]).toMatchObject({ rows: [spread[0]], requests: 2 })
    expect(pages[0]!.token).not.toBe('')
    expect(pages[1]).toMatchObject({ rows: [spread[1]], requests: 2 })
    expect(pages.filter((page) => page.token !== '' && page.rows.length < 2).length).toBeGreaterThan(1)
    for (const page of pages) expect(page.requests).toBeLessThanOrEqual(2)
  })

  it('a selective condition walked under the small budget answers exactly the reference rows', async () => {
    for (const ref of [
      cmp('Body', '=', str('STOP')),
      and(cmp('Direction', '=', str('inbound')), cmp('Price', '<', num(-0.006)), { op: 'like', field: 'Body', pattern: 'Can you%', negated: false } satisfies Ref),
      or(cmp('Status', '=', str('failed')), { op: 'like', field: 'Body', pattern: '%code%', negated: false } satisfies Ref)
    ]) {
      const result = await expectSelects('Messages', ref, 3, lean.call)
      expect(result.reference.length).toBeGreaterThan(0)
    }
  })
})

describe('pages that stop after 10 of Twilio\'s pages', () => {
  let big: World
  let bigRows: Row[]
  beforeAll(async () => {
    big = await startWorld({ sandbox: { seed: { calls: 10, messages: 8_000 } } })
    bigRows = await allRows(big, 'Messages')
  }, 120_000)
  afterAll(async () => { await big?.close() })

  it('reads at most 10 upstream pages per call: a page may come back empty with a token, and the walk still finds every match', async () => {
    const wanted = [7_000, 7_900].map((index) => bigRows[index]!.Sid as string)
    const conditions = `Sid IN ('${wanted[0]}', '${wanted[1]}')`
    big.clearUpstream()
    const first = await listOnce(big.call, 'Messages', { conditions, pageSize: 1 })
    expect(first.rows).toEqual([])
    expect(first.token).not.toBe('')
    expect(listRequests(big, 'Messages')).toHaveLength(10)
    const result = await walk(big.call, 'Messages', { conditions, pageSize: 1 })
    expect(sidsOf(result.rows)).toEqual(wanted)
  })
})

describe('edge values', () => {
  it('LIKE\'s _ is one character, also one outside the Basic Multilingual Plane (an emoji)', async () => {
    const withEmoji = ALL.Messages.filter((row) => typeof row.Body === 'string' && /\p{Extended_Pictographic}$/u.test(row.Body))
    expect(withEmoji.length, 'the seed has message bodies ending in an emoji').toBeGreaterThan(0)
    const result = await expectSelects('Messages', { op: 'like', field: 'Body', pattern: '%room. _', negated: false }, 50)
    expect(sidsOf(result.rows)).toEqual(sidsOf(withEmoji.filter((row) => String(row.Body).includes('room.'))))
    expect(result.rows.length).toBeGreaterThan(0)
    // Two code units are still one character: __ does not match it.
    const two = await expectSelects('Messages', { op: 'like', field: 'Body', pattern: '%room. __', negated: false }, 50)
    expect(two.rows).toEqual([])
  })

  it('IS [NOT] NULL applies to structured fields (the only test that does)', async () => {
    const some = await expectSelects('IncomingPhoneNumbers', { op: 'isNull', field: 'Capabilities', negated: true })
    expect(some.rows).toHaveLength(ALL.IncomingPhoneNumbers.length)
    const none = await expectSelects('Calls', or({ op: 'isNull', field: 'SubresourceUris', negated: false }, cmp('Status', '=', str('busy'))))
    expect(none.rows.length).toBeGreaterThan(0)
    expect(none.rows.every((row) => row.Status === 'busy')).toBe(true)
  })

  it('a relative date beyond the calendar is refused naming the field, not answered with a 500', async () => {
    for (const conditions of ['DateSent > TODAY() + 10000000000', 'DateSent < NOW() - 1e400', 'DateSent IN (TODAY() + 1e12)']) {
      const answer = await withoutUpstream(world, () => world.call('GET', listUrl('Messages', { conditions })))
      expect(expectRpcError(answer, 400, 'INVALID_ARGUMENT').message, conditions).toContain('DateSent')
      expect(violatedFields(answer)).toEqual(['conditions'])
    }
  })

  it('a date that is not on the calendar (February 30th) is refused naming the field', async () => {
    for (const conditions of ["DateSent >= '2023-02-30'", "DateSent < '2023-11-31T10:00:00Z'"]) {
      const answer = await withoutUpstream(world, () => world.call('GET', listUrl('Messages', { conditions })))
      expect(expectRpcError(answer, 400, 'INVALID_ARGUMENT').message, conditions).toContain('DateSent')
    }
  })

  it('bounds at the ends of the calendar (years 0001 and 9999) are sent to Twilio as they are; beyond them, refused', async () => {
    const sent = ALL.Messages.filter((row) => row.DateSent !== null).length
    const late = await expectSelects('Messages', cmp('DateSent', '<', at('9999-12-31T23:59:59Z')), 200)
    expect(late.rows).toHaveLength(sent)
    for (const request of late.requests) expect(filtersOf(request)).toEqual({ 'DateSent<': '9999-12-31' })
    const early = await expectSelects('Messages', cmp('DateSent', '>=', at('0001-01-01')), 200)
    expect(early.rows).toHaveLength(sent)
    for (const request of early.requests) expect(filtersOf(request)).toEqual({ 'DateSent>': '0001-01-01' })
    // 23:59:59 at -14:00 on 9999-12-31 is already the year 10000 in UTC.
    for (const conditions of ["DateSent < '9999-12-31T23:59:59-14:00'", "DateSent > '0001-01-01T00:00:00+01:00'"]) {
      const answer = await withoutUpstream(world, () => world.call('GET', listUrl('Messages', { conditions })))
      expect(expectRpcError(answer, 400, 'INVALID_ARGUMENT').message, conditions).toContain('DateSent')
    }
  })
})

describe('rows deleted between pages', () => {
  let changing: World
  beforeAll(async () => { changing = await startWorld({ sandbox: { seed: { calls: 10, messages: 120 } } }) })
  afterAll(async () => { await changing?.close() })

  it('deleting the rows of each page before asking for the next (a clean-up job) skips none of the others', async () => {
    const ref = cmp('NumSegments', '>=', num(1))
    const before = referenceSelect(await allRows(changing, 'Messages'), ref, kinds('Messages'), changing.clock.now())
    expect(before.length).toBeGreaterThan(40)
    const seen: string[] = []
    let token = ''
    for (let page = 0; page < 200; page++) {
      const { rows, token: next } = await listOnce(changing.call, 'Messages', { conditions: conditionText(ref), pageSize: 5, ...(token ? { pageToken: token } : {}) })
      seen.push(...sidsOf(rows))
      for (const sid of sidsOf(rows)) expect((await changing.call('DELETE', `${listUrl('Messages').split('?')[0]}/${sid}`)).status).toBe(200)
      token = next
      if (token === '') break
    }
    expect(token).toBe('')
    expect(seen).toEqual(sidsOf(before))
  })
})
