import { sdkResource } from '../sdk-resource.js'

/** Calls ↔ Twilio's Call resource. */
export const callsAdapter = sdkResource({
  collection: (account) => account.calls,
  instance: (account, sid) => account.calls(sid)
})
