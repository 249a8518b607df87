import { sdkResource } from '../sdk-resource.js'

/** IncomingPhoneNumbers ↔ Twilio's IncomingPhoneNumber resource (create buys a number, delete releases it). */
export const incomingPhoneNumbersAdapter = sdkResource({
  collection: (account) => account.incomingPhoneNumbers,
  instance: (account, sid) => account.incomingPhoneNumbers(sid)
})
