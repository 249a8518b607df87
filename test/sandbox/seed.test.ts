/** The seed data: realistic, deterministic, spread over 90 days, with Google's example records in usable states. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GOOGLE_EXAMPLE_SIDS } from '../../src/sandbox/app.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { manualClock, TwilioHttp } from './support/http.js'

const DAY = 86_400_000
const clock = manualClock(Date.UTC(2025, 5, 16, 12))
let sandbox: TestSandbox
let http: TwilioHttp
let calls: Array<Record<string, any>>
let messages: Array<Record<string, any>>

beforeAll(async () => {
  sandbox = await startSandbox({ now: clock.now })
  http = new TwilioHttp(sandbox)
  calls = (await http.get('Calls.json', { PageSize: 1000 })).body.calls
  messages = (await http.get('Messages.json', { PageSize: 1000 })).body.messages
})
afterAll(async () => { await sandbox.close() })

const count = <T>(items: T[], key: (item: T) => unknown): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const item of items) counts[String(key(item))] = (counts[String(key(item))] ?? 0) + 1
  return counts
}

describe('Google\'s example records', () => {
  it('exist in the states their examples need', async () => {
    expect((await http.get(`Recordings/${GOOGLE_EXAMPLE_SIDS.recording}.json`)).body.status).toBe('completed')
    expect((await http.get(`Calls/${GOOGLE_EXAMPLE_SIDS.deletableCall}.json`)).body.status).toBe('completed')
    expect((await http.get(`Calls/${GOOGLE_EXAMPLE_SIDS.callWithoutFeedback}.json`)).body.status).toBe('completed')
    expect((await http.get(`Calls/${GOOGLE_EXAMPLE_SIDS.callWithoutFeedback}/Feedback.json`)).status).toBe(404)
    const message = (await http.get(`Messages/${GOOGLE_EXAMPLE_SIDS.message}.json`)).body
    expect(message.status).toBe('delivered')
    expect(message.body).not.toBe('')
    expect((await http.get(`IncomingPhoneNumbers/${GOOGLE_EXAMPLE_SIDS.incomingPhoneNumber}.json`)).status).toBe(200)
    expect((await http.get(`OutgoingCallerIds/${GOOGLE_EXAMPLE_SIDS.outgoingCallerId}.json`)).status).toBe(200)
  })
})

describe('the default seed', () => {
  it('has 300 calls and 500 messages over the 90 days before now', () => {
    expect(calls).toHaveLength(300)
    expect(messages).toHaveLength(500)
    for (const records of [calls, messages]) {
      const created = records.map((record) => Date.parse(record.date_created))
      expect(Math.max(...created)).toBeLessThanOrEqual(clock.now())
      expect(Math.min(...created)).toBeGreaterThanOrEqual(clock.now() - 90 * DAY)
      expect(Math.min(...created)).toBeLessThan(clock.now() - 80 * DAY)
      for (const record of records) {
        for (const field of ['date_updated', 'date_sent', 'start_time', 'end_time']) {
          if (record[field]) expect(Date.parse(record[field])).toBeLessThanOrEqual(clock.now())
        }
      }
    }
  })

  it('has realistic calls: statuses, directions, child legs, prices and durations', () => {
    expect(Object.keys(count(calls, (call) => call.status)).sort()).toEqual(['busy', 'canceled', 'completed', 'failed', 'no-answer'])
    expect(Object.keys(count(calls, (call) => call.direction)).sort()).toEqual(['inbound', 'outbound-api', 'outbound-dial'])
    const sids = new Set(calls.map((call) => call.sid))
    const children = calls.filter((call) => call.parent_call_sid !== null)
    expect(children.length).toBeGreaterThan(0)
    expect(children.every((child) => child.direction === 'outbound-dial' && sids.has(child.parent_call_sid))).toBe(true)
    for (const call of calls) {
      if (call.status === 'completed') {
        expect(call.duration).toMatch(/^\d+$/)
        expect(call.price).toMatch(/^-0\.\d{5}$/)
        expect(Date.parse(call.end_time) - Date.parse(call.start_time)).toBe(Number(call.duration) * 1000)
      } else {
        expect([call.duration, call.price, call.end_time]).toEqual([null, null, null])
      }
    }
  })

  it('has realistic messages: SMS, MMS and WhatsApp, delivery outcomes with error codes', () => {
    expect(Object.keys(count(messages, (message) => message.status)).sort()).toEqual(['delivered', 'failed', 'read', 'received', 'undelivered'])
    expect(count(messages, (message) => String(message.to).startsWith('whatsapp:') || String(message.from).startsWith('whatsapp:')).true).toBeGreaterThan(50)
    expect(messages.some((message) => message.sid.startsWith('MM') && Number(message.num_media) > 0)).toBe(true)
    for (const message of messages) {
      const failing = message.status === 'failed' || message.status === 'undelivered'
      expect(message.error_code !== null).toBe(failing)
      expect(message.error_message !== null).toBe(failing)
      if (message.direction === 'inbound') expect(message.status).toBe('received')
    }
  })

  it('has recordings of about a third of the completed calls, and feedback on some calls', async () => {
    const completed = calls.filter((call) => call.status === 'completed').length
    const recordings = (await http.get('Recordings.json', { PageSize: 1000, IncludeSoftDeleted: 'true' })).body.recordings
    expect(recordings.length).toBeGreaterThan(completed * 0.25)
    expect(recordings.length).toBeLessThan(completed * 0.42)
    const summary = await http.post('Calls/FeedbackSummary.json', { StartDate: '2000-01-01', EndDate: '2100-01-01' })
    clock.advance(2000)
    const stats = (await http.get(`Calls/FeedbackSummary/${summary.body.sid}.json`)).body
    expect(stats.call_feedback_count).toBeGreaterThan(completed * 0.1)
    expect(stats.call_feedback_count).toBeLessThan(completed * 0.3)
    expect(stats.issues.length).toBeGreaterThan(0)
  })

  it('has six numbers, four caller IDs and a subaccount with its own data', async () => {
    expect((await http.get('IncomingPhoneNumbers.json')).body.incoming_phone_numbers).toHaveLength(6)
    expect((await http.get('OutgoingCallerIds.json')).body.outgoing_caller_ids).toHaveLength(4)
    const subaccount = http.as(sandbox.accountSid, sandbox.authToken, sandbox.subaccount.sid)
    expect((await subaccount.get('Calls.json')).body.calls.length).toBeGreaterThan(0)
    expect((await subaccount.get('IncomingPhoneNumbers.json')).body.incoming_phone_numbers).toHaveLength(1)
  })
})

describe('determinism', () => {
  it('yields the same data for the same random seed and start time, and other data for another seed', async () => {
    const read = async (options: { randomSeed?: number }) => {
      const other = await startSandbox({ now: () => Date.UTC(2025, 5, 16, 12), seed: { calls: 40, messages: 40 }, ...options })
      try {
        const client = new TwilioHttp(other)
        return [(await client.get('Calls.json', { PageSize: 1000 })).body, (await client.get('Messages.json', { PageSize: 1000 })).body]
      } finally {
        await other.close()
      }
    }
    const first = await read({})
    expect(await read({})).toEqual(first)
    expect(await read({ randomSeed: 2 })).not.toEqual(first)
  })

  it('seeds 100,000 messages quickly enough for the paging benchmark', async () => {
    const big = await startSandbox({ seed: { calls: 0, messages: 100_000 } })
    try {
      const client = new TwilioHttp(big)
      const last = await client.get('Messages.json', { PageSize: 1000, Page: 99 })
      expect(last.body).toMatchObject({ start: 99_000, end: 99_999, next_page_uri: null })
      expect(last.body.messages).toHaveLength(1000)
    } finally {
      await big.close()
    }
  })
})
