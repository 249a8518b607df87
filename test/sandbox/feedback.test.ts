/** The legacy call Feedback and FeedbackSummary resources, and the aggregates a summary computes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GOOGLE_EXAMPLE_SIDS } from '../../src/sandbox/app.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { manualClock, twilioError, TwilioHttp } from './support/http.js'

const clock = manualClock(Date.UTC(2025, 5, 16, 12))
const TODAY = '2025-06-16'
let sandbox: TestSandbox
let http: TwilioHttp
let onSubaccount: TwilioHttp

beforeAll(async () => {
  sandbox = await startSandbox({ now: clock.now, seed: { calls: 0, messages: 0 } })
  http = new TwilioHttp(sandbox)
  onSubaccount = http.as(sandbox.accountSid, sandbox.authToken, sandbox.subaccount.sid)
})
afterAll(async () => { await sandbox.close() })

/** Places a call and lets it complete. */
async function completedCall (client: TwilioHttp, from: string): Promise<string> {
  const { body, status, text } = await client.post('Calls.json', { To: '+14155550180', From: from, Url: 'https://demo.twilio.com/welcome/voice/' })
  expect(status, text).toBe(201)
  clock.advance(60_000)
  return body.sid
}

describe('call Feedback', () => {
  const path = `Calls/${GOOGLE_EXAMPLE_SIDS.callWithoutFeedback}/Feedback.json`

  it('is 404 until given; the first one needs a valid QualityScore', async () => {
    expect(twilioError(await http.get(path))).toMatchObject({
      status: 404, code: 20404, message: `The requested resource /2010-04-01/Accounts/${sandbox.accountSid}/${path} was not found`
    })
    expect(twilioError(await http.post(path, { Issue: 'dropped-call' }))).toMatchObject({ code: 20001, message: 'Missing required parameter QualityScore in the post body' })
    for (const score of ['0', '6', '4.5', 'five']) expect(twilioError(await http.post(path, { QualityScore: score })).code).toBe(20001)
    expect(twilioError(await http.post(path, { QualityScore: '3', Issue: 'bad-vibes' })).message).toMatch(/Issue/)
    expect(twilioError(await http.post(`Calls/CA${'0'.repeat(32)}/Feedback.json`, { QualityScore: '3' })).code).toBe(20404)
  })

  it('is created (201) by Google\'s example, then updated (200) and read back', async () => {
    const created = await http.post(path, { QualityScore: '5' })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ sid: GOOGLE_EXAMPLE_SIDS.callWithoutFeedback, account_sid: sandbox.accountSid, quality_score: 5, issues: [] })
    clock.advance(1000)
    const updated = await http.post(path, { Issue: ['post-dial-delay', 'audio-latency'] })
    expect(updated.status).toBe(200)
    expect(updated.body).toMatchObject({ quality_score: 5, issues: ['post-dial-delay', 'audio-latency'] })
    expect(Date.parse(updated.body.date_updated) - Date.parse(updated.body.date_created)).toBe(1000)
    expect((await http.get(path)).body).toEqual(updated.body)
  })
})

describe('FeedbackSummary', () => {
  it.each([
    [{ EndDate: TODAY }, 'Missing required parameter StartDate in the post body'],
    [{ StartDate: TODAY }, 'Missing required parameter EndDate in the post body'],
    [{ StartDate: '2025-02-30', EndDate: TODAY }, /StartDate/],
    [{ StartDate: '06/01/2025', EndDate: TODAY }, /StartDate/],
    [{ StartDate: TODAY, EndDate: '2025-06-01' }, /on or before/],
    [{ StartDate: TODAY, EndDate: TODAY, IncludeSubaccounts: 'yes' }, /IncludeSubaccounts/]
  ])('rejects %j', async (form, message) => {
    const error = twilioError(await http.post('Calls/FeedbackSummary.json', form))
    expect(error).toMatchObject({ status: 400, code: 20001 })
    expect(error.message).toMatch(message)
  })

  it('is queued with null aggregates, completes after 2 s, and can be deleted', async () => {
    const created = await http.post('Calls/FeedbackSummary.json', { StartDate: '2014-06-01', EndDate: '2014-06-04' })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      sid: expect.stringMatching(/^FS[0-9a-f]{32}$/), status: 'queued', start_date: '2014-06-01', end_date: '2014-06-04', include_subaccounts: false,
      call_count: null, call_feedback_count: null, quality_score_average: null, quality_score_median: null, quality_score_standard_deviation: null, issues: null
    })
    const path = `Calls/FeedbackSummary/${created.body.sid}.json`
    clock.advance(1999)
    expect((await http.get(path)).body.status).toBe('queued')
    clock.advance(1)
    const completed = (await http.get(path)).body
    expect(completed).toMatchObject({ status: 'completed', call_count: 0, call_feedback_count: 0, quality_score_average: null, issues: [] })
    expect(Date.parse(completed.date_updated)).toBe(clock.now())
    expect((await http.delete(path)).status).toBe(204)
    expect(twilioError(await http.get(path)).code).toBe(20404)
    expect(twilioError(await http.delete(path)).code).toBe(20404)
  })

  it('aggregates the calls and the feedback of its days, with subaccounts on request', async () => {
    clock.set(Date.UTC(2025, 5, 20, 8))
    const day = '2025-06-20'
    const scores: Array<[number, string[]]> = [[5, []], [4, []], [2, ['dropped-call', 'one-way-audio']], [1, ['dropped-call']]]
    for (const [score, issues] of scores) {
      const sid = await completedCall(http, '+15005550006')
      expect((await http.post(`Calls/${sid}/Feedback.json`, { QualityScore: String(score), Issue: issues })).status).toBe(201)
    }
    await completedCall(http, '+15005550006')
    const subaccountCall = await completedCall(onSubaccount, '+14155550190')
    await onSubaccount.post(`Calls/${subaccountCall}/Feedback.json`, { QualityScore: '3', Issue: 'imperfect-audio' })

    const summarize = async (form: Record<string, string>) => {
      const { body } = await http.post('Calls/FeedbackSummary.json', { StartDate: day, EndDate: day, ...form })
      clock.advance(2000)
      return (await http.get(`Calls/FeedbackSummary/${body.sid}.json`)).body
    }
    expect(await summarize({})).toMatchObject({
      status: 'completed', call_count: 5, call_feedback_count: 4, quality_score_average: 3, quality_score_median: 3, quality_score_standard_deviation: 1.58,
      issues: [
        { description: 'dropped-call', count: 2, percentage_of_total_calls: '40.00%' },
        { description: 'one-way-audio', count: 1, percentage_of_total_calls: '20.00%' }
      ]
    })
    expect(await summarize({ IncludeSubaccounts: 'true' })).toMatchObject({
      include_subaccounts: true, call_count: 6, call_feedback_count: 5, quality_score_average: 3, quality_score_median: 3, quality_score_standard_deviation: 1.41,
      issues: [
        { description: 'dropped-call', count: 2, percentage_of_total_calls: '33.33%' },
        { description: 'imperfect-audio', count: 1, percentage_of_total_calls: '16.67%' },
        { description: 'one-way-audio', count: 1, percentage_of_total_calls: '16.67%' }
      ]
    })
    // The summary of the day before has nothing of that day.
    expect(await summarize({ StartDate: '2025-06-19', EndDate: '2025-06-19' })).toMatchObject({ call_count: 0, call_feedback_count: 0 })
  })
})
