/** Messages: required parameters, magic numbers, sender rules, WhatsApp, lifecycle, redaction, scheduling, deletes. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GOOGLE_EXAMPLE_SIDS } from '../../src/sandbox/app.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { manualClock, twilioError, TwilioHttp } from './support/http.js'

const clock = manualClock()
let sandbox: TestSandbox
let http: TwilioHttp
const SERVICE = `MG${'7'.repeat(32)}`

beforeAll(async () => {
  sandbox = await startSandbox({ now: clock.now, seed: { calls: 0, messages: 30 } })
  http = new TwilioHttp(sandbox)
})
afterAll(async () => { await sandbox.close() })
beforeEach(() => { clock.set(Date.UTC(2025, 5, 16, 12)) })

async function send (form: Record<string, string | string[]>) {
  return http.post('Messages.json', { To: '+14155550140', From: '+15005550006', Body: 'Hello', ...form })
}

describe('sending', () => {
  it.each([
    [21604, { To: '' }, "A 'To' phone number is required."],
    [21603, { From: '' }, "A 'From' phone number is required."],
    [21602, { Body: '' }, 'Message body is required.'],
    [21617, { Body: 'x'.repeat(1601) }, /1600 character limit/],
    [21211, { To: '+15005550001' }, "The 'To' number +15005550001 is not a valid phone number."],
    [21612, { To: '+15005550002' }, /is not currently reachable using the 'From' phone number: \+15005550006 via SMS/],
    [21408, { To: '+15005550003' }, /Permission to send an SMS has not been enabled/],
    [21610, { To: '+15005550004' }, 'Attempt to send to unsubscribed recipient'],
    [21614, { To: '+15005550009' }, /is not a valid mobile number/],
    [21211, { To: '4155550140' }, /is not a valid phone number/],
    [21212, { From: '+15005550001' }, /'From' number \+15005550001 is not a valid phone number/],
    [21606, { From: '+14155550999' }, 'The From phone number +14155550999 is not a valid, SMS-capable inbound phone number or short code for your account.'],
    // An owned number without SMS capability cannot send either.
    [21606, { From: '+16505550121' }, /\+16505550121 is not a valid, SMS-capable/],
    // A caller ID is good for calls, not for messages.
    [21606, { From: '+14155550199' }, /SMS-capable/],
    [20001, { MessagingServiceSid: 'MG123', From: '' }, /MessagingServiceSid/]
  ])('rejects with %i (case %#)', async (code, form, message) => {
    const error = twilioError(await send(form))
    expect(error).toMatchObject({ status: 400, code })
    expect(error.message).toMatch(message)
  })

  it('applies the magic To numbers in their whatsapp: form too', async () => {
    const whatsapp = { From: 'whatsapp:+14155238886' }
    expect(twilioError(await send({ ...whatsapp, To: 'whatsapp:+15005550001' })).code).toBe(21211)
    expect(twilioError(await send({ ...whatsapp, To: 'whatsapp:+15005550004' })).code).toBe(21610)
    expect(twilioError(await send({ From: 'whatsapp:+15005550001', To: 'whatsapp:+14155550140' })).code).toBe(21212)
  })

  it('sends WhatsApp from the sandbox sender only, and only to WhatsApp', async () => {
    const sent = await send({ To: 'whatsapp:+14155550141', From: 'whatsapp:+14155238886', Body: 'Hi on WhatsApp' })
    expect(sent.status, sent.text).toBe(201)
    expect(sent.body).toMatchObject({ from: 'whatsapp:+14155238886', to: 'whatsapp:+14155550141', num_segments: '1' })
    expect(twilioError(await send({ To: '+14155550141', From: 'whatsapp:+14155238886' }))).toMatchObject({ code: 21910, status: 400 })
    expect(twilioError(await send({ To: 'whatsapp:+14155550141', From: '+15005550006' })).code).toBe(21910)
    expect(twilioError(await send({ To: 'whatsapp:+14155550141', From: 'whatsapp:+15005550006' })).code).toBe(21606)
  })

  it('lets a Messaging Service pick the sender when it sends', async () => {
    const sent = await send({ From: '', MessagingServiceSid: SERVICE, To: 'whatsapp:+14155550142' })
    expect(sent.body).toMatchObject({ from: null, messaging_service_sid: SERVICE, status: 'queued' })
    clock.advance(1000)
    expect((await http.get(`Messages/${sent.body.sid}.json`)).body).toMatchObject({ from: 'whatsapp:+14155238886', status: 'sent' })
  })

  it('counts segments and media: SM for text, MM with media', async () => {
    const long = await send({ Body: 'a'.repeat(161) })
    expect(long.body).toMatchObject({ num_segments: '2', num_media: '0' })
    expect(long.body.sid).toMatch(/^SM/)
    // € is in GSM-7's extension table and counts twice: 40 + 80 characters fit one segment, 60 + 120 do not.
    expect((await send({ Body: 'é€'.repeat(40) })).body.num_segments).toBe('1')
    expect((await send({ Body: 'é€'.repeat(60) })).body.num_segments).toBe('2')
    expect((await send({ Body: '😀'.repeat(40) })).body.num_segments).toBe('2')
    const mms = await send({ Body: '', MediaUrl: ['https://demo.twilio.com/owl.png', 'https://demo.twilio.com/logo.png'] })
    expect(mms.status, mms.text).toBe(201)
    expect(mms.body).toMatchObject({ num_media: '2' })
    expect(mms.body.sid).toMatch(/^MM[0-9a-f]{32}$/)
  })
})

describe('the lifecycle of a message', () => {
  it('is queued, sent after 1 s (priced) and delivered after 2 s', async () => {
    const sent = await send({ Body: 'Track me' })
    expect(sent.body).toMatchObject({ status: 'queued', date_sent: null, price: null, price_unit: null, direction: 'outbound-api' })
    const path = `Messages/${sent.body.sid}.json`
    clock.advance(1000)
    const second = (await http.get(path)).body
    expect(second).toMatchObject({ status: 'sent', price: '-0.00790', price_unit: 'USD' })
    expect(Date.parse(second.date_sent)).toBe(clock.now())
    clock.advance(1000)
    expect((await http.get(path)).body.status).toBe('delivered')
  })

  it('is deletable and redactable only once final (20009 before)', async () => {
    const sent = await send({ Body: 'Secret' })
    const path = `Messages/${sent.body.sid}.json`
    expect(twilioError(await http.post(path, { Body: '' }))).toMatchObject({ status: 400, code: 20009 })
    expect(twilioError(await http.delete(path))).toMatchObject({ status: 400, code: 20009 })
    clock.advance(2000)
    expect((await http.post(path, { Body: '' })).body.body).toBe('')
    expect(twilioError(await http.post(path, { Body: 'changed' })).code).toBe(20001)
    expect((await http.delete(path)).status).toBe(204)
    expect(twilioError(await http.get(path)).code).toBe(20404)
  })
})

describe('scheduled messages', () => {
  const inOneHour = (): string => new Date(clock.now() + 3_600_000).toISOString()

  it('need a Messaging Service and a SendAt between 15 minutes and 35 days ahead', async () => {
    expect(twilioError(await send({ ScheduleType: 'fixed', SendAt: inOneHour() })).code).toBe(35118)
    expect(twilioError(await send({ From: '', MessagingServiceSid: SERVICE, ScheduleType: 'fixed' })).code).toBe(35111)
    expect(twilioError(await send({ From: '', MessagingServiceSid: SERVICE, ScheduleType: 'fixed', SendAt: new Date(clock.now() + 60_000).toISOString() })).code).toBe(35114)
  })

  it('wait for their time, then are sent; only a scheduled message can be canceled', async () => {
    const form = { From: '', MessagingServiceSid: SERVICE, ScheduleType: 'fixed', SendAt: inOneHour() }
    const scheduled = await send(form)
    expect(scheduled.body).toMatchObject({ status: 'scheduled', date_sent: null })
    clock.advance(3_600_000 + 2000)
    expect((await http.get(`Messages/${scheduled.body.sid}.json`)).body).toMatchObject({ status: 'delivered', from: '+15005550006' })
    expect(twilioError(await http.post(`Messages/${scheduled.body.sid}.json`, { Status: 'canceled' })).code).toBe(20001)
    const toCancel = await send({ ...form, SendAt: new Date(clock.now() + 3_600_000).toISOString() })
    const canceled = await http.post(`Messages/${toCancel.body.sid}.json`, { Status: 'canceled' })
    expect(canceled.body.status).toBe('canceled')
    clock.advance(7_200_000)
    expect((await http.get(`Messages/${toCancel.body.sid}.json`)).body.status).toBe('canceled')
    expect((await http.delete(`Messages/${toCancel.body.sid}.json`)).status).toBe(204)
  })
})

describe('Google\'s example message', () => {
  it('is delivered with a body, so redacting it works', async () => {
    const path = `Messages/${GOOGLE_EXAMPLE_SIDS.message}.json`
    const message = (await http.get(path)).body
    expect(message.status).toBe('delivered')
    expect(message.body.length).toBeGreaterThan(0)
    expect((await http.post(path, { Body: '' })).body).toMatchObject({ body: '', status: 'delivered' })
  })
})
