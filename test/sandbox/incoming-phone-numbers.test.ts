/** IncomingPhoneNumbers: buying (with Twilio's magic values), filters, settings, moving and releasing numbers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GOOGLE_EXAMPLE_SIDS } from '../../src/sandbox/app.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { twilioError, TwilioHttp } from './support/http.js'

interface IncomingNumber { sid: string, phone_number: string, friendly_name: string, beta: boolean, origin: string, capabilities: Record<string, boolean> }

let sandbox: TestSandbox
let http: TwilioHttp

beforeAll(async () => {
  sandbox = await startSandbox({ seed: { calls: 0, messages: 0 } })
  http = new TwilioHttp(sandbox)
})
afterAll(async () => { await sandbox.close() })

async function numbers (query: Record<string, string> = {}): Promise<IncomingNumber[]> {
  return (await http.get('IncomingPhoneNumbers.json', query)).body.incoming_phone_numbers
}

describe('the seeded numbers', () => {
  it('are six, with +15005550006, a voice-only number, a hosted beta number and Google\'s example', async () => {
    const all = await numbers()
    expect(all).toHaveLength(6)
    expect(all.find((number) => number.phone_number === '+15005550006')).toMatchObject({ friendly_name: '(500) 555-0006', capabilities: { voice: true, sms: true, mms: true, fax: false } })
    expect(all.find((number) => number.sid === GOOGLE_EXAMPLE_SIDS.incomingPhoneNumber)?.phone_number).toBe('+14155550142')
    expect(all.filter((number) => !number.capabilities.sms)).toHaveLength(1)
    expect(all.filter((number) => number.beta && number.origin === 'hosted')).toHaveLength(1)
  })

  it('filter by partial number with * wildcards, friendly name, origin and beta', async () => {
    expect((await numbers({ PhoneNumber: '+1415555' })).map((number) => number.phone_number).sort()).toEqual(['+14155550142', '+14155550178'])
    expect((await numbers({ PhoneNumber: '555014*' })).map((number) => number.phone_number)).toEqual(['+14155550142'])
    expect((await numbers({ PhoneNumber: '0006' })).map((number) => number.phone_number)).toEqual(['+15005550006'])
    expect((await numbers({ FriendlyName: 'Sales' })).map((number) => number.phone_number)).toEqual(['+14155550178'])
    expect((await numbers({ Origin: 'hosted' })).map((number) => number.phone_number)).toEqual(['+13105550107'])
    expect(await numbers({ Beta: 'false' })).toHaveLength(5)
    expect(twilioError(await http.get('IncomingPhoneNumbers.json', { Beta: 'maybe' })).code).toBe(20001)
  })
})

describe('buying a number', () => {
  it.each([
    [21422, { PhoneNumber: '+15005550000' }, /not available/],
    [21421, { PhoneNumber: '+15005550001' }, /is invalid/],
    [21421, { PhoneNumber: '415-555-0100' }, /is invalid/],
    [21452, { AreaCode: '533' }, 'No phone numbers found in area code 533.'],
    [21452, { AreaCode: '12' }, /area code 12/],
    [21422, { PhoneNumber: '+14155550142' }, /\+14155550142 is not available/],
    [20001, {}, /PhoneNumber or AreaCode/],
    [20001, { PhoneNumber: '+14155550160', SmsMethod: 'PATCH' }, /SmsMethod/],
    [20001, { PhoneNumber: '+14155550160', VoiceUrl: 'not a url' }, /VoiceUrl/],
    [20001, { PhoneNumber: '+14155550160', TrunkSid: 'TK1' }, /TrunkSid/]
  ])('rejects with %i (case %#)', async (code, form, message) => {
    const error = twilioError(await http.post('IncomingPhoneNumbers.json', form))
    expect(error).toMatchObject({ status: 400, code })
    expect(error.message).toMatch(message)
  })

  it('buys a free number with its settings; a number has one owner across accounts', async () => {
    const bought = await http.post('IncomingPhoneNumbers.json', {
      PhoneNumber: '+14155550161', FriendlyName: 'Support overflow', VoiceUrl: 'https://example.com/voice', VoiceMethod: 'get', SmsUrl: 'https://example.com/sms'
    })
    expect(bought.status, bought.text).toBe(201)
    expect(bought.body).toMatchObject({
      phone_number: '+14155550161', friendly_name: 'Support overflow', voice_url: 'https://example.com/voice', voice_method: 'GET',
      sms_url: 'https://example.com/sms', sms_method: 'POST', status: 'in-use', origin: 'twilio', beta: false, account_sid: sandbox.accountSid
    })
    const onSubaccount = http.as(sandbox.accountSid, sandbox.authToken, sandbox.subaccount.sid)
    expect(twilioError(await onSubaccount.post('IncomingPhoneNumbers.json', { PhoneNumber: '+14155550161' })).code).toBe(21422)
    expect(twilioError(await http.post('IncomingPhoneNumbers.json', { PhoneNumber: '+14155550190' })).code).toBe(21422)
  })

  it('buys +15005550006 for area code 500 when it is free, another 500 number otherwise', async () => {
    const other = await http.post('IncomingPhoneNumbers.json', { AreaCode: '500' })
    expect(other.body.phone_number).toMatch(/^\+1500555(?!000\d)\d{4}$/)
    const main = (await numbers({ PhoneNumber: '+15005550006' }))[0] as IncomingNumber
    expect((await http.delete(`IncomingPhoneNumbers/${main.sid}.json`)).status).toBe(204)
    const again = await http.post('IncomingPhoneNumbers.json', { AreaCode: '500' })
    expect(again.body).toMatchObject({ phone_number: '+15005550006', friendly_name: '(500) 555-0006' })
    expect(again.body.sid).not.toBe(main.sid)
    const local = await http.post('IncomingPhoneNumbers.json', { AreaCode: '212' })
    expect(local.body.phone_number).toMatch(/^\+1212555\d{4}$/)
  })
})

describe('updating and releasing a number', () => {
  it('renames Google\'s example number and changes its settings', async () => {
    const path = `IncomingPhoneNumbers/${GOOGLE_EXAMPLE_SIDS.incomingPhoneNumber}.json`
    const trunk = `TK${'4'.repeat(32)}`
    expect((await http.post(path, { TrunkSid: trunk })).body.trunk_sid).toBe(trunk)
    const updated = await http.post(path, {
      FriendlyName: 'Renamed support line', VoiceApplicationSid: `AP${'3'.repeat(32)}`, VoiceCallerIdLookup: 'true', StatusCallback: 'https://example.com/status', SmsUrl: ''
    })
    expect(updated.body).toMatchObject({
      friendly_name: 'Renamed support line', voice_application_sid: `AP${'3'.repeat(32)}`, trunk_sid: null,
      voice_caller_id_lookup: true, status_callback: 'https://example.com/status', sms_url: null
    })
    expect((await http.get(path)).body.friendly_name).toBe('Renamed support line')
    expect(twilioError(await http.post(path, { FriendlyName: 'x'.repeat(65) })).code).toBe(20001)
  })

  it('moves a number to a subaccount with AccountSid', async () => {
    const bought = (await http.post('IncomingPhoneNumbers.json', { PhoneNumber: '+14155550162' })).body
    const moved = await http.post(`IncomingPhoneNumbers/${bought.sid}.json`, { AccountSid: sandbox.subaccount.sid })
    expect(moved.body).toMatchObject({ account_sid: sandbox.subaccount.sid, uri: `/2010-04-01/Accounts/${sandbox.subaccount.sid}/IncomingPhoneNumbers/${bought.sid}.json` })
    expect(twilioError(await http.get(`IncomingPhoneNumbers/${bought.sid}.json`)).code).toBe(20404)
    const onSubaccount = http.as(sandbox.subaccount.sid, sandbox.subaccount.authToken, sandbox.subaccount.sid)
    expect((await onSubaccount.get(`IncomingPhoneNumbers/${bought.sid}.json`)).body.phone_number).toBe('+14155550162')
    expect(twilioError(await onSubaccount.post(`IncomingPhoneNumbers/${bought.sid}.json`, { AccountSid: sandbox.accountSid })).code).toBe(20003)
  })

  it('releases a number: it can no longer send, and can be bought again', async () => {
    const sales = (await numbers({ FriendlyName: 'Sales' }))[0] as IncomingNumber
    const message = { To: '+14155550163', From: sales.phone_number, Body: 'Hi' }
    expect((await http.post('Messages.json', message)).status).toBe(201)
    expect((await http.delete(`IncomingPhoneNumbers/${sales.sid}.json`)).status).toBe(204)
    expect(twilioError(await http.get(`IncomingPhoneNumbers/${sales.sid}.json`)).code).toBe(20404)
    expect(twilioError(await http.post('Messages.json', message)).code).toBe(21606)
    expect((await http.post('IncomingPhoneNumbers.json', { PhoneNumber: sales.phone_number })).status).toBe(201)
  })
})
