import { FailedPreconditionError } from '../../errors.js'
import type { UpstreamContext } from '../client.js'
import type { EntityAdapter, TwilioRecord } from '../entity-adapter.js'
import { account, listPage, record, sdkParams } from '../sdk-resource.js'

const fetchRecording = async (upstream: UpstreamContext, sid: string): Promise<TwilioRecord> =>
  record(await account(upstream).recordings(sid).fetch())

/**
 * Answers the recording as the account-level resource shows it (its own URI, media URL and subresources) rather
 * than the call's view that a write returns; if that read fails, the write's own answer stands, since the write
 * itself happened.
 */
async function asRecording (upstream: UpstreamContext, written: TwilioRecord): Promise<TwilioRecord> {
  const sid = written.sid
  if (typeof sid !== 'string') return written
  return fetchRecording(upstream, sid).catch(() => written)
}

/**
 * Recordings ↔ Twilio's account-level Recording resource. Twilio creates and updates recordings only through their
 * call (`Calls/{CallSid}/Recordings`), so Create takes the CallSid and Update first reads the recording's call.
 */
export const recordingsAdapter: Required<EntityAdapter> = {
  list: (upstream, request) => listPage(upstream, account(upstream).recordings, request),
  get: fetchRecording,
  create: async (upstream, params) =>
    asRecording(upstream, record(await account(upstream).calls(params.path.CallSid!).recordings.create(sdkParams(params)))),
  update: async (upstream, id, params) => {
    const { callSid } = await account(upstream).recordings(id).fetch()
    if (!callSid) throw new FailedPreconditionError(`Recording ${id} belongs to no call (a conference recording); Twilio updates it only through its conference`)
    const updated = await account(upstream).calls(callSid).recordings(id).update(sdkParams(params) as { status: 'stopped' })
    return asRecording(upstream, record(updated))
  },
  delete: async (upstream, id) => { await account(upstream).recordings(id).remove() }
}
