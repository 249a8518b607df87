import { Filters } from '../filters.js'
import { listPage } from '../paging.js'
import { formatNumber, isE164 } from '../phone.js'
import { accountUri, created, found, money, noContent, ok, route, type Context, type Route } from '../router.js'
import type { AccountData, Call, CallStatus, Live } from '../store.js'
import { API_VERSION, badRequest, rfc2822, rfc2822OrNull, TwilioError } from '../wire.js'
import { stopRecording } from './recordings.js'

const CALL_STATUSES: readonly CallStatus[] = ['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled']
const LIVE: readonly CallStatus[] = ['queued', 'ringing', 'in-progress']

/** A created call rings after 1 s, is answered after 2 s and hangs up after 60 s (of the injectable clock). */
const RINGS_AFTER = 1000
const ANSWERED_AFTER = 2000
const ENDS_AFTER = 60_000
/** USD per started minute. */
const CALL_RATE = { inbound: 0.0085, outbound: 0.014 }

/** Test-credential `To` numbers, which Twilio rejects with these errors (and so does the sandbox). */
const MAGIC_TO: Record<string, [code: number, message: (to: string) => string]> = {
  '+15005550001': [21217, (to) => `The phone number you are attempting to call, ${to}, is not valid.`],
  '+15005550002': [21214, (to) => `'To' phone number cannot be reached: ${to}`],
  '+15005550003': [21215, (to) => `Account not authorized to call ${to}. Perhaps you need to enable some international permissions: https://www.twilio.com/console/voice/calls/geo-permissions/low-risk`],
  '+15005550004': [21216, (to) => `Account not allowed to call ${to}`]
}
const INVALID_FROM = '+15005550001'
const CALL_SUBRESOURCES = [
  ['notifications', 'Notifications'], ['recordings', 'Recordings'], ['payments', 'Payments'], ['events', 'Events'],
  ['siprec', 'Siprec'], ['streams', 'Streams'], ['transcriptions', 'Transcriptions'],
  ['user_defined_message_subscriptions', 'UserDefinedMessageSubscriptions'], ['user_defined_messages', 'UserDefinedMessages']
] as const

function renderCall (call: Call): Record<string, unknown> {
  const uri = `${accountUri(call.accountSid)}/Calls/${call.sid}`
  return {
    sid: call.sid,
    date_created: rfc2822(call.dateCreated),
    date_updated: rfc2822(call.dateUpdated),
    parent_call_sid: call.parentCallSid,
    account_sid: call.accountSid,
    to: call.to,
    to_formatted: formatNumber(call.to),
    from: call.from,
    from_formatted: formatNumber(call.from),
    phone_number_sid: call.phoneNumberSid,
    status: call.status,
    start_time: rfc2822OrNull(call.startTime),
    end_time: rfc2822OrNull(call.endTime),
    duration: call.duration === null ? null : String(call.duration),
    price: money(call.price),
    price_unit: 'USD',
    direction: call.direction,
    answered_by: call.answeredBy,
    api_version: API_VERSION,
    forwarded_from: call.forwardedFrom,
    group_sid: null,
    caller_name: call.callerName,
    queue_time: String(call.queueTime),
    trunk_sid: null,
    uri: `${uri}.json`,
    subresource_uris: Object.fromEntries(CALL_SUBRESOURCES.map(([name, path]) => [name, `${uri}/${path}.json`]))
  }
}

export function callPrice (call: Pick<Call, 'direction' | 'duration'>): number {
  const minutes = Math.max(1, Math.ceil((call.duration ?? 0) / 60))
  return -minutes * (call.direction === 'inbound' ? CALL_RATE.inbound : CALL_RATE.outbound)
}

/**
 * Ends a call at `at`: answered calls complete with a duration and a price, unanswered ones are canceled; the
 * call's active recordings stop with it.
 */
function endCall (data: AccountData, call: Call, at: number): void {
  if (call.status === 'in-progress') {
    const start = call.startTime ?? at
    call.status = 'completed'
    call.endTime = at
    call.duration = Math.round((at - start) / 1000)
    call.price = callPrice(call)
  } else {
    call.status = 'canceled'
  }
  call.dateUpdated = at
  for (const recording of data.recordings.values()) {
    if (recording.callSid === call.sid) stopRecording(recording, at)
  }
}

/** Moves a created call through ringing and in-progress to completed as the clock passes each step. */
class LiveCall implements Live {
  constructor (private readonly call: Call, private readonly data: AccountData) {}

  advance (now: number): boolean {
    const { call } = this
    if (!LIVE.includes(call.status)) return true
    const created = call.dateCreated
    if (now >= created + ENDS_AFTER) {
      this.reach('in-progress')
      endCall(this.data, call, created + ENDS_AFTER)
      return true
    }
    if (now >= created + ANSWERED_AFTER) this.reach('in-progress')
    else if (now >= created + RINGS_AFTER) this.reach('ringing')
    return false
  }

  private reach (status: 'ringing' | 'in-progress'): void {
    const { call } = this
    if (call.status === status) return
    call.status = status
    call.startTime ??= call.dateCreated + RINGS_AFTER
    call.dateUpdated = call.dateCreated + (status === 'ringing' ? RINGS_AFTER : ANSWERED_AFTER)
  }
}

function list (context: Context) {
  const filters = new Filters<Call>(context.query.params)
    .equals('To', (call) => call.to)
    .equals('From', (call) => call.from)
    .sid('ParentCallSid', 'CA', (call) => call.parentCallSid)
    .oneOf('Status', CALL_STATUSES, (call) => call.status)
    .days('StartTime', (call) => call.startTime)
    .days('EndTime', (call) => call.endTime)
  return ok(listPage(context.query, {
    key: 'calls',
    records: context.data.calls,
    filterNames: filters.names,
    match: filters.match,
    render: renderCall
  }))
}

function create (context: Context) {
  const { form, data, store } = context
  const to = form.text('To')
  if (to === undefined) throw badRequest(21201, "No 'To' number is specified")
  const from = form.text('From')
  if (from === undefined) throw badRequest(21213, "No 'From' number is specified")
  validateInstructions(context)
  if (form.text('Url') === undefined && form.text('Twiml') === undefined && form.text('ApplicationSid') === undefined) {
    throw badRequest(21205, 'Url parameter is required.')
  }
  form.integer('Timeout', 1, 600)
  form.boolean('Record')
  if (from === INVALID_FROM || !isE164(from)) throw badRequest(21212, `The 'From' number ${from} is not a valid phone number.`)
  const owner = data.incomingNumbers.values().find((number) => number.phoneNumber === from) ??
    data.callerIds.values().find((callerId) => callerId.phoneNumber === from)
  if (owner === undefined) {
    throw badRequest(21210, `The source phone number provided, ${from}, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.`)
  }
  const magic = MAGIC_TO[to]
  if (magic) throw badRequest(magic[0], magic[1](to))
  if (!isE164(to) && !/^client:[\w.@-]+$/i.test(to) && !/^sip:[^@\s]+@\S+$/i.test(to)) {
    throw badRequest(21217, `The phone number you are attempting to call, ${to}, is not valid.`)
  }
  const now = store.now()
  const call: Call = {
    sid: store.newSid('CA'),
    accountSid: data.account.sid,
    parentCallSid: null,
    to,
    from,
    phoneNumberSid: owner.sid,
    direction: 'outbound-api',
    status: 'queued',
    dateCreated: now,
    dateUpdated: now,
    startTime: null,
    endTime: null,
    duration: null,
    price: null,
    answeredBy: null,
    forwardedFrom: null,
    callerName: null,
    queueTime: 0,
    feedback: null
  }
  data.calls.add(call)
  store.track(new LiveCall(call, data))
  return created(renderCall(call))
}

/** Checks the TwiML-instruction parameters shared by create and update. */
function validateInstructions ({ form }: Context): void {
  for (const name of ['Url', 'FallbackUrl', 'StatusCallback']) form.url(name)
  for (const name of ['Method', 'FallbackMethod', 'StatusCallbackMethod']) form.httpMethod(name)
  form.text('Twiml', 4000)
  form.sid('ApplicationSid', 'AP')
  form.integer('TimeLimit', 1, 14400)
}

function update (context: Context) {
  const { form, data, store } = context
  const call = found(data.calls.get(context.params.Sid ?? ''), context)
  validateInstructions(context)
  const status = form.oneOf('Status', ['canceled', 'completed'] as const)
  const redirect = form.text('Url') ?? form.text('Twiml')
  const now = store.now()
  const live = LIVE.includes(call.status)
  if (redirect !== undefined && !live) throw badRequest(21220, 'Call is not in-progress. Cannot redirect.')
  if (status === 'canceled') {
    if (call.status !== 'queued' && call.status !== 'ringing') throw badRequest(21220, `Call is ${call.status}. Only a queued or ringing call can be canceled.`)
    endCall(data, call, now)
  } else if (status === 'completed') {
    if (!live) throw badRequest(21220, `Call is ${call.status}. It cannot be hung up.`)
    endCall(data, call, now)
  } else if (redirect !== undefined) {
    call.dateUpdated = now
  }
  return ok(renderCall(call))
}

function remove (context: Context) {
  const { data } = context
  const call = found(data.calls.get(context.params.Sid ?? ''), context)
  if (LIVE.includes(call.status)) throw new TwilioError(400, 20009, 'Cannot delete this resource before it is complete')
  data.calls.remove(call)
  return noContent()
}

export const callRoutes: Route[] = [
  route('/Accounts/{AccountSid}/Calls.json', { GET: list, POST: create }),
  route('/Accounts/{AccountSid}/Calls/{Sid}.json', {
    GET: (context) => ok(renderCall(found(context.data.calls.get(context.params.Sid ?? ''), context))),
    POST: update,
    DELETE: remove
  })
]
