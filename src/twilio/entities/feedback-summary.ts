import type { EntityAdapter } from '../entity-adapter.js'
import { accountPath, twilioRequest } from '../raw-request.js'

/**
 * FeedbackSummary ↔ Twilio's retired call FeedbackSummary resource: created for a date range, computed
 * asynchronously (Status queued → completed), then read or deleted. Twilio has no list or update for it.
 */
export const feedbackSummaryAdapter: EntityAdapter = {
  get: async (upstream, id) => (await twilioRequest(upstream, 'get', accountPath(upstream, `Calls/FeedbackSummary/${id}.json`)))!,
  create: async (upstream, params) =>
    (await twilioRequest(upstream, 'post', accountPath(upstream, 'Calls/FeedbackSummary.json'), params.form))!,
  delete: async (upstream, id) => { await twilioRequest(upstream, 'delete', accountPath(upstream, `Calls/FeedbackSummary/${id}.json`)) }
}
