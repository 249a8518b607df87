import { Filters } from '../filters.js'
import { listPage } from '../paging.js'
import { isE164, splitAddress, WHATSAPP_SANDBOX_SENDER } from '../phone.js'
import { accountUri, created, found, money, noContent, ok, route, type Context, type Route } from '../router.js'
import type { AccountData, Live, Message, MessageStatus } from '../store.js'
import { API_VERSION, badRequest, invalidParameter, rfc2822, rfc2822OrNull, TwilioError } from '../wire.js'

/** Statuses after which a message no longer changes: only then may it be redacted or deleted. */
const FINAL_STATUSES: readonly MessageStatus[] = ['delivered', 'undelivered', 'failed', 'received', 'read', 'canceled']
/** USD per segment (SMS) or per message (WhatsApp). */
const MESSAGE_RATE = { sms: 0.0079, whatsapp: 0.005 }
/** A queued message is sent 1 s and delivered 2 s after it is due (created, or its scheduled time). */
const SENT_AFTER = 1000
const DELIVERED_AFTER = 2000
const CHANNELS = ['sms', 'whatsapp']

/** Test-credential `To` numbers (also in their `whatsapp:` form), rejected with these errors. */
const MAGIC_TO: Record<string, [code: number, message: (to: string, from: string) => string]> = {
  '+15005550001': [21211, (to) => `The 'To' number ${to} is not a valid phone number.`],
  '+15005550002': [21612, (to, from) => `The 'To' phone number: ${to}, is not currently reachable using the 'From' phone number: ${from} via SMS.`],
  '+15005550003': [21408, (to) => `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`],
  '+15005550004': [21610, () => 'Attempt to send to unsubscribed recipient'],
  '+15005550009': [21614, (to) => `'To' number ${to} is not a valid mobile number`]
}
const INVALID_FROM = '+15005550001'

function renderMessage (message: Message): Record<string, unknown> {
  const uri = `${accountUri(message.accountSid)}/Messages/${message.sid}`
  return {
    body: message.body,
    num_segments: String(message.numSegments),
    direction: message.direction,
    from: message.from,
    to: message.to,
    date_updated: rfc2822(message.dateUpdated),
    price: money(message.price),
    error_message: message.errorMessage,
    uri: `${uri}.json`,
    account_sid: message.accountSid,
    num_media: String(message.numMedia),
    status: message.status,
    messaging_service_sid: message.messagingServiceSid,
    sid: message.sid,
    date_sent: rfc2822OrNull(message.dateSent),
    date_created: rfc2822(message.dateCreated),
    error_code: message.errorCode,
    price_unit: message.price === null ? null : 'USD',
    api_version: API_VERSION,
    subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` }
  }
}

// The GSM 03.38 alphabet; the characters of its extension table count twice.
const GSM_7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€\f]*$/
const GSM_7_EXTENSION = /[\^{}\\[~\]|€\f]/g

/** How many SMS segments a body takes (160 GSM-7 or 70 UCS-2 characters alone, 153 / 67 when split). */
export function segmentCount (body: string, channel: string): number {
  if (channel !== 'sms' || body.length === 0) return 1
  const gsm = GSM_7.test(body)
  const length = gsm ? body.length + (body.match(GSM_7_EXTENSION)?.length ?? 0) : body.length
  const [single, part] = gsm ? [160, 153] : [70, 67]
  return length <= single ? 1 : Math.ceil(length / part)
}

export function messagePrice (message: Pick<Message, 'to' | 'numSegments'>): number {
  return splitAddress(message.to).channel === 'whatsapp' ? -MESSAGE_RATE.whatsapp : -message.numSegments * MESSAGE_RATE.sms
}

/** The sender a Messaging Service picks: the WhatsApp sandbox sender, or the account's first SMS number. */
function serviceSender (data: AccountData, channel: string): string | null {
  if (channel === 'whatsapp') return WHATSAPP_SANDBOX_SENDER
  return data.incomingNumbers.values().find((number) => number.capabilities.sms)?.phoneNumber ?? null
}

/** Moves a created message from queued (or scheduled) through sent to delivered. */
class LiveMessage implements Live {
  constructor (private readonly message: Message, private readonly data: AccountData, private readonly due: number) {}

  advance (now: number): boolean {
    const { message, due } = this
    if (message.status === 'canceled') return true
    if (now < due) return false
    if (message.status === 'scheduled') {
      message.status = 'queued'
      message.dateUpdated = due
    }
    if (now >= due + SENT_AFTER && message.status === 'queued') {
      message.from ??= serviceSender(this.data, splitAddress(message.to).channel)
      if (message.from === null) {
        message.status = 'failed'
        message.errorCode = 30008
        message.errorMessage = 'Unknown error'
        message.dateUpdated = due + SENT_AFTER
        return true
      }
      message.status = 'sent'
      message.dateSent = due + SENT_AFTER
      message.dateUpdated = due + SENT_AFTER
      message.price = messagePrice(message)
    }
    if (now >= due + DELIVERED_AFTER && message.status === 'sent') {
      message.status = 'delivered'
      message.dateUpdated = due + DELIVERED_AFTER
      return true
    }
    return false
  }
}

function list (context: Context) {
  const filters = new Filters<Message>(context.query.params)
    .equals('To', (message) => message.to)
    .equals('From', (message) => message.from)
    .days('DateSent', (message) => message.dateSent)
  return ok(listPage(context.query, {
    key: 'messages',
    records: context.data.messages,
    filterNames: filters.names,
    match: filters.match,
    render: renderMessage
  }))
}

/** Checks a `From` the way Twilio does: a valid address the account may send from, on the channel of `To`. */
function checkSender (data: AccountData, from: string, toChannel: string): void {
  const { channel, number } = splitAddress(from)
  if (number === INVALID_FROM || !isE164(number) || !CHANNELS.includes(channel)) {
    throw badRequest(21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`)
  }
  if (channel !== toChannel) throw badRequest(21910, 'Invalid From and To pair. From and To should be of the same channel')
  const owned = channel === 'whatsapp'
    ? from === WHATSAPP_SANDBOX_SENDER
    : data.incomingNumbers.values().some((owned) => owned.phoneNumber === number && owned.capabilities.sms)
  if (!owned) {
    throw badRequest(21606, `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`)
  }
}

const SCHEDULE_MIN = 15 * 60_000
const SCHEDULE_MAX = 35 * 86_400_000

/** The time a `ScheduleType=fixed` message is due, or undefined for a message sent at once. */
function scheduledTime (context: Context, service: string | undefined): number | undefined {
  const { form, store } = context
  if (form.oneOf('ScheduleType', ['fixed']) === undefined) return undefined
  if (service === undefined) throw badRequest(35118, 'MessagingServiceSid is required to schedule a message')
  const sendAt = form.text('SendAt')
  const due = sendAt === undefined ? NaN : Date.parse(sendAt)
  if (Number.isNaN(due)) throw badRequest(35111, 'SendAt must be an ISO 8601 timestamp to schedule a message')
  const ahead = due - store.now()
  if (ahead < SCHEDULE_MIN || ahead > SCHEDULE_MAX) {
    throw badRequest(35114, 'Scheduling does not support this timestamp: SendAt must be between 15 minutes and 35 days in the future')
  }
  return due
}

function create (context: Context) {
  const { form, data, store } = context
  const to = form.text('To')
  if (to === undefined) throw badRequest(21604, "A 'To' phone number is required.")
  const service = form.sid('MessagingServiceSid', 'MG') ?? undefined
  const from = form.text('From')
  if (from === undefined && service === undefined) throw badRequest(21603, "A 'From' phone number is required.")
  const body = form.string('Body') ?? ''
  const media = form.list('MediaUrl').filter((url) => url !== '')
  const content = form.sid('ContentSid', 'HX')
  if (body === '' && media.length === 0 && !content) throw badRequest(21602, 'Message body is required.')
  if (body.length > 1600) throw badRequest(21617, 'The concatenated message body exceeds the 1600 character limit.')
  if (media.length > 10) throw invalidParameter('At most 10 MediaUrl values can be sent with a message')
  const badMedia = media.find((url) => !URL.canParse(url))
  if (badMedia !== undefined) throw invalidParameter(`Invalid value for MediaUrl: '${badMedia}' is not a URL`)
  form.url('StatusCallback')
  form.boolean('ProvideFeedback')
  form.integer('ValidityPeriod', 1, 36000)
  const toAddress = splitAddress(to)
  if (from !== undefined) checkSender(data, from, toAddress.channel)
  if (!CHANNELS.includes(toAddress.channel) || !isE164(toAddress.number)) {
    throw badRequest(21211, `The 'To' number ${to} is not a valid phone number.`)
  }
  const magic = MAGIC_TO[toAddress.number]
  if (magic) throw badRequest(magic[0], magic[1](to, from ?? ''))
  const due = scheduledTime(context, service)
  const now = store.now()
  const message: Message = {
    sid: store.newSid(media.length > 0 ? 'MM' : 'SM'),
    accountSid: data.account.sid,
    to,
    from: from ?? null,
    body,
    numSegments: segmentCount(body, toAddress.channel),
    numMedia: media.length,
    direction: 'outbound-api',
    status: due === undefined ? 'queued' : 'scheduled',
    dateCreated: now,
    dateUpdated: now,
    dateSent: null,
    price: null,
    errorCode: null,
    errorMessage: null,
    messagingServiceSid: service ?? null
  }
  data.messages.add(message)
  store.track(new LiveMessage(message, data, due ?? now))
  return created(renderMessage(message))
}

/** Redacts the body (`Body=""`, final messages only) or cancels a scheduled message (`Status=canceled`). */
function update (context: Context) {
  const { form, data, store } = context
  const message = found(data.messages.get(context.params.Sid ?? ''), context)
  const body = form.string('Body')
  const status = form.oneOf('Status', ['canceled'])
  if (body !== undefined) {
    if (body !== '') throw invalidParameter('Body can only be updated to an empty string, which redacts the message')
    if (!FINAL_STATUSES.includes(message.status)) throw new TwilioError(400, 20009, 'Cannot redact this resource before it is complete')
    message.body = ''
    message.dateUpdated = store.now()
  }
  if (status === 'canceled') {
    if (message.status !== 'scheduled') throw invalidParameter(`Message is ${message.status}: only a scheduled message can be canceled`)
    message.status = 'canceled'
    message.dateUpdated = store.now()
  }
  return ok(renderMessage(message))
}

function remove (context: Context) {
  const { data } = context
  const message = found(data.messages.get(context.params.Sid ?? ''), context)
  if (!FINAL_STATUSES.includes(message.status)) throw new TwilioError(400, 20009, 'Cannot delete this resource before it is complete')
  data.messages.remove(message)
  return noContent()
}

export const messageRoutes: Route[] = [
  route('/Accounts/{AccountSid}/Messages.json', { GET: list, POST: create }),
  route('/Accounts/{AccountSid}/Messages/{Sid}.json', {
    GET: (context) => ok(renderMessage(found(context.data.messages.get(context.params.Sid ?? ''), context))),
    POST: update,
    DELETE: remove
  })
]
