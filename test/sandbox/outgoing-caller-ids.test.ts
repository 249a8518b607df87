/** OutgoingCallerIds: listing, validation requests that verify a number over time, renaming, deleting. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GOOGLE_EXAMPLE_SIDS } from '../../src/sandbox/app.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { manualClock, twilioError, TwilioHttp } from './support/http.js'

interface CallerId { sid: string, phone_number: string, friendly_name: string }

const clock = manualClock()
let sandbox: TestSandbox
let http: TwilioHttp

beforeAll(async () => {
  sandbox = await startSandbox({ now: clock.now, seed: { calls: 0, messages: 0 } })
  http = new TwilioHttp(sandbox)
})
afterAll(async () => { await sandbox.close() })

async function callerIds (query: Record<string, string> = {}): Promise<CallerId[]> {
  return (await http.get('OutgoingCallerIds.json', query)).body.outgoing_caller_ids
}

describe('listing', () => {
  it('shows the four seeded caller IDs, Google\'s example among them, and filters them', async () => {
    const all = await callerIds()
    expect(all).toHaveLength(4)
    expect(all.find((callerId) => callerId.sid === GOOGLE_EXAMPLE_SIDS.outgoingCallerId)).toMatchObject({ phone_number: '+14155550199', friendly_name: 'Front desk' })
    expect((await callerIds({ PhoneNumber: '+14155550199' })).map((callerId) => callerId.sid)).toEqual([GOOGLE_EXAMPLE_SIDS.outgoingCallerId])
    expect((await callerIds({ FriendlyName: 'London office' })).map((callerId) => callerId.phone_number)).toEqual(['+447700900461'])
    expect(await callerIds({ PhoneNumber: '+19995550100' })).toEqual([])
  })
})

describe('validating a caller ID', () => {
  it('answers 200 with a validation request, and the number is verified once the validation call is over', async () => {
    const reply = await http.post('OutgoingCallerIds.json', { PhoneNumber: '+14155550170', FriendlyName: 'Warehouse', CallDelay: '5' })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      account_sid: sandbox.accountSid,
      call_sid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      friendly_name: 'Warehouse',
      phone_number: '+14155550170',
      validation_code: expect.stringMatching(/^\d{6}$/)
    })
    const call = { To: '+14155550171', From: '+14155550170', Url: 'https://demo.twilio.com/welcome/voice/' }
    expect(twilioError(await http.post('Calls.json', call)).code).toBe(21210)
    clock.advance(34_999)
    expect(await callerIds({ PhoneNumber: '+14155550170' })).toEqual([])
    clock.advance(1)
    expect(await callerIds({ PhoneNumber: '+14155550170' })).toMatchObject([{ friendly_name: 'Warehouse' }])
    expect((await http.post('Calls.json', call)).status).toBe(201)
  })

  it('defaults the friendly name to the formatted number', async () => {
    expect((await http.post('OutgoingCallerIds.json', { PhoneNumber: '+16175550172' })).body.friendly_name).toBe('(617) 555-0172')
  })

  it.each([
    [21450, { PhoneNumber: '+14155550199' }, /already verified/],
    [20001, {}, 'Missing required parameter PhoneNumber in the post body'],
    [20001, { PhoneNumber: '4155550173' }, /PhoneNumber/],
    [20001, { PhoneNumber: '+14155550173', CallDelay: '61' }, /CallDelay/],
    [20001, { PhoneNumber: '+14155550173', Extension: '12a' }, /Extension/]
  ])('rejects with %i (case %#)', async (code, form, message) => {
    const error = twilioError(await http.post('OutgoingCallerIds.json', form))
    expect(error).toMatchObject({ status: 400, code })
    expect(error.message).toMatch(message)
  })
})

describe('updating and deleting', () => {
  it('renames Google\'s example caller ID, then deletes it so it can no longer place calls', async () => {
    const path = `OutgoingCallerIds/${GOOGLE_EXAMPLE_SIDS.outgoingCallerId}.json`
    clock.advance(1000)
    const renamed = await http.post(path, { FriendlyName: 'Reception' })
    expect(renamed.body).toMatchObject({ friendly_name: 'Reception', phone_number: '+14155550199' })
    expect(Date.parse(renamed.body.date_updated)).toBe(clock.now())
    expect(twilioError(await http.post(path, { FriendlyName: 'x'.repeat(65) })).code).toBe(20001)
    expect((await http.delete(path)).status).toBe(204)
    expect(twilioError(await http.get(path)).code).toBe(20404)
    const call = { To: '+14155550174', From: '+14155550199', Url: 'https://demo.twilio.com/welcome/voice/' }
    expect(twilioError(await http.post('Calls.json', call)).code).toBe(21210)
  })
})
