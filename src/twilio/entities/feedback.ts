import { FailedPreconditionError } from '../../errors.js'
import type { EntityAdapter, TwilioRecord } from '../entity-adapter.js'
import { accountPath, twilioRequest } from '../raw-request.js'

const feedbackPath = (callSid: string): string => `Calls/${callSid}/Feedback.json`

/**
 * Feedback ↔ Twilio's retired call Feedback resource (`Calls/{CallSid}/Feedback.json`), one per call and keyed by
 * the call's SID. Create and Update are the same POST; Twilio has no list, so List needs a Sid condition (which the
 * runtime turns into a Get before reaching this adapter).
 */
export const feedbackAdapter: EntityAdapter = {
  list: async () => {
    throw new FailedPreconditionError('Twilio cannot list call feedback: list Feedback with the condition Sid = \'CA…\' (the call\'s SID)')
  },
  get: async (upstream, id) => (await twilioRequest(upstream, 'get', accountPath(upstream, feedbackPath(id))))!,
  create: async (upstream, params) =>
    (await twilioRequest(upstream, 'post', accountPath(upstream, feedbackPath(params.path.CallSid!)), params.form))!,
  update: async (upstream, id, params): Promise<TwilioRecord> =>
    (await twilioRequest(upstream, 'post', accountPath(upstream, feedbackPath(id)), params.form))!
}
