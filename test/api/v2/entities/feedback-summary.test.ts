/**
 * FeedbackSummary (deprecated) end to end: create (Google's payload), get while queued and once completed (by the
 * sandbox's clock), delete, 404s with the deprecation note, LIST and UPDATE unimplemented, validation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  accountPath, entityPath, entitySchema, expectDeleted, expectEntity, expectIdsRefused, expectRpcError, expectUpstream, GOOGLE, iso, startWorld, twilioErrorInfo, violatedFields, withoutUpstream, type World
} from '../support.js'

let world: World
beforeAll(async () => { world = await startWorld() })
afterAll(async () => { await world.close() })

const path = (id?: string): string => entityPath('FeedbackSummary', id)
const DEPRECATION = entitySchema('FeedbackSummary')['x-entity'].deprecation!

describe('FeedbackSummary of Google\'s page', () => {
  let sid: string

  it('CREATE with {"StartDate":"2014-06-01","EndDate":"2014-06-04"} answers a queued summary whose Sid starts FS', async () => {
    world.clearUpstream()
    const fields = expectEntity(await world.call('POST', path(), { fields: { StartDate: '2014-06-01', EndDate: '2014-06-04' } }), 'FeedbackSummary')
    sid = fields.Sid as string
    expect(sid).toMatch(/^FS[0-9a-f]{32}$/)
    expect(fields).toEqual({
      Sid: sid,
      AccountSid: world.sandbox.accountSid,
      StartDate: '2014-06-01',
      EndDate: '2014-06-04',
      IncludeSubaccounts: false,
      Status: 'queued',
      CallCount: null,
      CallFeedbackCount: null,
      QualityScoreAverage: null,
      QualityScoreMedian: null,
      QualityScoreStandardDeviation: null,
      Issues: null,
      DateCreated: iso(world.clock.now()),
      DateUpdated: iso(world.clock.now())
    })
    expectUpstream(world, [['POST', 'Calls/FeedbackSummary.json', { StartDate: '2014-06-01', EndDate: '2014-06-04' }]])
  })

  it('GET shows it queued, then completed 2 s later (no calls in 2014: zero counts, no averages)', async () => {
    expect(expectEntity(await world.call('GET', path(sid)), 'FeedbackSummary', sid).Status).toBe('queued')
    world.clock.advance(2000)
    world.clearUpstream()
    const fields = expectEntity(await world.call('GET', path(sid)), 'FeedbackSummary', sid)
    expect(fields).toMatchObject({ Status: 'completed', CallCount: 0, CallFeedbackCount: 0, QualityScoreAverage: null, Issues: [] })
    expect(accountPath(world.upstream()[0]!, world.sandbox.accountSid)).toBe(`Calls/FeedbackSummary/${sid}.json`)
  })

  it('DELETE answers {}; a later GET is 404 NOT_FOUND with the deprecation note', async () => {
    await expectDeleted(world, path(sid), `Calls/FeedbackSummary/${sid}.json`)
    const gone = await world.call('GET', path(sid))
    expect(expectRpcError(gone, 404, 'NOT_FOUND').message).toContain(DEPRECATION)
  })
})

describe('FeedbackSummary over the seeded calls', () => {
  it('completes with typed statistics: integer counts, numeric averages, issues as objects', async () => {
    const created = expectEntity(await world.call('POST', path(), {
      fields: { StartDate: '2023-10-01', EndDate: '2024-01-02', IncludeSubaccounts: true }
    }), 'FeedbackSummary')
    expect(created.IncludeSubaccounts).toBe(true)
    world.clock.advance(2000)
    const fields = expectEntity(await world.call('GET', path(created.Sid as string)), 'FeedbackSummary')
    expect(fields.Status).toBe('completed')
    expect(Number.isInteger(fields.CallCount)).toBe(true)
    expect(fields.CallCount as number).toBeGreaterThan(0)
    expect(Number.isInteger(fields.CallFeedbackCount)).toBe(true)
    expect(fields.CallFeedbackCount as number).toBeGreaterThan(0)
    expect(fields.QualityScoreAverage as number).toBeGreaterThanOrEqual(1)
    expect(fields.QualityScoreAverage as number).toBeLessThanOrEqual(5)
    expect(typeof fields.QualityScoreMedian).toBe('number')
    expect(typeof fields.QualityScoreStandardDeviation).toBe('number')
    for (const issue of fields.Issues as unknown[]) {
      expect(issue).toEqual({ description: expect.any(String), count: expect.any(Number), percentage_of_total_calls: expect.stringMatching(/^\d+\.\d{2}%$/) })
    }
  })
})

describe('FeedbackSummary errors', () => {
  it('GET of an unknown summary answers 404 NOT_FOUND carrying the deprecation note and Twilio\'s error', async () => {
    const answer = await world.call('GET', path('FS00000000000000000000000000000000'))
    const error = expectRpcError(answer, 404, 'NOT_FOUND')
    expect(error.message).toContain(DEPRECATION)
    expect(twilioErrorInfo(answer).metadata.code).toBe('20404')
  })

  it('LIST answers 501 UNIMPLEMENTED without calling Twilio', async () => {
    const answer = await withoutUpstream(world, () => world.call('GET', path()))
    expect(expectRpcError(answer, 501, 'UNIMPLEMENTED').message).toMatch(/FeedbackSummary does not support LIST/)
  })

  it('UPDATE answers 501 UNIMPLEMENTED without calling Twilio', async () => {
    const answer = await withoutUpstream(world, () => world.call('PATCH', path('FS00000000000000000000000000000000'), { fields: { EndDate: '2014-06-05' } }))
    expect(expectRpcError(answer, 501, 'UNIMPLEMENTED').message).toMatch(/FeedbackSummary does not support UPDATE/)
  })

  it.each([
    ['a date that is not a date', { StartDate: '2014-13-45', EndDate: '2014-06-04' }, ['fields.StartDate']],
    ['a missing EndDate', { StartDate: '2014-06-01' }, ['fields.EndDate']],
    ['a boolean given as a string', { StartDate: '2014-06-01', EndDate: '2014-06-04', IncludeSubaccounts: 'yes' }, ['fields.IncludeSubaccounts']],
    ['a read-only field', { StartDate: '2014-06-01', EndDate: '2014-06-04', Status: 'completed' }, ['fields.Status']]
  ])('answers a create with %s with 400 INVALID_ARGUMENT naming the field, before calling Twilio', async (_case, fields, expected) => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), { fields }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(expected)
  })

  it('refuses ids that are not FeedbackSummary SIDs before calling Twilio', async () => {
    await expectIdsRefused(world, 'FeedbackSummary', ['FS123', GOOGLE.deletableCall, 'FS%2F..%2Fx'], ['GET', 'DELETE'])
  })
})
