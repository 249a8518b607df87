/** IncomingPhoneNumbers end to end: list, get (typed Capabilities), create (buy), update (Google's Name), delete, aliases. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  entityPath, expectDeleted, expectEntity, expectEntityList, expectIdsRefused, expectRpcError, expectUpstream, GOOGLE, iso, OWNED_NUMBER, startWorld, twilioErrorInfo, violatedFields, withoutUpstream, type World
} from '../support.js'

let world: World
beforeAll(async () => { world = await startWorld() })
afterAll(async () => { await world.close() })

const path = (id?: string): string => entityPath('IncomingPhoneNumbers', id)

describe('IncomingPhoneNumbers LIST and GET', () => {
  it('lists the account\'s numbers as typed rows with their entity names', async () => {
    const rows = expectEntityList(await world.call('GET', path()), 'IncomingPhoneNumbers')
    expect(rows.map((row) => row.PhoneNumber)).toEqual(expect.arrayContaining([OWNED_NUMBER, '+14155550142']))
    for (const row of rows) {
      expect(row.Sid).toMatch(/^PN[0-9a-f]{32}$/)
      expect(typeof row.Beta).toBe('boolean')
      expect(typeof row.VoiceCallerIdLookup).toBe('boolean')
    }
  })

  it('gets the number of Google\'s page, Capabilities as a nested object of booleans', async () => {
    const fields = expectEntity(await world.call('GET', path(GOOGLE.incomingPhoneNumber)), 'IncomingPhoneNumbers', GOOGLE.incomingPhoneNumber)
    expect(fields).toMatchObject({
      PhoneNumber: '+14155550142',
      Name: 'Support line',
      AccountSid: world.sandbox.accountSid,
      Capabilities: { voice: true, sms: true, mms: true, fax: false },
      Beta: false,
      Origin: 'twilio',
      VoiceCallerIdLookup: false,
      VoiceUrl: 'https://demo.twilio.com/welcome/voice/',
      EmergencyStatus: 'Inactive',
      Status: 'in-use',
      TrunkSid: null
    })
  })
})

describe('IncomingPhoneNumbers UPDATE', () => {
  it('renames the number with Google\'s payload {"Name":"…"}, sent as FriendlyName; a later GET shows it', async () => {
    world.clearUpstream()
    const fields = expectEntity(await world.call('PATCH', path(GOOGLE.incomingPhoneNumber), { fields: { Name: 'Support line (EMEA)' } }),
      'IncomingPhoneNumbers', GOOGLE.incomingPhoneNumber)
    expect(fields).toMatchObject({ Name: 'Support line (EMEA)', DateUpdated: iso(world.clock.now()) })
    expectUpstream(world, [['POST', `IncomingPhoneNumbers/${GOOGLE.incomingPhoneNumber}.json`, { FriendlyName: 'Support line (EMEA)' }]])
    expect(expectEntity(await world.call('GET', path(GOOGLE.incomingPhoneNumber)), 'IncomingPhoneNumbers').Name).toBe('Support line (EMEA)')
  })

  it('accepts Twilio\'s own name FriendlyName for Name, and both when they agree', async () => {
    for (const fields of [{ FriendlyName: 'Help desk' }, { FriendlyName: 'Help desk 2', Name: 'Help desk 2' }]) {
      world.clearUpstream()
      const answer = await world.call('PATCH', path(GOOGLE.incomingPhoneNumber), { fields })
      expect(expectEntity(answer, 'IncomingPhoneNumbers').Name).toBe(fields.FriendlyName)
      expect(world.upstream()[0]?.body).toEqual({ FriendlyName: fields.FriendlyName })
    }
  })

  it('refuses FriendlyName and Name with different values', async () => {
    const answer = await withoutUpstream(world, () => world.call('PATCH', path(GOOGLE.incomingPhoneNumber), { fields: { FriendlyName: 'A', Name: 'B' } }))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['fields.FriendlyName'])
    expect(error.message).toMatch(/fields\.FriendlyName and fields\.Name/)
  })

  it('changes typed settings: a boolean and a URL', async () => {
    const fields = expectEntity(await world.call('PATCH', path(GOOGLE.incomingPhoneNumber), {
      fields: { VoiceCallerIdLookup: true, SmsUrl: 'https://example.com/sms' }
    }), 'IncomingPhoneNumbers')
    expect(fields).toMatchObject({ VoiceCallerIdLookup: true, SmsUrl: 'https://example.com/sms' })
    expect(world.upstream().at(-1)?.body).toEqual({ VoiceCallerIdLookup: 'true', SmsUrl: 'https://example.com/sms' })
  })
})

describe('IncomingPhoneNumbers CREATE and DELETE', () => {
  let sid: string

  it('buys a number: the answer is the new number with its capabilities', async () => {
    world.clearUpstream()
    const fields = expectEntity(await world.call('POST', path(), { fields: { PhoneNumber: '+14155550111', Name: 'New line' } }), 'IncomingPhoneNumbers')
    sid = fields.Sid as string
    expect(fields).toMatchObject({
      Sid: expect.stringMatching(/^PN[0-9a-f]{32}$/),
      PhoneNumber: '+14155550111',
      Name: 'New line',
      Capabilities: { voice: true, sms: true, mms: true, fax: false },
      DateCreated: iso(world.clock.now())
    })
    expectUpstream(world, [['POST', 'IncomingPhoneNumbers.json', { PhoneNumber: '+14155550111', FriendlyName: 'New line' }]])
    const listed = expectEntityList(await world.call('GET', path()), 'IncomingPhoneNumbers')
    expect(listed.map((row) => row.Sid)).toContain(sid)
  })

  it('buys a number by area code', async () => {
    const fields = expectEntity(await world.call('POST', path(), { fields: { AreaCode: '212' } }), 'IncomingPhoneNumbers')
    expect(fields.PhoneNumber).toMatch(/^\+1212\d{7}$/)
  })

  it('refuses a number that is not available (Twilio 21422 → 400 INVALID_ARGUMENT)', async () => {
    const answer = await world.call('POST', path(), { fields: { PhoneNumber: '+14155550111' } })
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(twilioErrorInfo(answer).metadata.code).toBe('21422')
  })

  it('releases the number, answering {}; Twilio no longer has it', async () => {
    await expectDeleted(world, path(sid), `IncomingPhoneNumbers/${sid}.json`)
    expectRpcError(await world.call('GET', path(sid)), 404, 'NOT_FOUND')
  })
})

describe('IncomingPhoneNumbers validation', () => {
  it('refuses a purchase without PhoneNumber or AreaCode, naming the one-of group', async () => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), { fields: { Name: 'Nothing to buy' } }))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['fields'])
    expect(error.message).toMatch(/PhoneNumber, AreaCode/)
  })

  it.each([
    ['a wrong type', { VoiceCallerIdLookup: 'yes' }, ['fields.VoiceCallerIdLookup']],
    ['a malformed URL', { VoiceUrl: 'not a url' }, ['fields.VoiceUrl']],
    ['a value outside the enum', { VoiceMethod: 'PUT' }, ['fields.VoiceMethod']],
    ['a read-only field', { Capabilities: { fax: true } }, ['fields.Capabilities']],
    ['an unknown field', { Colour: 'red' }, ['fields.Colour']],
    ['no fields', {}, ['fields']]
  ])('answers an update with %s with 400 INVALID_ARGUMENT naming the field, before calling Twilio', async (_case, fields, expected) => {
    const answer = await withoutUpstream(world, () => world.call('PATCH', path(GOOGLE.incomingPhoneNumber), { fields }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(expected)
  })

  it('refuses ids that are not IncomingPhoneNumber SIDs before calling Twilio', async () => {
    await expectIdsRefused(world, 'IncomingPhoneNumbers', ['PN123', GOOGLE.deletableCall, 'PN%2F..%2Fx'], ['GET', 'UPDATE', 'DELETE'], { Name: 'x' })
  })
})
