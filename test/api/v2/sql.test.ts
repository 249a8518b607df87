/**
 * `:executeSqlQuery`: the SELECT subset on one entity, answered by the List engine (push-down included), with
 * positional parameters that stay values, maxRows and LIMIT, and a 400 naming whatever is not supported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SANDBOX_PATH } from '../../helpers/gateway.js'
import { entityPath, expectEntityList, expectRpcError, startWorld, violatedFields, withoutUpstream, type World } from './support.js'

let world: World
beforeAll(async () => { world = await startWorld({ sandbox: { seed: { calls: 12, messages: 40 } } }) })
afterAll(async () => { await world.close() })

const SQL = `${SANDBOX_PATH}:executeSqlQuery`
const run = async (query: string, extra: Record<string, unknown> = {}) => world.call('POST', SQL, { query: { query, ...extra } })

async function allMessages (): Promise<Array<Record<string, any>>> {
  return expectEntityList(await world.call('GET', `${entityPath('Messages')}?pageSize=200`), 'Messages')
}

describe('SELECT', () => {
  it('answers every column of the rows the WHERE condition matches, pushing it down as List does', async () => {
    const all = await allMessages()
    const to = all[0]!.To as string
    world.clearUpstream()
    const answer = await run('SELECT * FROM Messages WHERE To = ?', { queryParameters: [{ dataType: 'VARCHAR', value: to }] })
    expect(answer.status).toBe(200)
    const expected = all.filter((row) => row.To === to)
    expect(answer.body.results.map((row: any) => row.Sid).sort()).toEqual(expected.map((row) => row.Sid).sort())
    expect(answer.body.results[0]).toEqual(expected.find((row) => row.Sid === answer.body.results[0].Sid))
    expect(world.upstream().every((request) => request.query.To === to)).toBe(true)
  })

  it('projects the named columns (case-insensitive), sorted and limited; WHERE takes Twilio\'s aliases', async () => {
    const all = await allMessages()
    const sender = all[0]!.Sender as string
    const answer = await run('select sid, sender, status from messages where From = ? order by DateSent desc limit 5', { queryParameters: [{ dataType: 'VARCHAR', value: sender }] })
    expect(answer.status).toBe(200)
    const expected = all
      .filter((row) => row.Sender === sender)
      // DESC: rows without a DateSent first (as PostgreSQL orders NULLs), then newest first, ties by Sid descending.
      .sort((a, b) => Number(b.DateSent === null) - Number(a.DateSent === null) ||
        Date.parse(b.DateSent ?? 0) - Date.parse(a.DateSent ?? 0) || (a.Sid < b.Sid ? 1 : -1))
      .slice(0, 5)
    expect(answer.body.results).toEqual(expected.map((row) => ({ Sid: row.Sid, Sender: row.Sender, Status: row.Status })))
  })

  it('takes the smaller of LIMIT and maxRows, and LIMIT as a parameter', async () => {
    expect((await run('SELECT Sid FROM Calls LIMIT 7', { maxRows: '3' })).body.results).toHaveLength(3)
    expect((await run('SELECT Sid FROM Calls LIMIT ?', { maxRows: 9, queryParameters: [{ dataType: 'INTEGER', value: 4 }] })).body.results).toHaveLength(4)
    expect((await run('SELECT Sid FROM Calls;')).body.results).toHaveLength(12)
  })

  it('keeps parameters as values: a quote in one cannot change the query', async () => {
    const answer = await run('SELECT Sid FROM Messages WHERE Body = ?', { queryParameters: [{ dataType: 'VARCHAR', value: "x' OR Sid IS NOT NULL OR Body = 'y" }] })
    expect(answer.status).toBe(200)
    expect(answer.body.results).toEqual([])
  })

  it('types numeric and boolean parameters', async () => {
    const all = await allMessages()
    const answer = await run('SELECT Sid FROM Messages WHERE NumSegments >= ? AND Sid IS NOT NULL', { queryParameters: [{ dataType: 'INTEGER', value: '2' }] })
    expect(answer.body.results.map((row: any) => row.Sid).sort()).toEqual(all.filter((row) => row.NumSegments >= 2).map((row) => row.Sid).sort())
  })
})

describe('what is not supported answers 400 INVALID_ARGUMENT naming it, sending nothing', () => {
  it.each([
    ['DELETE FROM Messages', /Only SELECT/],
    ["UPDATE Messages SET Body = ''", /Only SELECT/],
    ['SELECT * FROM Messages JOIN Calls ON Messages.Sid = Calls.Sid', /JOIN is not supported/],
    ['SELECT Status FROM Messages GROUP BY Status', /GROUP is not supported/],
    ['SELECT * FROM Messages, Calls', /FROM takes exactly one entity/],
    ['SELECT * FROM Nope', /Unknown entity Nope/],
    ['SELECT Nope FROM Messages', /Unknown column Nope/],
    ['SELECT * FROM Messages ORDER BY DateSent, Sid', /ORDER BY takes one column/],
    ['SELECT * FROM Messages WHERE Status = ', /Expected a value/],
    ['SELECT * FROM Messages WHERE Colour = \'red\'', /Unknown field Colour/],
    ['SELECT * FROM Messages LIMIT 5 WHERE Status = \'sent\'', /Clauses must come in this order/],
    ['SELECT * FROM Messages LIMIT many', /LIMIT takes a whole number/],
    ['SELECT * FROM Messages; DROP TABLE Messages', /DROP is not supported|; is not supported/],
    ['SELECT * FROM Messages WHERE Body = \'open', /Unterminated string/]
  ])('%s', async (query, message) => {
    const answer = await withoutUpstream(world, () => run(query))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(error.message).toMatch(message)
  })

  it('refuses too few or too many parameters, and a value that is not of its type', async () => {
    for (const [query, parameters, message] of [
      ['SELECT * FROM Messages WHERE To = ?', [], /more \? placeholders/],
      ['SELECT * FROM Messages WHERE To = ?', [{ value: 'a' }, { value: 'b' }], /2 queryParameters were given for 1/],
      ['SELECT * FROM Messages WHERE NumSegments = ?', [{ dataType: 'INTEGER', value: 'two' }], /not a number/],
      ['SELECT * FROM Messages WHERE To = ?', [{ dataType: 'VARCHAR', value: ['a'] }], /single value/]
    ] as const) {
      const answer = await withoutUpstream(world, () => run(query, { queryParameters: parameters }))
      expect(expectRpcError(answer, 400, 'INVALID_ARGUMENT').message).toMatch(message)
    }
  })

  it('refuses a body without a query, and a timeout out of range', async () => {
    expectRpcError(await withoutUpstream(world, () => world.call('POST', SQL, {})), 400, 'INVALID_ARGUMENT')
    const answer = await withoutUpstream(world, () => run('SELECT * FROM Calls', { timeout: '0' }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['query.timeout'])
  })
})
