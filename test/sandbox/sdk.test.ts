/** The official `twilio` SDK (6.x) works against the sandbox unchanged, through a URI-rewriting RequestClient. */
import twilio from 'twilio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GOOGLE_EXAMPLE_SIDS } from '../../src/sandbox/app.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { manualClock } from './support/http.js'
import { sdkClient } from './support/sdk.js'

const clock = manualClock()
let sandbox: TestSandbox
let client: twilio.Twilio

beforeAll(async () => {
  sandbox = await startSandbox({ now: clock.now, seed: { calls: 60, messages: 120 } })
  client = sdkClient(sandbox)
})
afterAll(async () => { await sandbox.close() })

/** Walks every page with `page()` and `nextPage()`, answering the SIDs in order. */
async function walk<T extends { sid: string }> (first: { instances: T[], nextPage: () => Promise<any> | undefined }): Promise<string[]> {
  const sids: string[] = []
  let page: typeof first | undefined = first
  while (page) {
    sids.push(...page.instances.map((instance) => instance.sid))
    page = await page.nextPage()
  }
  return sids
}

describe('Messages', () => {
  it('pages through every message with page() and nextPage()', async () => {
    const sids = await walk(await client.messages.page({ pageSize: 50 }))
    expect(sids).toHaveLength(120)
    expect(new Set(sids).size).toBe(120)
  })

  it('sends, fetches, redacts and deletes a message', async () => {
    const sent = await client.messages.create({ to: '+14155550110', from: '+15005550006', body: 'Sent with the SDK' })
    expect(sent).toMatchObject({ status: 'queued', to: '+14155550110', numSegments: '1' })
    expect(sent.dateCreated).toBeInstanceOf(Date)
    clock.advance(2000)
    expect((await client.messages(sent.sid).fetch()).status).toBe('delivered')
    expect((await client.messages(sent.sid).update({ body: '' })).body).toBe('')
    expect(await client.messages(sent.sid).remove()).toBe(true)
  })

  it('sends the date filters the SDK serialises (DateSent> as an ISO timestamp) and gets them applied', async () => {
    const after = new Date(clock.now() - 10 * 86_400_000)
    const recent = await client.messages.list({ dateSentAfter: after, limit: 1000 })
    expect(recent.length).toBeGreaterThan(0)
    expect(recent.length).toBeLessThan(120)
    const day = after.toISOString().slice(0, 10)
    for (const message of recent) expect(message.dateSent.toISOString().slice(0, 10) >= day).toBe(true)
    const logged = sandbox.control.requests.list().filter((request) => request.path.endsWith('/Messages.json') && request.method === 'GET').pop()
    expect(Object.keys(logged?.query ?? {})).toContain('DateSent>')
  })

  it('raises RestException with Twilio\'s code and status', async () => {
    await expect(client.messages.create({ to: '+15005550001', from: '+15005550006', body: 'x' })).rejects.toMatchObject({ status: 400, code: 21211 })
    await expect(client.messages(`SM${'0'.repeat(32)}`).fetch()).rejects.toMatchObject({ status: 404, code: 20404 })
  })
})

describe('Calls and their recordings', () => {
  it('pages, places, redirects, records, hangs up and deletes a call', async () => {
    const sids = await walk(await client.calls.page({ pageSize: 25 }))
    expect(new Set(sids).size).toBe(60)
    const call = await client.calls.create({ to: '+14155550111', from: '+15005550006', url: 'https://demo.twilio.com/welcome/voice/' })
    expect(call.status).toBe('queued')
    clock.advance(2500)
    expect((await client.calls(call.sid).fetch()).status).toBe('in-progress')
    await client.calls(call.sid).update({ twiml: '<Response><Pause length="5"/></Response>' })
    const recording = await client.calls(call.sid).recordings.create({ recordingChannels: 'mono' })
    expect(recording.status).toBe('in-progress')
    expect((await client.calls(call.sid).recordings(recording.sid).update({ status: 'paused' })).status).toBe('paused')
    expect((await client.calls(call.sid).recordings.list()).map((item) => item.sid)).toEqual([recording.sid])
    const ended = await client.calls(call.sid).update({ status: 'completed' })
    expect(ended.status).toBe('completed')
    clock.advance(1000)
    expect((await client.calls(call.sid).recordings(recording.sid).fetch()).status).toBe('completed')
    expect(await client.calls(call.sid).remove()).toBe(true)
  })
})

describe('Recordings', () => {
  it('pages, fetches (including soft-deleted) and deletes recordings', async () => {
    const first = await client.recordings.page({ pageSize: 5 })
    expect(first.instances.length).toBe(5)
    const all = await walk(first)
    expect(new Set(all).size).toBe(all.length)
    expect(all.length).toBe((await client.recordings.list({ pageSize: 1000 })).length)
    const recording = await client.recordings(GOOGLE_EXAMPLE_SIDS.recording).fetch()
    expect(recording).toMatchObject({ status: 'completed', sid: GOOGLE_EXAMPLE_SIDS.recording })
    expect(await client.recordings(GOOGLE_EXAMPLE_SIDS.recording).remove()).toBe(true)
    await expect(client.recordings(GOOGLE_EXAMPLE_SIDS.recording).fetch()).rejects.toMatchObject({ code: 20404 })
    expect((await client.recordings(GOOGLE_EXAMPLE_SIDS.recording).fetch({ includeSoftDeleted: true })).status).toBe('deleted')
  })
})

describe('IncomingPhoneNumbers and OutgoingCallerIds', () => {
  it('buys, lists with a pattern, updates and releases a number', async () => {
    const bought = await client.incomingPhoneNumbers.create({ areaCode: '500', friendlyName: 'SDK number' })
    expect(bought.phoneNumber).toMatch(/^\+1500555\d{4}$/)
    expect(bought.phoneNumber).not.toBe('+15005550006')
    const page = await client.incomingPhoneNumbers.page({ phoneNumber: '+1500555*' })
    expect(page.instances.map((number) => number.sid)).toContain(bought.sid)
    expect((await client.incomingPhoneNumbers(bought.sid).update({ friendlyName: 'Renamed' })).friendlyName).toBe('Renamed')
    expect((await client.incomingPhoneNumbers(bought.sid).fetch()).capabilities).toEqual({ voice: true, sms: true, mms: true, fax: false })
    expect(await client.incomingPhoneNumbers(bought.sid).remove()).toBe(true)
  })

  it('starts a caller-ID validation, updates and deletes a caller ID', async () => {
    const validation = await client.validationRequests.create({ phoneNumber: '+14155550112', friendlyName: 'SDK desk' })
    expect(validation.validationCode).toMatch(/^\d{6}$/)
    expect(validation.callSid).toMatch(/^CA[0-9a-f]{32}$/)
    const ids = await client.outgoingCallerIds.list()
    expect(ids.map((id) => id.sid)).toContain(GOOGLE_EXAMPLE_SIDS.outgoingCallerId)
    expect((await client.outgoingCallerIds(GOOGLE_EXAMPLE_SIDS.outgoingCallerId).update({ friendlyName: 'Desk' })).friendlyName).toBe('Desk')
    expect(await client.outgoingCallerIds(GOOGLE_EXAMPLE_SIDS.outgoingCallerId).remove()).toBe(true)
  })
})

describe('Accounts and API keys', () => {
  it('fetches and lists accounts', async () => {
    const account = await client.api.v2010.accounts(sandbox.accountSid).fetch()
    expect(account).toMatchObject({ sid: sandbox.accountSid, status: 'active', type: 'Full' })
    const accounts = await client.api.v2010.accounts.list()
    expect(accounts.map((item) => item.sid).sort()).toEqual([sandbox.accountSid, sandbox.subaccount.sid].sort())
  })

  it('authenticates with an API key acting on its account', async () => {
    const keyed = sdkClient(sandbox, sandbox.apiKey.sid, sandbox.apiKey.secret, sandbox.accountSid)
    expect((await keyed.messages(GOOGLE_EXAMPLE_SIDS.message).fetch()).sid).toBe(GOOGLE_EXAMPLE_SIDS.message)
  })
})

describe('Feedback and FeedbackSummary through client.request (lower-case methods)', () => {
  const base = (): string => `https://api.twilio.com/2010-04-01/Accounts/${sandbox.accountSid}`
  /** `client.request` answers the body as axios parsed it. */
  const json = (response: { body: unknown }): any => typeof response.body === 'string' ? JSON.parse(response.body) : response.body

  it('creates and fetches the feedback of a call', async () => {
    const uri = `${base()}/Calls/${GOOGLE_EXAMPLE_SIDS.callWithoutFeedback}/Feedback.json`
    const created = await client.request({ method: 'post', uri, data: { QualityScore: 4, Issue: ['audio-latency', 'dropped-call'] } })
    expect(created.statusCode).toBe(201)
    expect(json(created)).toMatchObject({ quality_score: 4, issues: ['audio-latency', 'dropped-call'], sid: GOOGLE_EXAMPLE_SIDS.callWithoutFeedback })
    const fetched = await client.request({ method: 'get', uri })
    expect(json(fetched).quality_score).toBe(4)
  })

  it('creates a feedback summary and reads it once completed', async () => {
    const created = await client.request({ method: 'post', uri: `${base()}/Calls/FeedbackSummary.json`, data: { StartDate: '2014-06-01', EndDate: '2100-06-04' } })
    expect(created.statusCode).toBe(201)
    const summary = json(created)
    expect(summary).toMatchObject({ status: 'queued', start_date: '2014-06-01', end_date: '2100-06-04', call_count: null })
    clock.advance(2000)
    const fetched = await client.request({ method: 'get', uri: `${base()}/Calls/FeedbackSummary/${summary.sid}.json` })
    expect(json(fetched)).toMatchObject({ status: 'completed', call_count: expect.any(Number) })
    const removed = await client.request({ method: 'delete', uri: `${base()}/Calls/FeedbackSummary/${summary.sid}.json` })
    expect(removed.statusCode).toBe(204)
  })
})
