/**
 * Feedback (deprecated) end to end: create (Google's payload), get, update, list by Sid condition, the Issue alias,
 * 404s that carry the deprecation note, DELETE unimplemented, validation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  entityPath, entitySchema, expectEntity, expectEntityList, expectIdsRefused, expectRpcError, expectUpstream, GOOGLE, iso, startWorld, twilioErrorInfo, violatedFields, withoutUpstream, type World
} from '../support.js'

let world: World
beforeAll(async () => { world = await startWorld() })
afterAll(async () => { await world.close() })

const path = (id?: string): string => entityPath('Feedback', id)
const list = (conditions?: string): string => conditions === undefined ? path() : `${path()}?conditions=${encodeURIComponent(conditions)}`
const DEPRECATION = entitySchema('Feedback')['x-entity'].deprecation!
const CALL = GOOGLE.callWithoutFeedback

describe('Feedback of a call that has none yet', () => {
  it('GET answers 404 NOT_FOUND whose message carries the deprecation note', async () => {
    const answer = await world.call('GET', path(CALL))
    const error = expectRpcError(answer, 404, 'NOT_FOUND')
    expect(DEPRECATION).toMatch(/^Deprecated: Twilio retired the Call Feedback API/)
    expect(error.message).toContain(DEPRECATION)
    expect(twilioErrorInfo(answer).metadata.code).toBe('20404')
  })

  it('LIST with its Sid condition answers an empty list', async () => {
    const answer = await world.call('GET', list(`Sid = '${CALL}'`))
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ entities: [], nextPageToken: '' })
  })
})

describe('Feedback CREATE, GET and UPDATE', () => {
  it('rates the call with Google\'s payload; the answer\'s fields carry the call\'s Sid', async () => {
    world.clearUpstream()
    const fields = expectEntity(await world.call('POST', path(), { fields: { Sid: CALL, QualityScore: 5 } }), 'Feedback', CALL)
    expect(fields).toEqual({
      Sid: CALL,
      AccountSid: world.sandbox.accountSid,
      QualityScore: 5,
      Issues: [],
      DateCreated: iso(world.clock.now()),
      DateUpdated: iso(world.clock.now())
    })
    expectUpstream(world, [['POST', `Calls/${CALL}/Feedback.json`, { QualityScore: '5' }]])
  })

  it('GET answers the feedback just given', async () => {
    const fields = expectEntity(await world.call('GET', path(CALL)), 'Feedback', CALL)
    expect(fields).toMatchObject({ QualityScore: 5, Issues: [] })
  })

  it('UPDATE changes the score and the issues; a later GET shows them', async () => {
    world.clock.advance(60_000)
    world.clearUpstream()
    const fields = expectEntity(await world.call('PATCH', path(CALL), { fields: { QualityScore: 2, Issues: ['dropped-call', 'one-way-audio'] } }), 'Feedback', CALL)
    expect(fields).toMatchObject({ QualityScore: 2, Issues: ['dropped-call', 'one-way-audio'], DateUpdated: iso(world.clock.now()) })
    expectUpstream(world, [['POST', `Calls/${CALL}/Feedback.json`, { QualityScore: '2', Issue: ['dropped-call', 'one-way-audio'] }]])
    expect(expectEntity(await world.call('GET', path(CALL)), 'Feedback', CALL)).toMatchObject({ QualityScore: 2, Issues: ['dropped-call', 'one-way-audio'] })
  })

  it('accepts Twilio\'s own name Issue for Issues, and both when they agree', async () => {
    for (const fields of [{ Issue: ['imperfect-audio'] }, { Issue: ['post-dial-delay'], Issues: ['post-dial-delay'] }]) {
      world.clearUpstream()
      const answer = await world.call('PATCH', path(CALL), { fields })
      expect(expectEntity(answer, 'Feedback', CALL).Issues).toEqual(fields.Issue)
      expect(world.upstream()[0]?.body).toEqual({ Issue: fields.Issue[0] })
    }
  })

  it('refuses Issue and Issues with different values', async () => {
    const answer = await withoutUpstream(world, () => world.call('PATCH', path(CALL), { fields: { Issue: ['dropped-call'], Issues: ['one-way-audio'] } }))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['fields.Issue'])
    expect(error.message).toMatch(/fields\.Issue and fields\.Issues/)
  })
})

describe('Feedback LIST', () => {
  it.each([
    ['single quotes', `Sid = '${CALL}'`],
    ['double quotes', `Sid = "${CALL}"`],
    ['a bare SID', CALL]
  ])('with the condition in %s answers exactly that call\'s feedback', async (_case, conditions) => {
    const rows = expectEntityList(await world.call('GET', list(conditions)), 'Feedback')
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ Sid: CALL, QualityScore: 2 })
  })

  it('answers an empty list for an unknown call', async () => {
    const answer = await world.call('GET', list(`Sid = 'CA00000000000000000000000000000000'`))
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ entities: [], nextPageToken: '' })
  })

  it('without conditions answers 400 FAILED_PRECONDITION explaining the Sid condition, without calling Twilio', async () => {
    const answer = await withoutUpstream(world, () => world.call('GET', path()))
    const error = expectRpcError(answer, 400, 'FAILED_PRECONDITION')
    expect(error.message).toMatch(/Sid = 'CA…'/)
  })

  it('refuses a condition that is not a call Sid', async () => {
    const answer = await withoutUpstream(world, () => world.call('GET', list(`Sid = '${GOOGLE.message}'`)))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['conditions'])
  })
})

describe('Feedback DELETE', () => {
  it('answers 501 UNIMPLEMENTED without calling Twilio', async () => {
    const answer = await withoutUpstream(world, () => world.call('DELETE', path(CALL)))
    const error = expectRpcError(answer, 501, 'UNIMPLEMENTED')
    expect(error.message).toMatch(/Feedback does not support DELETE/)
  })
})

describe('Feedback validation', () => {
  it.each([
    ['a score given as a string', { Sid: GOOGLE.deletableCall, QualityScore: '5' }, ['fields.QualityScore']],
    ['a score above 5', { Sid: GOOGLE.deletableCall, QualityScore: 7 }, ['fields.QualityScore']],
    ['a missing score', { Sid: GOOGLE.deletableCall }, ['fields.QualityScore']],
    ['a missing Sid', { QualityScore: 4 }, ['fields.Sid']],
    ['a Sid that is not a call SID', { Sid: GOOGLE.message, QualityScore: 4 }, ['fields.Sid']],
    ['an unknown issue', { Sid: GOOGLE.deletableCall, QualityScore: 4, Issues: ['static'] }, ['fields.Issues.0']],
    ['a read-only field', { Sid: GOOGLE.deletableCall, QualityScore: 4, DateCreated: '2024-01-01T00:00:00Z' }, ['fields.DateCreated']]
  ])('answers a create with %s with 400 INVALID_ARGUMENT naming the field, before calling Twilio', async (_case, fields, expected) => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), { fields }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(expected)
  })

  it('answers an update with no fields, or with the key, with 400 INVALID_ARGUMENT', async () => {
    for (const [fields, expected] of [[{}, ['fields']], [{ Sid: CALL }, ['fields.Sid']]] as const) {
      const answer = await withoutUpstream(world, () => world.call('PATCH', path(CALL), { fields }))
      expectRpcError(answer, 400, 'INVALID_ARGUMENT')
      expect(violatedFields(answer)).toEqual(expected)
    }
  })

  it('refuses ids that are not call SIDs before calling Twilio', async () => {
    await expectIdsRefused(world, 'Feedback', ['CA123', GOOGLE.message, GOOGLE.incomingPhoneNumber, 'CA%2F..%2Fx'], ['GET', 'UPDATE'], { QualityScore: 3 })
  })
})
