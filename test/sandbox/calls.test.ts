/** Calls: validation and magic numbers, From ownership, the lifecycle on an injected clock, updates, deletes. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GOOGLE_EXAMPLE_SIDS } from '../../src/sandbox/app.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { manualClock, twilioError, TwilioHttp } from './support/http.js'

const clock = manualClock()
let sandbox: TestSandbox
let http: TwilioHttp
const URL = 'https://demo.twilio.com/welcome/voice/'

beforeAll(async () => {
  sandbox = await startSandbox({ now: clock.now, seed: { calls: 20, messages: 0 } })
  http = new TwilioHttp(sandbox)
})
afterAll(async () => { await sandbox.close() })
beforeEach(() => { clock.set(Date.UTC(2025, 5, 16, 12)) })

async function place (form: Record<string, string> = {}) {
  return http.post('Calls.json', { To: '+14155550130', From: '+15005550006', Url: URL, ...form })
}

describe('placing a call', () => {
  it.each([
    [{ To: '' }, 21201, "No 'To' number is specified"],
    [{ From: '' }, 21213, "No 'From' number is specified"],
    [{ Url: '' }, 21205, 'Url parameter is required.'],
    [{ From: '+15005550001' }, 21212, /'From' number \+15005550001 is not a valid phone number/],
    [{ From: 'not-a-number' }, 21212, /not a valid phone number/],
    [{ From: '+14155550999' }, 21210, /\+14155550999, is not yet verified for your account/],
    [{ To: '+15005550001' }, 21217, /\+15005550001, is not valid/],
    [{ To: '+15005550002' }, 21214, /cannot be reached/],
    [{ To: '+15005550003' }, 21215, /Account not authorized to call \+15005550003/],
    [{ To: '+15005550004' }, 21216, /Account not allowed to call \+15005550004/],
    [{ To: 'twelve' }, 21217, /twelve, is not valid/],
    [{ Url: 'ftp://example.com/twiml' }, 20001, /Url/],
    [{ Method: 'PUT' }, 20001, /Method/],
    [{ Timeout: '601' }, 20001, /Timeout/]
  ])('rejects %o with %i', async (form, code, message) => {
    const error = twilioError(await place(form))
    expect(error).toMatchObject({ status: 400, code })
    expect(error.message).toMatch(message)
  })

  it('accepts any owned number or verified caller ID as From, and Twiml or an ApplicationSid instead of Url', async () => {
    const fromCallerId = await place({ From: '+14155550199', Url: '', Twiml: '<Response><Say>Hello</Say></Response>' })
    expect(fromCallerId.status, fromCallerId.text).toBe(201)
    expect(fromCallerId.body).toMatchObject({ from: '+14155550199', from_formatted: '(415) 555-0199', phone_number_sid: GOOGLE_EXAMPLE_SIDS.outgoingCallerId })
    const fromNumber = await place({ From: '+14155550142', Url: '', ApplicationSid: `AP${'a'.repeat(32)}` })
    expect(fromNumber.body.phone_number_sid).toBe(GOOGLE_EXAMPLE_SIDS.incomingPhoneNumber)
    expect((await place({ To: 'client:alice' })).status).toBe(201)
    expect((await place({ To: 'sip:alice@example.com' })).status).toBe(201)
  })
})

describe('the lifecycle of a call', () => {
  it('is queued, rings after 1 s, is answered after 2 s and completes after 60 s with a duration and a price', async () => {
    const created = await place()
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ status: 'queued', direction: 'outbound-api', start_time: null, end_time: null, duration: null, price: null })
    const path = `Calls/${created.body.sid}.json`
    clock.advance(999)
    expect((await http.get(path)).body.status).toBe('queued')
    clock.advance(1)
    const ringing = (await http.get(path)).body
    expect(ringing.status).toBe('ringing')
    expect(Date.parse(ringing.start_time)).toBe(clock.now())
    clock.advance(1000)
    expect((await http.get(path)).body.status).toBe('in-progress')
    clock.advance(58_000)
    const done = (await http.get(path)).body
    expect(done).toMatchObject({ status: 'completed', duration: '59', price: '-0.01400', price_unit: 'USD' })
    expect(Date.parse(done.end_time)).toBe(clock.now())
    expect(done.date_updated).toBe(done.end_time)
  })

  it('catches up in one read when the clock jumps far ahead, also in lists and filters', async () => {
    const created = await place({ To: '+14155550131' })
    clock.advance(3_600_000)
    const listed = await http.get('Calls.json', { To: '+14155550131', Status: 'completed' })
    expect(listed.body.calls.map((call: { sid: string }) => call.sid)).toEqual([created.body.sid])
    expect(listed.body.calls[0].duration).toBe('59')
  })
})

describe('updating a call', () => {
  it('hangs up an answered call at once with Status=completed', async () => {
    const { body } = await place()
    clock.advance(12_000)
    const ended = await http.post(`Calls/${body.sid}.json`, { Status: 'completed' })
    expect(ended.body).toMatchObject({ status: 'completed', duration: '11' })
    clock.advance(60_000)
    expect((await http.get(`Calls/${body.sid}.json`)).body.duration).toBe('11')
  })

  it('cancels a queued or ringing call, and only those', async () => {
    const queued = await place()
    expect((await http.post(`Calls/${queued.body.sid}.json`, { Status: 'canceled' })).body).toMatchObject({ status: 'canceled', end_time: null, duration: null })
    const answered = await place()
    clock.advance(2000)
    expect(twilioError(await http.post(`Calls/${answered.body.sid}.json`, { Status: 'canceled' }))).toMatchObject({ code: 21220, status: 400 })
  })

  it('redirects a live call with Url or Twiml, but not a finished one', async () => {
    const { body } = await place()
    clock.advance(5000)
    const redirected = await http.post(`Calls/${body.sid}.json`, { Twiml: '<Response><Hangup/></Response>' })
    expect(redirected.status).toBe(200)
    expect(Date.parse(redirected.body.date_updated)).toBe(clock.now())
    const finished = `Calls/${GOOGLE_EXAMPLE_SIDS.deletableCall}.json`
    expect(twilioError(await http.post(finished, { Url: URL }))).toMatchObject({ code: 21220 })
    expect(twilioError(await http.post(finished, { Status: 'completed' }))).toMatchObject({ code: 21220 })
    expect(twilioError(await http.post(finished, { Status: 'hangup' }))).toMatchObject({ code: 20001 })
  })

  it('answers 404 / 20404 with the resource path for an unknown call', async () => {
    const path = `/2010-04-01/Accounts/${sandbox.accountSid}/Calls/CA${'0'.repeat(32)}.json`
    expect(twilioError(await http.post(path, { Status: 'completed' }))).toMatchObject({ status: 404, code: 20404, message: `The requested resource ${path} was not found` })
  })
})

describe('deleting a call', () => {
  it('refuses a call that is not finished (20009) and deletes a finished one', async () => {
    const { body } = await place()
    expect(twilioError(await http.delete(`Calls/${body.sid}.json`))).toMatchObject({ status: 400, code: 20009 })
    clock.advance(60_000)
    expect((await http.delete(`Calls/${body.sid}.json`)).status).toBe(204)
    expect(twilioError(await http.get(`Calls/${body.sid}.json`)).code).toBe(20404)
  })

  it('deletes Google\'s example call', async () => {
    expect((await http.delete(`Calls/${GOOGLE_EXAMPLE_SIDS.deletableCall}.json`)).status).toBe(204)
    expect(twilioError(await http.delete(`Calls/${GOOGLE_EXAMPLE_SIDS.deletableCall}.json`)).code).toBe(20404)
  })
})
