import { Filters } from '../filters.js'
import { listPage } from '../paging.js'
import { formatNumber, isE164 } from '../phone.js'
import { accountUri, found, noContent, ok, route, type Context, type Route } from '../router.js'
import type { AccountData, CallerId, Live } from '../store.js'
import { badRequest, invalidParameter, missingParameter, rfc2822 } from '../wire.js'

/** The simulated callee answers the validation call and keys in the code; the caller ID is then verified. */
const VERIFIED_AFTER = 30_000

function renderCallerId (callerId: CallerId): Record<string, unknown> {
  return {
    sid: callerId.sid,
    date_created: rfc2822(callerId.dateCreated),
    date_updated: rfc2822(callerId.dateUpdated),
    friendly_name: callerId.friendlyName,
    account_sid: callerId.accountSid,
    phone_number: callerId.phoneNumber,
    uri: `${accountUri(callerId.accountSid)}/OutgoingCallerIds/${callerId.sid}.json`
  }
}

/** A validation in progress: once its call is over the number becomes a verified caller ID. */
class PendingValidation implements Live {
  constructor (
    private readonly data: AccountData,
    private readonly phoneNumber: string,
    private readonly friendlyName: string,
    private readonly due: number,
    private readonly newSid: () => string
  ) {}

  advance (now: number): boolean {
    if (now < this.due) return false
    if (!this.data.callerIds.values().some((callerId) => callerId.phoneNumber === this.phoneNumber)) {
      this.data.callerIds.add({
        sid: this.newSid(),
        accountSid: this.data.account.sid,
        phoneNumber: this.phoneNumber,
        friendlyName: this.friendlyName,
        dateCreated: this.due,
        dateUpdated: this.due
      })
    }
    return true
  }
}

function list (context: Context) {
  const filters = new Filters<CallerId>(context.query.params)
    .equals('PhoneNumber', (callerId) => callerId.phoneNumber)
    .equals('FriendlyName', (callerId) => callerId.friendlyName)
  return ok(listPage(context.query, {
    key: 'outgoing_caller_ids',
    records: context.data.callerIds,
    filterNames: filters.names,
    match: filters.match,
    render: renderCallerId
  }))
}

/** Starts verifying a caller ID (Twilio's ValidationRequest): answers 200 with the code to key in. */
function create (context: Context) {
  const { form, data, store } = context
  const phoneNumber = form.text('PhoneNumber')
  if (phoneNumber === undefined) throw missingParameter('PhoneNumber')
  if (!isE164(phoneNumber)) throw invalidParameter(`Invalid value for PhoneNumber: '${phoneNumber}' is not an E.164 phone number`)
  const friendlyName = form.text('FriendlyName', 64) ?? formatNumber(phoneNumber)
  const callDelay = form.integer('CallDelay', 0, 60) ?? 0
  const extension = form.text('Extension')
  if (extension !== undefined && !/^[\d#*wW]+$/.test(extension)) throw invalidParameter(`Invalid value for Extension: '${extension}'`)
  form.url('StatusCallback')
  form.httpMethod('StatusCallbackMethod')
  if (data.callerIds.values().some((callerId) => callerId.phoneNumber === phoneNumber)) {
    throw badRequest(21450, `Phone number ${phoneNumber} is already verified for your account.`)
  }
  const callSid = store.newSid('CA')
  const validationCode = store.random.digits(6)
  store.track(new PendingValidation(data, phoneNumber, friendlyName, store.now() + callDelay * 1000 + VERIFIED_AFTER, () => store.newSid('PN')))
  return ok({
    account_sid: data.account.sid,
    call_sid: callSid,
    friendly_name: friendlyName,
    phone_number: phoneNumber,
    validation_code: validationCode
  })
}

function update (context: Context) {
  const { form, data, store } = context
  const callerId = found(data.callerIds.get(context.params.Sid ?? ''), context)
  const friendlyName = form.text('FriendlyName', 64)
  if (friendlyName !== undefined) {
    callerId.friendlyName = friendlyName
    callerId.dateUpdated = store.now()
  }
  return ok(renderCallerId(callerId))
}

export const outgoingCallerIdRoutes: Route[] = [
  route('/Accounts/{AccountSid}/OutgoingCallerIds.json', { GET: list, POST: create }),
  route('/Accounts/{AccountSid}/OutgoingCallerIds/{Sid}.json', {
    GET: (context) => ok(renderCallerId(found(context.data.callerIds.get(context.params.Sid ?? ''), context))),
    POST: update,
    DELETE: (context) => {
      const callerId = found(context.data.callerIds.get(context.params.Sid ?? ''), context)
      context.data.callerIds.remove(callerId)
      return noContent()
    }
  })
]
