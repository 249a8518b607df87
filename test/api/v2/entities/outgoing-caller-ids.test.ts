/**
 * OutgoingCallerIds end to end: list, get, update (Google's Name), create (answers the validation request, not a
 * caller ID), delete, aliases, validation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  entityPath, entitySchema, expectEntity, expectEntityList, expectIdsRefused, expectRpcError, expectTypedFields, expectDeleted, expectUpstream, GOOGLE, iso, startWorld, twilioErrorInfo, violatedFields, withoutUpstream, type World
} from '../support.js'

let world: World
beforeAll(async () => { world = await startWorld() })
afterAll(async () => { await world.close() })

const path = (id?: string): string => entityPath('OutgoingCallerIds', id)

describe('OutgoingCallerIds LIST and GET', () => {
  it('lists the verified caller IDs as typed rows with their entity names', async () => {
    const rows = expectEntityList(await world.call('GET', path()), 'OutgoingCallerIds')
    expect(rows).toHaveLength(4)
    expect(rows.map((row) => row.Sid)).toContain(GOOGLE.outgoingCallerId)
  })

  it('gets the caller ID of Google\'s page', async () => {
    const fields = expectEntity(await world.call('GET', path(GOOGLE.outgoingCallerId)), 'OutgoingCallerIds', GOOGLE.outgoingCallerId)
    expect(fields).toMatchObject({
      Name: 'Front desk',
      PhoneNumber: '+14155550199',
      AccountSid: world.sandbox.accountSid,
      Uri: `/2010-04-01/Accounts/${world.sandbox.accountSid}/OutgoingCallerIds/${GOOGLE.outgoingCallerId}.json`
    })
  })
})

describe('OutgoingCallerIds UPDATE', () => {
  it('renames the caller ID with Google\'s payload {"Name":"…"}, sent as FriendlyName; a later GET shows it', async () => {
    world.clearUpstream()
    const fields = expectEntity(await world.call('PATCH', path(GOOGLE.outgoingCallerId), { fields: { Name: 'Reception' } }),
      'OutgoingCallerIds', GOOGLE.outgoingCallerId)
    expect(fields).toMatchObject({ Name: 'Reception', DateUpdated: iso(world.clock.now()) })
    expectUpstream(world, [['POST', `OutgoingCallerIds/${GOOGLE.outgoingCallerId}.json`, { FriendlyName: 'Reception' }]])
    expect(expectEntity(await world.call('GET', path(GOOGLE.outgoingCallerId)), 'OutgoingCallerIds').Name).toBe('Reception')
  })

  it('accepts Twilio\'s own name FriendlyName for Name, and both when they agree', async () => {
    for (const fields of [{ FriendlyName: 'Lobby' }, { FriendlyName: 'Lobby 2', Name: 'Lobby 2' }]) {
      world.clearUpstream()
      expect(expectEntity(await world.call('PATCH', path(GOOGLE.outgoingCallerId), { fields }), 'OutgoingCallerIds').Name).toBe(fields.FriendlyName)
      expect(world.upstream()[0]?.body).toEqual({ FriendlyName: fields.FriendlyName })
    }
  })

  it('refuses FriendlyName and Name with different values', async () => {
    const answer = await withoutUpstream(world, () => world.call('PATCH', path(GOOGLE.outgoingCallerId), { fields: { FriendlyName: 'A', Name: 'B' } }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['fields.FriendlyName'])
  })
})

describe('OutgoingCallerIds CREATE and DELETE', () => {
  it('starts a verification and answers the validation request with its 6-digit code, without an entity name', async () => {
    world.clearUpstream()
    const answer = await world.call('POST', path(), { fields: { PhoneNumber: '+14155550111', Name: 'Night shift' } })
    expect(answer.status).toBe(200)
    expect(Object.keys(answer.body)).toEqual(['fields'])
    const fields = answer.body.fields as Record<string, unknown>
    expectTypedFields(fields, entitySchema('OutgoingCallerIds').$defs.CreateResult!.properties)
    expect(fields).toEqual({
      AccountSid: world.sandbox.accountSid,
      CallSid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      Name: 'Night shift',
      PhoneNumber: '+14155550111',
      ValidationCode: expect.stringMatching(/^\d{6}$/)
    })
    expectUpstream(world, [['POST', 'OutgoingCallerIds.json', { PhoneNumber: '+14155550111', FriendlyName: 'Night shift' }]])
  })

  it('once the code is keyed in, the verified caller ID is listed; deleting it answers {}', async () => {
    world.clock.advance(31_000)
    const rows = expectEntityList(await world.call('GET', path()), 'OutgoingCallerIds')
    const verified = rows.find((row) => row.PhoneNumber === '+14155550111')
    expect(verified).toMatchObject({ Name: 'Night shift', Sid: expect.stringMatching(/^PN[0-9a-f]{32}$/) })
    const sid = verified!.Sid as string
    await expectDeleted(world, path(sid), `OutgoingCallerIds/${sid}.json`)
    expectRpcError(await world.call('GET', path(sid)), 404, 'NOT_FOUND')
  })

  it('accepts FriendlyName on create', async () => {
    const answer = await world.call('POST', path(), { fields: { PhoneNumber: '+14155550112', FriendlyName: 'Spare' } })
    expect(answer.status).toBe(200)
    expect(answer.body.fields).toMatchObject({ Name: 'Spare', PhoneNumber: '+14155550112' })
  })

  it('refuses a number that is already verified (Twilio 21450 → 400 INVALID_ARGUMENT)', async () => {
    const answer = await world.call('POST', path(), { fields: { PhoneNumber: '+14155550199' } })
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(twilioErrorInfo(answer).metadata.code).toBe('21450')
  })
})

describe('OutgoingCallerIds validation', () => {
  it.each([
    ['a missing PhoneNumber', { Name: 'x' }, ['fields.PhoneNumber']],
    ['a wrong type', { PhoneNumber: '+14155550113', CallDelay: '5' }, ['fields.CallDelay']],
    ['a read-only field', { PhoneNumber: '+14155550113', Uri: '/x' }, ['fields.Uri']],
    ['an unknown field', { PhoneNumber: '+14155550113', Pin: '1234' }, ['fields.Pin']]
  ])('answers a create with %s with 400 INVALID_ARGUMENT naming the field, before calling Twilio', async (_case, fields, expected) => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), { fields }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(expected)
  })

  it.each([
    ['no fields', {}, ['fields']],
    ['a field that can only be set on create', { PhoneNumber: '+14155550113' }, ['fields.PhoneNumber']],
    ['a wrong type', { Name: 5 }, ['fields.Name']]
  ])('answers an update with %s with 400 INVALID_ARGUMENT, before calling Twilio', async (_case, fields, expected) => {
    const answer = await withoutUpstream(world, () => world.call('PATCH', path(GOOGLE.outgoingCallerId), { fields }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(expected)
  })

  it('refuses ids that are not caller ID SIDs before calling Twilio', async () => {
    await expectIdsRefused(world, 'OutgoingCallerIds', ['PN123', GOOGLE.deletableCall, 'PN%2F..%2Fx'], ['GET', 'UPDATE', 'DELETE'], { Name: 'x' })
  })
})
