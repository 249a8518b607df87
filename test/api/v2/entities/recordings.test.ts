/** Recordings end to end: list, get (Google's recording), create and update through the call, delete, validation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  accountPath, entityPath, expectDeleted, expectEntity, expectEntityList, expectIdsRefused, expectRpcError, GOOGLE, iso, OWNED_NUMBER, startWorld, twilioErrorInfo, violatedFields, withoutUpstream, type World
} from '../support.js'

let world: World
beforeAll(async () => { world = await startWorld() })
afterAll(async () => { await world.close() })

const path = (id?: string): string => entityPath('Recordings', id)

describe('Recordings LIST and GET', () => {
  it('lists typed rows with their entity names and every field of the schema', async () => {
    const rows = expectEntityList(await world.call('GET', path()), 'Recordings')
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) {
      expect(row.Sid).toMatch(/^RE[0-9a-f]{32}$/)
      expect(row.Status).toBe('completed')
      expect(typeof row.Duration).toBe('number')
      expect(typeof row.Channels).toBe('number')
    }
  })

  it('gets the recording of Google\'s page with typed values', async () => {
    const fields = expectEntity(await world.call('GET', path(GOOGLE.recording)), 'Recordings', GOOGLE.recording)
    expect(fields).toMatchObject({
      Status: 'completed',
      Duration: 94,
      Price: -0.005,
      PriceUnit: 'USD',
      Source: 'OutboundAPI',
      ConferenceSid: null,
      ErrorCode: null,
      CallSid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      MediaUrl: expect.stringMatching(/\/Recordings\/RE2e915e78549694bd0a0742d2d39454e5$/),
      SubresourceUris: {
        add_on_results: expect.stringMatching(/AddOnResults\.json$/),
        transcriptions: expect.stringMatching(/Transcriptions\.json$/)
      }
    })
    expect([1, 2]).toContain(fields.Channels)
  })
})

describe('Recordings CREATE, UPDATE and DELETE through the call', () => {
  let callSid: string
  let sid: string
  let createAnswer: Record<string, unknown>
  let updateAnswer: Record<string, unknown>

  beforeAll(async () => {
    const call = expectEntity(await world.call('POST', entityPath('Calls'), {
      fields: { To: '+14155550100', Sender: OWNED_NUMBER, Url: 'https://demo.twilio.com/docs/voice.xml' }
    }), 'Calls')
    callSid = call.Sid as string
  })

  it('cannot record a call that is not in progress yet (Twilio 21220 → 400 INVALID_ARGUMENT)', async () => {
    const answer = await world.call('POST', path(), { fields: { CallSid: callSid } })
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(twilioErrorInfo(answer).metadata.code).toBe('21220')
  })

  it('starts recording the call once it is answered, posting to Calls/{CallSid}/Recordings.json', async () => {
    world.clock.advance(2500)
    world.clearUpstream()
    const fields = expectEntity(await world.call('POST', path(), { fields: { CallSid: callSid, RecordingChannels: 'dual' } }), 'Recordings')
    createAnswer = fields
    sid = fields.Sid as string
    expect(fields).toMatchObject({
      Sid: expect.stringMatching(/^RE[0-9a-f]{32}$/),
      CallSid: callSid,
      Status: 'in-progress',
      Channels: 2,
      Source: 'StartCallRecordingAPI',
      DateCreated: iso(world.clock.now()),
      Duration: null,
      Price: null
    })
    // The create goes through the call; the answer is then read from the account-level recording.
    const requests = world.upstream()
    expect(requests.map((request) => [request.method, accountPath(request, world.sandbox.accountSid)])).toEqual([
      ['POST', `Calls/${callSid}/Recordings.json`],
      ['GET', `Recordings/${fields.Sid as string}.json`]
    ])
    expect(requests[0]?.body).toEqual({ RecordingChannels: 'dual' })
  })

  it('answers the create with the recording as a GET then shows it (its own Uri, MediaUrl, SubresourceUris)', async () => {
    const fields = expectEntity(await world.call('GET', path(sid)), 'Recordings', sid)
    expect(fields.Uri).toBe(`/2010-04-01/Accounts/${world.sandbox.accountSid}/Recordings/${sid}.json`)
    expect(createAnswer).toEqual(fields)
  })

  it('stops it: reads the recording, posts to its call\'s recording, then reads the result', async () => {
    world.clock.advance(4000)
    world.clearUpstream()
    const fields = expectEntity(await world.call('PATCH', path(sid), { fields: { Status: 'stopped' } }), 'Recordings', sid)
    updateAnswer = fields
    expect(fields).toMatchObject({ Status: 'stopped', CallSid: callSid })
    const requests = world.upstream()
    expect(requests.map((request) => [request.method, accountPath(request, world.sandbox.accountSid)])).toEqual([
      ['GET', `Recordings/${sid}.json`],
      ['POST', `Calls/${callSid}/Recordings/${sid}.json`],
      ['GET', `Recordings/${sid}.json`]
    ])
    expect(requests[1]?.body).toEqual({ Status: 'stopped' })
  })

  it('answers the update with the recording as a GET then shows it (its own Uri, MediaUrl, SubresourceUris)', async () => {
    const fields = expectEntity(await world.call('GET', path(sid)), 'Recordings', sid)
    expect(fields.MediaUrl).toEqual(expect.stringMatching(new RegExp(`/Recordings/${sid}$`)))
    expect(updateAnswer).toEqual(fields)
  })

  it('shows the processed recording with its duration and price', async () => {
    world.clock.advance(1000)
    const fields = expectEntity(await world.call('GET', path(sid)), 'Recordings', sid)
    expect(fields).toMatchObject({ Status: 'completed', Duration: 4, Price: -0.0025, PriceUnit: 'USD' })
  })

  it('deletes it, answering {}; Twilio no longer shows it', async () => {
    await expectDeleted(world, path(sid), `Recordings/${sid}.json`)
    expectRpcError(await world.call('GET', path(sid)), 404, 'NOT_FOUND')
  })
})

describe('Recordings validation', () => {
  it.each([
    ['a missing CallSid', { RecordingChannels: 'mono' }, ['fields.CallSid']],
    ['a CallSid that is not a call SID', { CallSid: GOOGLE.message }, ['fields.CallSid']],
    ['a wrong type', { CallSid: GOOGLE.deletableCall, RecordingStatusCallbackEvent: 'completed' }, ['fields.RecordingStatusCallbackEvent']],
    ['a read-only field', { CallSid: GOOGLE.deletableCall, Duration: 3 }, ['fields.Duration']]
  ])('answers a create with %s with 400 INVALID_ARGUMENT, before calling Twilio', async (_case, fields, expected) => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), { fields }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(expected)
  })

  it.each([
    ['no fields (Status is required)', {}, ['fields.Status']],
    ['a status outside the enum', { Status: 'rewound' }, ['fields.Status']],
    ['a field that can only be set on create', { Status: 'paused', CallSid: GOOGLE.deletableCall }, ['fields.CallSid']]
  ])('answers an update with %s with 400 INVALID_ARGUMENT, before calling Twilio', async (_case, fields, expected) => {
    const answer = await withoutUpstream(world, () => world.call('PATCH', path(GOOGLE.recording), { fields }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(expected)
  })

  it('refuses ids that are not Recording SIDs before calling Twilio', async () => {
    await expectIdsRefused(world, 'Recordings', ['RE123', GOOGLE.deletableCall, 'RE%2F..%2Fx', `${GOOGLE.recording}0`],
      ['GET', 'UPDATE', 'DELETE'], { Status: 'stopped' })
  })
})
