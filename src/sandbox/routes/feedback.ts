import { created, found, noContent, ok, route, type Context, type Route } from '../router.js'
import type { AccountData, Call, Feedback, FeedbackStats, FeedbackSummary, Live } from '../store.js'
import { invalidParameter, missingParameter, notFound, rfc2822, utcDay } from '../wire.js'

/**
 * The legacy call Feedback and FeedbackSummary resources, which Twilio retired in 2023 and which only the older
 * OpenAPI spec describes.
 */

export const FEEDBACK_ISSUES = ['audio-latency', 'digits-not-captured', 'dropped-call', 'imperfect-audio',
  'incorrect-caller-id', 'one-way-audio', 'post-dial-delay', 'unsolicited-call'] as const
/** A summary is computed asynchronously: it is `queued` until this much time has passed. */
const COMPLETED_AFTER = 2000

function renderFeedback (call: Call, feedback: Feedback): Record<string, unknown> {
  return {
    account_sid: call.accountSid,
    date_created: rfc2822(feedback.dateCreated),
    date_updated: rfc2822(feedback.dateUpdated),
    issues: [...feedback.issues],
    quality_score: feedback.qualityScore,
    sid: call.sid
  }
}

function renderSummary (summary: FeedbackSummary): Record<string, unknown> {
  const { stats } = summary
  return {
    account_sid: summary.accountSid,
    call_count: stats?.callCount ?? null,
    call_feedback_count: stats?.callFeedbackCount ?? null,
    date_created: rfc2822(summary.dateCreated),
    date_updated: rfc2822(summary.dateUpdated),
    end_date: summary.endDate,
    include_subaccounts: summary.includeSubaccounts,
    issues: stats?.issues ?? null,
    quality_score_average: stats?.average ?? null,
    quality_score_median: stats?.median ?? null,
    quality_score_standard_deviation: stats?.standardDeviation ?? null,
    sid: summary.sid,
    start_date: summary.startDate,
    status: summary.status
  }
}

const round2 = (value: number): number => Math.round(value * 100) / 100

/**
 * Aggregates over the calls made and the feedback given between two UTC days (inclusive): average, median and
 * (population) standard deviation of the quality scores, and each issue's count and share of all calls.
 */
export function summarize (accounts: readonly AccountData[], startDate: string, endDate: string): FeedbackStats {
  const inRange = (ms: number): boolean => {
    const day = utcDay(ms)
    return day >= startDate && day <= endDate
  }
  let callCount = 0
  const scores: number[] = []
  const issueCounts = new Map<string, number>()
  for (const { calls } of accounts) {
    for (const call of calls.values()) {
      if (inRange(call.dateCreated)) callCount++
      if (call.feedback === null || !inRange(call.feedback.dateCreated)) continue
      scores.push(call.feedback.qualityScore)
      for (const issue of call.feedback.issues) issueCounts.set(issue, (issueCounts.get(issue) ?? 0) + 1)
    }
  }
  scores.sort((a, b) => a - b)
  const count = scores.length
  const average = count > 0 ? scores.reduce((sum, score) => sum + score, 0) / count : null
  const middle = count / 2
  const median = count === 0 ? null : count % 2 === 1 ? scores[Math.floor(middle)] as number : ((scores[middle - 1] as number) + (scores[middle] as number)) / 2
  const variance = average === null ? null : scores.reduce((sum, score) => sum + (score - average) ** 2, 0) / count
  return {
    callCount,
    callFeedbackCount: count,
    average: average === null ? null : round2(average),
    median,
    standardDeviation: variance === null ? null : round2(Math.sqrt(variance)),
    issues: [...issueCounts.entries()]
      .sort(([a, countA], [b, countB]) => countB - countA || a.localeCompare(b))
      .map(([description, issueCount]) => ({
        description,
        count: issueCount,
        percentage_of_total_calls: `${(callCount > 0 ? (issueCount / callCount) * 100 : 0).toFixed(2)}%`
      }))
  }
}

/** Completes a summary once the clock has moved on, computing it from the data at that moment. */
class PendingSummary implements Live {
  constructor (private readonly summary: FeedbackSummary, private readonly accounts: () => AccountData[]) {}

  advance (now: number): boolean {
    const { summary } = this
    const due = summary.dateCreated + COMPLETED_AFTER
    if (now < due) return false
    summary.stats = summarize(this.accounts(), summary.startDate, summary.endDate)
    summary.status = 'completed'
    summary.dateUpdated = due
    return true
  }
}

function feedbackCall (context: Context): Call {
  return found(context.data.calls.get(context.params.CallSid ?? ''), context)
}

/** Creates (201, `QualityScore` required) or updates (200) the feedback of a call. */
function giveFeedback (context: Context) {
  const { form, store } = context
  const call = feedbackCall(context)
  const qualityScore = form.integer('QualityScore', 1, 5)
  const issues = form.list('Issue')
  const unknown = issues.find((issue) => !(FEEDBACK_ISSUES as readonly string[]).includes(issue))
  if (unknown !== undefined) throw invalidParameter(`Invalid value for Issue: '${unknown}' is not one of ${FEEDBACK_ISSUES.join(', ')}`)
  const now = store.now()
  if (call.feedback === null) {
    if (qualityScore === undefined) throw missingParameter('QualityScore')
    call.feedback = { qualityScore, issues: [...new Set(issues)], dateCreated: now, dateUpdated: now }
    return created(renderFeedback(call, call.feedback))
  }
  const { feedback } = call
  if (qualityScore !== undefined) feedback.qualityScore = qualityScore
  if (form.has('Issue')) feedback.issues = [...new Set(issues)]
  feedback.dateUpdated = now
  return ok(renderFeedback(call, feedback))
}

function dateParameter (context: Context, name: string): string {
  const value = context.form.text(name)
  if (value === undefined) throw missingParameter(name)
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN
  if (Number.isNaN(ms) || utcDay(ms) !== value) throw invalidParameter(`Invalid value for ${name}: '${value}' is not a date (YYYY-MM-DD)`)
  return value
}

function createSummary (context: Context) {
  const { form, data, store } = context
  const startDate = dateParameter(context, 'StartDate')
  const endDate = dateParameter(context, 'EndDate')
  if (startDate > endDate) throw invalidParameter('StartDate must be on or before EndDate')
  const includeSubaccounts = form.boolean('IncludeSubaccounts') ?? false
  form.url('StatusCallback')
  const callbackMethod = form.string('StatusCallbackMethod')?.toUpperCase()
  if (callbackMethod !== undefined && !['HEAD', 'GET', 'POST', 'PATCH', 'PUT', 'DELETE'].includes(callbackMethod)) {
    throw invalidParameter(`Invalid value for StatusCallbackMethod: '${callbackMethod}'`)
  }
  const now = store.now()
  const summary: FeedbackSummary = {
    sid: store.newSid('FS'),
    accountSid: data.account.sid,
    startDate,
    endDate,
    includeSubaccounts,
    status: 'queued',
    dateCreated: now,
    dateUpdated: now,
    stats: null
  }
  data.feedbackSummaries.set(summary.sid, summary)
  store.track(new PendingSummary(summary, () => includeSubaccounts ? store.family(data.account.sid) : [data]))
  return created(renderSummary(summary))
}

function summaryOf (context: Context): FeedbackSummary {
  return found(context.data.feedbackSummaries.get(context.params.Sid ?? ''), context)
}

// FeedbackSummary routes come before the call routes, whose `Calls/{Sid}.json` would match them too.
export const feedbackRoutes: Route[] = [
  route('/Accounts/{AccountSid}/Calls/FeedbackSummary.json', { POST: createSummary }),
  route('/Accounts/{AccountSid}/Calls/FeedbackSummary/{Sid}.json', {
    GET: (context) => ok(renderSummary(summaryOf(context))),
    DELETE: (context) => {
      context.data.feedbackSummaries.delete(summaryOf(context).sid)
      return noContent()
    }
  }),
  route('/Accounts/{AccountSid}/Calls/{CallSid}/Feedback.json', {
    GET: (context) => {
      const call = feedbackCall(context)
      if (call.feedback === null) throw notFound(context.path)
      return ok(renderFeedback(call, call.feedback))
    },
    POST: giveFeedback
  })
]
