import { account, record, sdkParams, sdkResource } from '../sdk-resource.js'
import type { EntityAdapter } from '../entity-adapter.js'

const callerIds = sdkResource({
  collection: (account) => account.outgoingCallerIds,
  instance: (account, sid) => account.outgoingCallerIds(sid)
})

/**
 * OutgoingCallerIds ↔ Twilio's OutgoingCallerId resource. Create starts a caller-ID verification and answers the
 * ValidationRequest (with the code to key in), not a caller ID: Twilio creates the caller ID once the code is entered.
 */
export const outgoingCallerIdsAdapter: EntityAdapter = {
  ...callerIds,
  create: async (upstream, params) =>
    record(await account(upstream).validationRequests.create(sdkParams(params) as { phoneNumber: string }))
}
