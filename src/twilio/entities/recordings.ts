import { FailedPreconditionError } from '../../errors.js'
import type { EntityAdapter } from '../entity-adapter.js'
import { account, listPage, record, sdkParams } from '../sdk-resource.js'

/**
 * Recordings ↔ Twilio's account-level Recording resource. Twilio creates and updates recordings only through their
 * call (`Calls/{CallSid}/Recordings`), so Create takes the CallSid and Update first reads the recording's call.
 */
export const recordingsAdapter: Required<EntityAdapter> = {
  list: (upstream, request) => listPage(upstream, account(upstream).recordings, request),
  get: async (upstream, id) => record(await account(upstream).recordings(id).fetch()),
  create: async (upstream, params) =>
    record(await account(upstream).calls(params.path.CallSid!).recordings.create(sdkParams(params))),
  update: async (upstream, id, params) => {
    const { callSid } = await account(upstream).recordings(id).fetch()
    if (!callSid) throw new FailedPreconditionError(`Recording ${id} belongs to no call (a conference recording); Twilio updates it only through its conference`)
    return record(await account(upstream).calls(callSid).recordings(id).update(sdkParams(params) as { status: 'stopped' }))
  },
  delete: async (upstream, id) => { await account(upstream).recordings(id).remove() }
}
