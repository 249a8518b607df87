/**
 * `POST …/actions/{action}:execute` against the sandbox: each of the seven actions does what it says at Twilio (the
 * effect checked through the entity API and the sandbox's request log) and answers `{"results": [row]}`; Twilio's
 * refusals map as they do for entities; the connection's throttle and suspension apply; unknown actions are 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../../../helpers/gateway.js'
import {
  connection, connectionAt, entityPath, entitySchema, expectEntity, expectEntityList, expectRpcError, expectTypedFields, expectUpstream, GOOGLE, iso,
  OWNED_NUMBER, startWorld, twilioErrorInfo, WHATSAPP_SENDER, withoutUpstream, type World
} from '../support.js'
import { ACTION_NAMES, actionPath, execute, onlyResult } from './support.js'

let world: World
beforeAll(async () => { world = await startWorld() })
afterAll(async () => { await world.close() })

const VOICE_URL = 'https://demo.twilio.com/docs/voice.xml'

describe('SendMessage', () => {
  it('sends Google\'s WhatsApp payload as a Messages create would, answering the message; the message is then listed', async () => {
    world.clearUpstream()
    const now = world.clock.now()
    const message = onlyResult(await execute(world, 'SendMessage', { To: 'whatsapp:+15005550006', Sender: WHATSAPP_SENDER, Body: 'Sent by an action' }))
    expectTypedFields(message, entitySchema('Messages').properties)
    expect(message).toMatchObject({
      Sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      To: 'whatsapp:+15005550006',
      Sender: WHATSAPP_SENDER,
      Body: 'Sent by an action',
      Status: 'queued',
      DateCreated: iso(now)
    })
    expectUpstream(world, [['POST', 'Messages.json', { To: 'whatsapp:+15005550006', From: WHATSAPP_SENDER, Body: 'Sent by an action' }]])
    const listed = expectEntityList(await world.call('GET', entityPath('Messages')), 'Messages')
    expect(listed.find((row) => row.Sid === message.Sid)).toMatchObject({ Body: 'Sent by an action', Sender: WHATSAPP_SENDER })
  })

  it('takes Twilio\'s own name From for Sender, and MediaUrl as an array', async () => {
    world.clearUpstream()
    const message = onlyResult(await execute(world, 'SendMessage', { To: '+14155550100', From: OWNED_NUMBER, MediaUrl: ['https://example.com/cat.png'] }))
    expect(message.Sender).toBe(OWNED_NUMBER)
    expectUpstream(world, [['POST', 'Messages.json', { To: '+14155550100', From: OWNED_NUMBER, MediaUrl: 'https://example.com/cat.png' }]])
  })

  it('maps Twilio\'s refusal of the magic To number +15005550001 (21211) to 400 INVALID_ARGUMENT, as a Messages create does', async () => {
    const parameters = { To: '+15005550001', Sender: OWNED_NUMBER, Body: 'to an invalid number' }
    const answer = await execute(world, 'SendMessage', parameters)
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(twilioErrorInfo(answer).metadata.code).toBe('21211')
    const created = await world.call('POST', entityPath('Messages'), { fields: parameters })
    expect(created.body.error).toEqual(error)
  })
})

describe('MakeCall and HangupCall', () => {
  let sid: string

  it('MakeCall places a call, answering it queued', async () => {
    world.clearUpstream()
    const call = onlyResult(await execute(world, 'MakeCall', { To: '+14155550100', From: OWNED_NUMBER, Url: VOICE_URL, Timeout: 20 }))
    expectTypedFields(call, entitySchema('Calls').properties)
    expect(call).toMatchObject({ Sid: expect.stringMatching(/^CA[0-9a-f]{32}$/), Status: 'queued', To: '+14155550100', Sender: OWNED_NUMBER })
    expectUpstream(world, [['POST', 'Calls.json', { To: '+14155550100', From: OWNED_NUMBER, Url: VOICE_URL, Timeout: '20' }]])
    sid = call.Sid as string
  })

  it('HangupCall ends it once in progress, answering the completed call; a Get shows it completed', async () => {
    world.clock.advance(5000)
    world.clearUpstream()
    const call = onlyResult(await execute(world, 'HangupCall', { CallSid: sid }))
    expectTypedFields(call, entitySchema('Calls').properties)
    expect(call).toMatchObject({ Sid: sid, Status: 'completed', EndTime: iso(world.clock.now()) })
    expectUpstream(world, [['POST', `Calls/${sid}.json`, { Status: 'completed' }]])
    expect(expectEntity(await world.call('GET', entityPath('Calls', sid)), 'Calls', sid).Status).toBe('completed')
  })

  it('HangupCall of a call that is over is Twilio\'s 400 (21220), and takes Sid for CallSid', async () => {
    const answer = await execute(world, 'HangupCall', { Sid: sid })
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(twilioErrorInfo(answer).metadata.code).toBe('21220')
  })

  it('HangupCall of a call Twilio does not have is 404 NOT_FOUND', async () => {
    expectRpcError(await execute(world, 'HangupCall', { CallSid: `CA${'0'.repeat(32)}` }), 404, 'NOT_FOUND')
  })
})

describe('RedactMessage', () => {
  it('empties the Body of a delivered message, answering the message; a Get shows it empty', async () => {
    const before = expectEntity(await world.call('GET', entityPath('Messages', GOOGLE.message)), 'Messages', GOOGLE.message)
    expect(before.Body).not.toBe('')
    world.clearUpstream()
    const message = onlyResult(await execute(world, 'RedactMessage', { MessageSid: GOOGLE.message }))
    expect(message).toMatchObject({ Sid: GOOGLE.message, Body: '', Status: before.Status })
    expectUpstream(world, [['POST', `Messages/${GOOGLE.message}.json`, { Body: '' }]])
    expect(expectEntity(await world.call('GET', entityPath('Messages', GOOGLE.message)), 'Messages', GOOGLE.message).Body).toBe('')
  })

  it('of a message still on its way is 400 FAILED_PRECONDITION (Twilio\'s 20009), as the entity update answers', async () => {
    const sent = onlyResult(await execute(world, 'SendMessage', { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'not yet' }))
    const answer = await execute(world, 'RedactMessage', { MessageSid: sent.Sid })
    const error = expectRpcError(answer, 400, 'FAILED_PRECONDITION')
    expect(error.message).toMatch(/^Messages SM[0-9a-f]{32} cannot be changed yet/)
    expect(twilioErrorInfo(answer).metadata.code).toBe('20009')
    expect((await world.call('PATCH', entityPath('Messages', sent.Sid as string), { fields: { Body: '' } })).body.error).toEqual(error)
  })
})

describe('AddOutgoingCallerIds', () => {
  it('starts a verification, answering the validation request with its 6-digit ValidationCode', async () => {
    world.clearUpstream()
    const request = onlyResult(await execute(world, 'AddOutgoingCallerIds', { PhoneNumber: '+14155550177', FriendlyName: 'Night desk' }))
    expectTypedFields(request, entitySchema('OutgoingCallerIds').$defs.CreateResult!.properties)
    expect(request).toEqual({
      AccountSid: world.sandbox.accountSid,
      CallSid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      Name: 'Night desk',
      PhoneNumber: '+14155550177',
      ValidationCode: expect.stringMatching(/^[0-9]{6}$/)
    })
    expectUpstream(world, [['POST', 'OutgoingCallerIds.json', { PhoneNumber: '+14155550177', FriendlyName: 'Night desk' }]])
  })
})

describe('BuyPhoneNumber and ReleasePhoneNumber', () => {
  let sid: string

  it('BuyPhoneNumber buys the number, answering it; it is then listed', async () => {
    world.clearUpstream()
    const number = onlyResult(await execute(world, 'BuyPhoneNumber', { PhoneNumber: '+14155550166', Name: 'Sales line' }))
    expectTypedFields(number, entitySchema('IncomingPhoneNumbers').properties)
    expect(number).toMatchObject({ Sid: expect.stringMatching(/^PN[0-9a-f]{32}$/), PhoneNumber: '+14155550166', Name: 'Sales line' })
    expectUpstream(world, [['POST', 'IncomingPhoneNumbers.json', { PhoneNumber: '+14155550166', FriendlyName: 'Sales line' }]])
    sid = number.Sid as string
    expect(expectEntityList(await world.call('GET', entityPath('IncomingPhoneNumbers')), 'IncomingPhoneNumbers').map((row) => row.Sid)).toContain(sid)
  })

  it('BuyPhoneNumber by AreaCode buys a number in it; a number no longer available is Twilio\'s 400 (21422)', async () => {
    expect(onlyResult(await execute(world, 'BuyPhoneNumber', { AreaCode: '212' })).PhoneNumber).toMatch(/^\+1212\d{7}$/)
    const answer = await execute(world, 'BuyPhoneNumber', { PhoneNumber: '+14155550166' })
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(twilioErrorInfo(answer).metadata.code).toBe('21422')
  })

  it('ReleasePhoneNumber releases it, answering {Sid, Released: true}; a Get is then 404', async () => {
    world.clearUpstream()
    expect(onlyResult(await execute(world, 'ReleasePhoneNumber', { PhoneNumberSid: sid }))).toEqual({ Sid: sid, Released: true })
    expectUpstream(world, [['DELETE', `IncomingPhoneNumbers/${sid}.json`]])
    expectRpcError(await world.call('GET', entityPath('IncomingPhoneNumbers', sid)), 404, 'NOT_FOUND')
  })

  it('ReleasePhoneNumber takes Sid for PhoneNumberSid; releasing a number twice is 404', async () => {
    const bought = onlyResult(await execute(world, 'BuyPhoneNumber', { AreaCode: '415' })).Sid as string
    expect(onlyResult(await execute(world, 'ReleasePhoneNumber', { Sid: bought }))).toEqual({ Sid: bought, Released: true })
    expectRpcError(await execute(world, 'ReleasePhoneNumber', { Sid: bought }), 404, 'NOT_FOUND')
  })
})

describe('unknown actions', () => {
  it('answer 404 NOT_FOUND naming the actions there are, without calling Twilio', async () => {
    const answer = await withoutUpstream(world, () => execute(world, 'CancelOrder', { To: '+14155550100' }))
    const error = expectRpcError(answer, 404, 'NOT_FOUND')
    expect(error.message).toMatch(/^Action CancelOrder not found/)
    for (const name of ACTION_NAMES) expect(error.message).toContain(name)
    expect(expectRpcError(await execute(world, 'sendMessage', {}), 404, 'NOT_FOUND').message).toContain('did you mean SendMessage?')
  })

  it('…whatever the body, and an action path without :execute is no method at all', async () => {
    for (const body of [undefined, 'null', '[1]', '{"parameters":5}']) {
      const answer = await world.call('POST', `${actionPath('Nope')}:execute`, body === undefined ? undefined : JSON.parse(body))
      expectRpcError(answer, 404, 'NOT_FOUND')
    }
    expectRpcError(await world.call('POST', actionPath('SendMessage'), { parameters: {} }), 404, 'NOT_FOUND')
  })
})

describe('the connection runtime', () => {
  let throttled: TestGateway
  const suspended = connectionAt('suspended-actions')

  beforeAll(async () => {
    world.gateway.connections.put(connection(suspended.name, world.sandbox.accountSid,
      world.gateway.secrets.addVersion('projects/p/secrets/suspended-actions', world.sandbox.authToken), { sandbox: true, suspended: true }))
    // 1 transaction per second per node and a clock that stands still: the sandbox connection (2 nodes) admits 2.
    throttled = await startGateway({ sandbox: world.sandbox, config: { tpsPerNode: 1, clock: () => world.clock.now() } })
  })
  afterAll(async () => { await throttled?.close() })

  it('refuses an action on a suspended connection (400 FAILED_PRECONDITION) without calling Twilio', async () => {
    const answer = await withoutUpstream(world, () => world.call('POST', `${actionPath('SendMessage', suspended.path)}:execute`, {
      parameters: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'never sent' }
    }))
    expect(expectRpcError(answer, 400, 'FAILED_PRECONDITION').message).toMatch(/suspended/)
  })

  it('charges each action to the connection\'s throttle: beyond it, 429 RESOURCE_EXHAUSTED with Retry-After, nothing sent', async () => {
    const send = async (): Promise<{ status: number, headers: Record<string, unknown>, body: any }> =>
      throttled.call('POST', `${actionPath('SendMessage')}:execute`, { parameters: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'throttled' } })
    expect((await send()).status).toBe(200)
    expect((await send()).status).toBe(200)
    world.clearUpstream()
    const refused = await send()
    expectRpcError(refused, 429, 'RESOURCE_EXHAUSTED')
    expect(refused.headers['retry-after']).toBeDefined()
    expect(world.upstream()).toEqual([])
  })
})
