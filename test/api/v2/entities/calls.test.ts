/** Calls end to end: list, get, create, update (hang up), delete (Google's call), aliases, validation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  entityPath, expectDeleted, expectEntity, expectEntityList, expectIdsRefused, expectRpcError, expectUpstream, GOOGLE, iso, OWNED_NUMBER, startWorld, violatedFields, withoutUpstream, type World
} from '../support.js'

let world: World
beforeAll(async () => { world = await startWorld() })
afterAll(async () => { await world.close() })

const path = (id?: string): string => entityPath('Calls', id)
const VOICE_URL = 'https://demo.twilio.com/docs/voice.xml'

describe('Calls LIST and GET', () => {
  it('lists typed rows with their entity names and every field of the schema', async () => {
    const rows = expectEntityList(await world.call('GET', path()), 'Calls')
    expect(rows).toHaveLength(25)
    const created = rows.map((row) => row.DateCreated as string)
    expect([...created].sort().reverse()).toEqual(created)
    const completed = rows.filter((row) => row.Status === 'completed')
    expect(completed.length).toBeGreaterThan(0)
    for (const row of completed) {
      expect(typeof row.Duration).toBe('number')
      expect(typeof row.Price).toBe('number')
      expect(row.EndTime).toMatch(/Z$/)
    }
  })

  it('gets the completed call of Google\'s page with typed values', async () => {
    const fields = expectEntity(await world.call('GET', path(GOOGLE.deletableCall)), 'Calls', GOOGLE.deletableCall)
    expect(fields).toMatchObject({
      Status: 'completed',
      Direction: 'outbound-api',
      Sender: OWNED_NUMBER,
      FromFormatted: '(500) 555-0006',
      To: '+14155550123',
      ToFormatted: '(415) 555-0123',
      Duration: 42,
      Price: -0.014,
      PriceUnit: 'USD',
      ParentCallSid: null,
      ApiVersion: '2010-04-01'
    })
    expect(typeof fields.QueueTime).toBe('number')
    expect(Date.parse(fields.EndTime as string) - Date.parse(fields.StartTime as string)).toBe(42_000)
    expect(fields.SubresourceUris).toMatchObject({
      recordings: expect.stringMatching(/\/Calls\/CAaa4a99c300bd9d1bcc0d1ae9dcd248c6\/Recordings\.json$/)
    })
  })
})

describe('Calls CREATE and UPDATE', () => {
  let sid: string

  it('places a call: Sender travels as From, the answer is the queued call', async () => {
    world.clearUpstream()
    const now = world.clock.now()
    const fields = expectEntity(await world.call('POST', path(), {
      fields: { To: '+14155550100', Sender: OWNED_NUMBER, Url: VOICE_URL, Timeout: 30, Record: false, StatusCallbackEvent: ['initiated', 'answered'] }
    }), 'Calls')
    sid = fields.Sid as string
    expect(fields).toMatchObject({
      Sid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      Status: 'queued',
      To: '+14155550100',
      Sender: OWNED_NUMBER,
      Direction: 'outbound-api',
      DateCreated: iso(now),
      StartTime: null,
      Duration: null,
      Price: null
    })
    expectUpstream(world, [['POST', 'Calls.json', {
      To: '+14155550100', From: OWNED_NUMBER, Url: VOICE_URL, Timeout: '30', Record: 'false', StatusCallbackEvent: ['initiated', 'answered']
    }]])
  })

  it('hangs up the call once it is in progress, and Twilio then has it completed', async () => {
    world.clock.advance(5000)
    world.clearUpstream()
    const fields = expectEntity(await world.call('PATCH', path(sid), { fields: { Status: 'completed' } }), 'Calls', sid)
    expect(fields).toMatchObject({ Status: 'completed', EndTime: iso(world.clock.now()), Price: -0.014 })
    expect(typeof fields.Duration).toBe('number')
    expectUpstream(world, [['POST', `Calls/${sid}.json`, { Status: 'completed' }]])
    expect(expectEntity(await world.call('GET', path(sid)), 'Calls', sid).Status).toBe('completed')
  })

  it('accepts Twilio\'s own name From for Sender, and both when they agree', async () => {
    for (const fields of [
      { To: '+14155550101', From: OWNED_NUMBER, Url: VOICE_URL },
      { To: '+14155550102', From: OWNED_NUMBER, Sender: OWNED_NUMBER, Url: VOICE_URL }
    ]) {
      world.clearUpstream()
      expect(expectEntity(await world.call('POST', path(), { fields }), 'Calls').Sender).toBe(OWNED_NUMBER)
      expect(world.upstream()[0]?.body).toEqual({ To: fields.To, From: OWNED_NUMBER, Url: VOICE_URL })
    }
  })

  it('refuses From and Sender with different values', async () => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), {
      fields: { To: '+14155550100', From: OWNED_NUMBER, Sender: '+14155550142', Url: VOICE_URL }
    }))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['fields.From'])
    expect(error.message).toMatch(/fields\.From and fields\.Sender/)
  })
})

describe('Calls DELETE', () => {
  it('deletes the completed call of Google\'s page, answering {}; Twilio no longer has it', async () => {
    await expectDeleted(world, path(GOOGLE.deletableCall), `Calls/${GOOGLE.deletableCall}.json`)
    expectRpcError(await world.call('GET', path(GOOGLE.deletableCall)), 404, 'NOT_FOUND')
  })
})

describe('Calls validation', () => {
  const valid = { To: '+14155550100', Sender: OWNED_NUMBER, Url: VOICE_URL }

  it.each([
    ['a wrong type', { ...valid, Timeout: '30' }, ['fields.Timeout']],
    ['a malformed URL', { ...valid, Url: 'not a url' }, ['fields.Url']],
    ['an unknown field', { ...valid, Speed: 'fast' }, ['fields.Speed']],
    ['a read-only field', { ...valid, Duration: 10 }, ['fields.Duration']],
    ['missing required fields', { Url: VOICE_URL }, ['fields.Sender', 'fields.To']]
  ])('answers %s with 400 INVALID_ARGUMENT naming each bad field, before calling Twilio', async (_case, fields, expected) => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), { fields }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer).sort()).toEqual(expected)
  })

  it('refuses a call without Url, Twiml or ApplicationSid', async () => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), { fields: { To: '+14155550100', Sender: OWNED_NUMBER } }))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['fields'])
    expect(error.message).toMatch(/Url, Twiml, ApplicationSid/)
  })

  it('refuses an update without fields, or with a status Twilio cannot set', async () => {
    for (const [fields, expected] of [[{}, ['fields']], [{ Status: 'ringing' }, ['fields.Status']]] as const) {
      const answer = await withoutUpstream(world, () => world.call('PATCH', path(GOOGLE.callWithoutFeedback), { fields }))
      expectRpcError(answer, 400, 'INVALID_ARGUMENT')
      expect(violatedFields(answer)).toEqual(expected)
    }
  })

  it('refuses ids that are not Call SIDs before calling Twilio', async () => {
    await expectIdsRefused(world, 'Calls', [
      'CA123', GOOGLE.incomingPhoneNumber, GOOGLE.message, 'CA%2F..%2Fx', 'ca' + GOOGLE.deletableCall.slice(2)
    ], ['GET', 'UPDATE', 'DELETE'], { Status: 'completed' })
  })
})
