/** Recordings: account and call views of the same records, soft delete, recording a live call. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GOOGLE_EXAMPLE_SIDS } from '../../src/sandbox/app.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { manualClock, twilioError, TwilioHttp } from './support/http.js'

interface Recording { sid: string, call_sid: string, status: string, date_created: string, duration: string | null, price: string | number | null }

const clock = manualClock()
let sandbox: TestSandbox
let http: TwilioHttp

beforeAll(async () => {
  sandbox = await startSandbox({ now: clock.now, seed: { calls: 150, messages: 0 } })
  http = new TwilioHttp(sandbox)
})
afterAll(async () => { await sandbox.close() })
beforeEach(() => { clock.set(Date.UTC(2025, 5, 16, 12)) })

async function liveCall (): Promise<string> {
  const { body } = await http.post('Calls.json', { To: '+14155550150', From: '+15005550006', Url: 'https://demo.twilio.com/welcome/voice/' })
  clock.advance(2000)
  return body.sid
}

describe('the seeded recordings', () => {
  it('cover about a third of the completed calls and include Google\'s example', async () => {
    const recordings = (await http.get('Recordings.json', { PageSize: 1000 })).body.recordings as Recording[]
    const completedCalls = (await http.get('Calls.json', { Status: 'completed', PageSize: 1000 })).body.calls as Array<{ sid: string }>
    expect(recordings.length).toBeGreaterThan(completedCalls.length * 0.2)
    expect(recordings.length).toBeLessThan(completedCalls.length * 0.5)
    const example = recordings.find((recording) => recording.sid === GOOGLE_EXAMPLE_SIDS.recording)
    expect(example?.status).toBe('completed')
    expect((await http.get(`Calls/${example?.call_sid ?? ''}.json`)).body.status).toBe('completed')
    expect(recordings.every((recording) => recording.status !== 'deleted')).toBe(true)
  })

  it('filter by call and by creation day', async () => {
    const { body } = await http.get(`Recordings/${GOOGLE_EXAMPLE_SIDS.recording}.json`)
    const byCall = await http.get('Recordings.json', { CallSid: body.call_sid })
    expect(byCall.body.recordings.map((recording: Recording) => recording.sid)).toEqual([GOOGLE_EXAMPLE_SIDS.recording])
    const day = new Date(body.date_created).toISOString().slice(0, 10)
    const sameDay = (await http.get('Recordings.json', { DateCreated: day })).body.recordings as Recording[]
    expect(sameDay.map((recording) => recording.sid)).toContain(GOOGLE_EXAMPLE_SIDS.recording)
    expect(sameDay.every((recording) => new Date(recording.date_created).toISOString().startsWith(day))).toBe(true)
    expect((await http.get('Recordings.json', { ConferenceSid: `CF${'0'.repeat(32)}` })).body.recordings).toEqual([])
  })
})

describe('soft delete', () => {
  it('hides a deleted recording unless IncludeSoftDeleted=true, where its status is deleted', async () => {
    const path = `Recordings/${GOOGLE_EXAMPLE_SIDS.recording}.json`
    expect((await http.delete(path)).status).toBe(204)
    expect(twilioError(await http.get(path))).toMatchObject({ status: 404, code: 20404 })
    expect(twilioError(await http.delete(path)).code).toBe(20404)
    const soft = await http.get(path, { IncludeSoftDeleted: 'true' })
    expect(soft.body).toMatchObject({ sid: GOOGLE_EXAMPLE_SIDS.recording, status: 'deleted' })
    expect(Date.parse(soft.body.date_updated)).toBe(clock.now())
    const visible = (await http.get('Recordings.json', { PageSize: 1000 })).body.recordings as Recording[]
    expect(visible.map((recording) => recording.sid)).not.toContain(GOOGLE_EXAMPLE_SIDS.recording)
    const all = await http.get('Recordings.json', { PageSize: 1000, IncludeSoftDeleted: 'true' })
    expect(all.body.recordings.filter((recording: Recording) => recording.status === 'deleted').map((recording: Recording) => recording.sid))
      .toContain(GOOGLE_EXAMPLE_SIDS.recording)
    expect(all.body.uri).toContain('IncludeSoftDeleted=true')
    // The call's own view no longer shows it either.
    expect((await http.get(`Calls/${soft.body.call_sid}/Recordings.json`)).body.recordings).toEqual([])
  })
})

describe('recording a call', () => {
  it('only records a call in progress (21220 otherwise)', async () => {
    const { body } = await http.post('Calls.json', { To: '+14155550151', From: '+15005550006', Url: 'https://demo.twilio.com/welcome/voice/' })
    expect(twilioError(await http.post(`Calls/${body.sid}/Recordings.json`))).toMatchObject({ status: 400, code: 21220 })
    expect(twilioError(await http.post(`Calls/${GOOGLE_EXAMPLE_SIDS.deletableCall}/Recordings.json`)).code).toBe(21220)
    expect(twilioError(await http.post(`Calls/CA${'0'.repeat(32)}/Recordings.json`)).code).toBe(20404)
  })

  it('pauses, resumes and stops; a stopped recording completes 1 s later with a duration and a price', async () => {
    const callSid = await liveCall()
    const created = await http.post(`Calls/${callSid}/Recordings.json`, { RecordingChannels: 'dual', RecordingTrack: 'inbound' })
    expect(created.status, created.text).toBe(201)
    expect(created.body).toMatchObject({ status: 'in-progress', channels: 2, track: 'inbound', source: 'StartCallRecordingAPI', price: null, duration: null })
    const path = `Calls/${callSid}/Recordings/${created.body.sid}.json`
    expect(twilioError(await http.post(path, {})).code).toBe(20001)
    expect(twilioError(await http.post(path, { Status: 'absent' })).code).toBe(20001)
    expect((await http.post(path, { Status: 'paused', PauseBehavior: 'silence' })).body.status).toBe('paused')
    expect((await http.post(`Calls/${callSid}/Recordings/Twilio.CURRENT.json`, { Status: 'in-progress' })).body.sid).toBe(created.body.sid)
    expect(twilioError(await http.delete(path)).code).toBe(20009)
    clock.advance(40_000)
    expect((await http.post(path, { Status: 'stopped' })).body.status).toBe('stopped')
    clock.advance(1000)
    const done = (await http.get(path)).body
    expect(done).toMatchObject({ status: 'completed', duration: '40', price: -0.0025, price_unit: 'USD' })
    const account = (await http.get(`Recordings/${created.body.sid}.json`)).body
    expect(account).toMatchObject({ status: 'completed', duration: '40', price: '-0.00250', call_sid: callSid })
    expect(account.media_url).toBe(`${sandbox.baseUrl}/2010-04-01/Accounts/${sandbox.accountSid}/Recordings/${created.body.sid}`)
    expect(twilioError(await http.post(path, { Status: 'paused' })).code).toBe(21220)
  })

  it('stops with the call: hanging up completes the recording', async () => {
    const callSid = await liveCall()
    const created = await http.post(`Calls/${callSid}/Recordings.json`)
    clock.advance(30_000)
    await http.post(`Calls/${callSid}.json`, { Status: 'completed' })
    clock.advance(1000)
    const listed = (await http.get(`Calls/${callSid}/Recordings.json`)).body.recordings as Recording[]
    expect(listed).toHaveLength(1)
    expect(listed[0]).toMatchObject({ sid: created.body.sid, status: 'completed', duration: '30' })
    expect(twilioError(await http.get(`Calls/${GOOGLE_EXAMPLE_SIDS.deletableCall}/Recordings/${created.body.sid}.json`)).code).toBe(20404)
  })

  it('also completes when the call ends by itself, even if read much later', async () => {
    const callSid = await liveCall()
    const created = await http.post(`Calls/${callSid}/Recordings.json`)
    clock.advance(3_600_000)
    expect((await http.get(`Recordings/${created.body.sid}.json`)).body).toMatchObject({ status: 'completed', duration: '58' })
  })
})
