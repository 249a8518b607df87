/**
 * What an action refuses before anything goes to Twilio — an unknown parameter, a missing one, a wrong type, a
 * malformed Sid, Twilio's name and ours with different values, a body that is not an ExecuteActionRequest — each a
 * 400 INVALID_ARGUMENT whose google.rpc.BadRequest names the parameter; and the idempotency key of the creating
 * actions, which works as for entity creates (one message upstream however often it is sent).
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN } from '../../../helpers/gateway.js'
import { entityPath, expectEntity, expectRpcError, GOOGLE, OWNED_NUMBER, startWorld, violatedFields, withoutUpstream, type World } from '../support.js'
import { actionPath, execute, onlyResult } from './support.js'

let world: World
beforeAll(async () => { world = await startWorld() })
afterAll(async () => { await world.close() })

const SMS = { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'hello' }

describe('parameters refused with 400 INVALID_ARGUMENT naming each bad one, before calling Twilio', () => {
  it.each([
    ['SendMessage', 'an unknown parameter', { ...SMS, Colour: 'red' }, ['parameters.Colour']],
    ['SendMessage', 'a parameter named like an Object property', { ...SMS, constructor: 'x', toString: 1 }, ['parameters.constructor', 'parameters.toString']],
    ['SendMessage', 'a read-only field', { ...SMS, DateCreated: '2024-01-01T00:00:00Z' }, ['parameters.DateCreated']],
    ['SendMessage', 'a missing required parameter', { Sender: OWNED_NUMBER, Body: 'hello' }, ['parameters.To']],
    ['SendMessage', 'a wrong type', { ...SMS, To: 5 }, ['parameters.To']],
    ['SendMessage', 'a value outside the enum', { ...SMS, ContentRetention: 'forever' }, ['parameters.ContentRetention']],
    ['SendMessage', 'a missing one-of group', { To: '+14155550100', Body: 'hello' }, ['parameters']],
    ['SendMessage', 'From and Sender with different values', { ...SMS, From: '+14155550142' }, ['parameters.From']],
    ['SendMessage', 'several problems at once', { To: 5, Colour: 'red', Body: 'hello' }, ['parameters', 'parameters.Colour', 'parameters.To']],
    ['MakeCall', 'missing required parameters', { Url: 'https://demo.twilio.com/docs/voice.xml' }, ['parameters.Sender', 'parameters.To']],
    ['MakeCall', 'a malformed URL', { To: '+14155550100', Sender: OWNED_NUMBER, Url: 'not a url' }, ['parameters.Url']],
    ['HangupCall', 'no CallSid', {}, ['parameters.CallSid']],
    ['HangupCall', 'a Sid of another kind', { CallSid: GOOGLE.message }, ['parameters.CallSid']],
    ['HangupCall', 'a hostile Sid', { CallSid: 'CA%2F..%2Fx' }, ['parameters.CallSid']],
    ['HangupCall', 'a number for the Sid', { CallSid: 42 }, ['parameters.CallSid']],
    ['HangupCall', 'Sid and CallSid with different values', { CallSid: GOOGLE.deletableCall, Sid: GOOGLE.callWithoutFeedback }, ['parameters.Sid']],
    ['HangupCall', 'a field to set besides the Sid', { CallSid: GOOGLE.callWithoutFeedback, Status: 'canceled' }, ['parameters.Status']],
    ['RedactMessage', 'a Body besides the Sid', { MessageSid: GOOGLE.message, Body: 'x' }, ['parameters.Body']],
    ['RedactMessage', 'a call Sid', { MessageSid: GOOGLE.deletableCall }, ['parameters.MessageSid']],
    ['AddOutgoingCallerIds', 'no PhoneNumber', { FriendlyName: 'x' }, ['parameters.PhoneNumber']],
    ['BuyPhoneNumber', 'neither PhoneNumber nor AreaCode', { Name: 'x' }, ['parameters']],
    ['ReleasePhoneNumber', 'a Recording Sid', { PhoneNumberSid: GOOGLE.recording }, ['parameters.PhoneNumberSid']]
  ] as const)('%s with %s', async (action, _case, parameters, expected) => {
    const answer = await withoutUpstream(world, () => execute(world, action, parameters))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer).sort()).toEqual(expected)
    expect(error.message).toMatch(new RegExp(`^Invalid ${action} parameters: `))
  })

  it('explains why: not a parameter, a pattern, the one-of group, the conflicting names', async () => {
    const answer = await execute(world, 'SendMessage', { To: '+14155550100', From: OWNED_NUMBER, Sender: '+14155550142', Colour: 'red' })
    const detail = answer.body.error.details.find((item: { '@type': string }) => item['@type'].endsWith('BadRequest'))
    expect(detail.fieldViolations).toEqual(expect.arrayContaining([
      { field: 'parameters.Colour', description: 'is not a parameter of SendMessage' },
      { field: 'parameters.From', description: 'and parameters.Sender name the same SendMessage parameter with different values' },
      { field: 'parameters', description: 'needs one of Body, MediaUrl, ContentSid' }
    ]))
    const badSid = await execute(world, 'ReleasePhoneNumber', { Sid: 'PN123' })
    expect(badSid.body.error.details[0].fieldViolations).toEqual([{ field: 'parameters.PhoneNumberSid', description: 'must match the pattern ^PN[0-9a-fA-F]{32}$' }])
  })

  it.each([
    ['no parameters', {}, 'parameters'],
    ['parameters that are a string', { parameters: 'To=+1415' }, 'parameters'],
    ['parameters that are an array', { parameters: [SMS] }, 'parameters'],
    ['parameters that are null', { parameters: null }, 'parameters'],
    ['a body that is an array', [SMS], 'parameters'],
    ['a body that is a string', JSON.stringify('hello'), 'parameters']
  ])('refuses %s with 400 naming parameters', async (_case, body, field) => {
    const answer = await withoutUpstream(world, () =>
      world.call('POST', `${actionPath('SendMessage')}:execute`, body, { 'content-type': 'application/json' }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual([field])
  })

  it('refuses a body that is not JSON', async () => {
    const answer = await world.gateway.app.inject({
      method: 'POST',
      url: `${actionPath('SendMessage')}:execute`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      payload: '{"parameters":'
    })
    expect(answer.statusCode).toBe(400)
    expect(answer.json().error.status).toBe('INVALID_ARGUMENT')
  })
})

describe('the idempotency key of creating actions', () => {
  const posts = (): number => world.upstream().filter((request) => request.method === 'POST').length

  it('SendMessage with a requestId sends one message upstream however often it is repeated; repeats replay the answer, marked Idempotent-Replayed', async () => {
    const key = randomUUID()
    world.clearUpstream()
    const first = await execute(world, 'SendMessage', SMS, `requestId=${key}`)
    const message = onlyResult(first)
    expect(first.headers['idempotent-replayed']).toBeUndefined()
    for (let repeat = 0; repeat < 3; repeat++) {
      const again = await execute(world, 'SendMessage', SMS, `requestId=${key}`)
      expect(again.body).toEqual(first.body)
      expect(again.headers['idempotent-replayed']).toBe('true')
    }
    const byHeader = await execute(world, 'SendMessage', SMS, '', { 'idempotency-key': key })
    expect(byHeader.body).toEqual(first.body)
    expect(posts()).toBe(1)
    expectEntity(await world.call('GET', entityPath('Messages', message.Sid as string)), 'Messages', message.Sid as string)
  })

  it('replays whatever name the sender was given under (From or Sender): the request is the same', async () => {
    const key = randomUUID()
    world.clearUpstream()
    const first = await execute(world, 'SendMessage', SMS, `requestId=${key}`)
    const { Sender, ...withoutSender } = SMS
    const again = await execute(world, 'SendMessage', { ...withoutSender, From: Sender }, `requestId=${key}`)
    expect(again.body).toEqual(first.body)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(posts()).toBe(1)
  })

  it('the same key with other parameters → 409 ABORTED, nothing sent', async () => {
    const key = randomUUID()
    onlyResult(await execute(world, 'SendMessage', SMS, `requestId=${key}`))
    world.clearUpstream()
    expectRpcError(await execute(world, 'SendMessage', { ...SMS, Body: 'another text' }, `requestId=${key}`), 409, 'ABORTED')
    expect(posts()).toBe(0)
  })

  it('MakeCall, AddOutgoingCallerIds and BuyPhoneNumber take a key too', async () => {
    for (const [action, parameters] of [
      ['MakeCall', { To: '+14155550100', Sender: OWNED_NUMBER, Twiml: '<Response><Say>Hi</Say></Response>' }],
      ['AddOutgoingCallerIds', { PhoneNumber: '+14155550155' }],
      ['BuyPhoneNumber', { AreaCode: '646' }]
    ] as const) {
      const key = randomUUID()
      world.clearUpstream()
      const first = await execute(world, action, parameters, `requestId=${key}`)
      onlyResult(first)
      const again = await execute(world, action, parameters, `requestId=${key}`)
      expect(again.body, action).toEqual(first.body)
      expect(again.headers['idempotent-replayed'], action).toBe('true')
      expect(posts(), action).toBe(1)
    }
  })

  it('an action that creates nothing refuses a key (400 naming requestId), as it cannot honour it', async () => {
    const answer = await withoutUpstream(world, () => execute(world, 'HangupCall', { CallSid: GOOGLE.callWithoutFeedback }, `requestId=${randomUUID()}`))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['requestId'])
    expect(error.message).toMatch(/^HangupCall creates nothing/)
  })

  it('a malformed key, or a requestId and a header that differ, is refused before calling Twilio', async () => {
    const malformed = await withoutUpstream(world, () => execute(world, 'SendMessage', SMS, `requestId=${encodeURIComponent('has space')}`))
    expect(violatedFields(malformed)).toEqual(['requestId'])
    const differing = await withoutUpstream(world, () => execute(world, 'SendMessage', SMS, 'requestId=a', { 'idempotency-key': 'b' }))
    expect(violatedFields(differing)).toEqual(['requestId'])
  })
})
