import { sdkResource } from '../sdk-resource.js'

/** Messages ↔ Twilio's Message resource. */
export const messagesAdapter = sdkResource({
  collection: (account) => account.messages,
  instance: (account, sid) => account.messages(sid)
})
