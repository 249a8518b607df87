import { formatNumber, WHATSAPP_SANDBOX_SENDER } from './phone.js'
import type { Random } from './random.js'
import { callPrice } from './routes/calls.js'
import { FEEDBACK_ISSUES } from './routes/feedback.js'
import { defaultSettings } from './routes/incoming-phone-numbers.js'
import { messagePrice, segmentCount } from './routes/messages.js'
import { recordingPrice } from './routes/recordings.js'
import type { AccountData, Call, CallStatus, Capabilities, IncomingNumber, Message, MessageStatus, Recording } from './store.js'

/**
 * Realistic seed data, deterministic for a given random seed and start time: timestamps spread over the 90 days
 * before `now`. The main account also holds the exact records Google's Twilio connector page uses in its
 * examples (`GOOGLE_EXAMPLE_SIDS`), in states that make those examples succeed as written.
 */

const SECOND = 1000
const DAY = 86_400_000
const HORIZON = 90 * DAY

export const GOOGLE_EXAMPLE_SIDS = {
  /** A completed recording of a completed call. */
  recording: 'RE2e915e78549694bd0a0742d2d39454e5',
  /** A completed call, so deleting it succeeds. */
  deletableCall: 'CAaa4a99c300bd9d1bcc0d1ae9dcd248c6',
  /** A completed call without feedback, so Feedback Create succeeds. */
  callWithoutFeedback: 'CAdefbf2b4caa7df11dc48106385e32345',
  /** A delivered message with a body, so redacting it succeeds. */
  message: 'SM3ad97d41e786c02bca47c8ce1745053b',
  incomingPhoneNumber: 'PN4047ac009a15885690a50a1d388b8411',
  outgoingCallerId: 'PN6f5f9bf39cb1801a6e21a5a80d274bdd'
} as const

interface NumberSeed {
  phoneNumber: string
  friendlyName?: string
  capabilities?: Partial<Capabilities>
  origin?: 'twilio' | 'hosted'
  beta?: boolean
  sid?: string
}

interface AccountPlan {
  numbers: NumberSeed[]
  callerIds: Array<{ phoneNumber: string, friendlyName: string, sid?: string }>
  calls: number
  messages: number
}

/** The main account's numbers: the test-credential number, a few local numbers, one voice-only, one hosted. */
const MAIN_NUMBERS: NumberSeed[] = [
  { phoneNumber: '+15005550006' },
  { phoneNumber: '+14155550142', friendlyName: 'Support line', sid: GOOGLE_EXAMPLE_SIDS.incomingPhoneNumber },
  { phoneNumber: '+14155550178', friendlyName: 'Sales' },
  { phoneNumber: '+12125550163', friendlyName: 'New York office', capabilities: { mms: false } },
  { phoneNumber: '+16505550121', friendlyName: 'Fax and voice', capabilities: { sms: false, mms: false, fax: true } },
  { phoneNumber: '+13105550107', friendlyName: 'Hosted number', origin: 'hosted', beta: true, capabilities: { mms: false } }
]
const MAIN_CALLER_IDS = [
  { phoneNumber: '+14155550199', friendlyName: 'Front desk', sid: GOOGLE_EXAMPLE_SIDS.outgoingCallerId },
  { phoneNumber: '+12125550188', friendlyName: 'Jane Doe mobile' },
  { phoneNumber: '+447700900461', friendlyName: 'London office' },
  { phoneNumber: '+16175550134', friendlyName: 'Boston warehouse' }
]
const SUBACCOUNT_NUMBERS: NumberSeed[] = [{ phoneNumber: '+14155550190', friendlyName: 'Subaccount line' }]
const SUBACCOUNT_CALLS = 20
const SUBACCOUNT_MESSAGES = 20

const BODIES = [
  'Your verification code is 482913. It expires in 10 minutes.',
  'Hi! Your order #10482 has shipped and should arrive on Thursday.',
  'Reminder: your appointment with Dr. Patel is tomorrow at 9:30 AM. Reply C to confirm.',
  'Thanks for contacting support. An agent will reply shortly.',
  'Can you call me back when you get a chance?',
  'Your table for 4 is ready. Please come to the host stand.',
  'STOP',
  'Yes, that works for me. See you then!',
  'Your package was delivered to the front door at 2:14 PM.',
  'Flash sale: 20% off everything this weekend with code SPRING20. Reply STOP to opt out.',
  'Your payment of $42.50 was received. Thank you!',
  'Hola, ¿a qué hora abren mañana?',
  'The technician is on the way and will arrive in about 25 minutes.',
  'Please rate your experience from 1 to 5.',
  'Meeting moved to 3 PM — same room. 👍',
  'Your ride is arriving in 3 minutes: grey Toyota Prius, plate 7ABC123.',
  'Low balance alert: your account balance is below $25.00.',
  'Got it, thanks!'
]
const DELIVERY_ERRORS: Record<'undelivered' | 'failed', Array<[number, string]>> = {
  undelivered: [[30003, 'Unreachable destination handset'], [30005, 'Unknown destination handset'], [30006, 'Landline or unreachable carrier']],
  failed: [[30007, 'Message filtered'], [30008, 'Unknown error'], [30034, 'Message from an unregistered number']]
}
const CALLER_NAMES = ['JOHN SMITH', 'ACME CORP', 'WIRELESS CALLER', 'MARIA GARCIA', null, null, null]
const AREA_CODES = ['212', '310', '312', '415', '512', '617', '646', '650', '718', '917']

/** A fictional number: 555-01XX in the US, Ofcom's drama range in the UK, ACMA's in Australia. */
function externalNumber (random: Random): string {
  const roll = random.next()
  if (roll < 0.85) return `+1${random.pick(AREA_CODES)}55501${random.digits(2)}`
  if (roll < 0.95) return `+447700900${random.digits(3)}`
  return `+61491570${random.digits(3)}`
}

function seedNumbers (data: AccountData, random: Random, seeds: NumberSeed[], now: number): void {
  data.incomingNumbers.addAll(seeds.map((seed, index): IncomingNumber => {
    const dateCreated = now - (400 - index * 37) * DAY + random.int(0, DAY)
    const settings = defaultSettings(seed.phoneNumber)
    settings.friendly_name = seed.friendlyName ?? formatNumber(seed.phoneNumber)
    settings.voice_url = 'https://demo.twilio.com/welcome/voice/'
    settings.sms_url = seed.capabilities?.sms === false ? null : 'https://demo.twilio.com/welcome/sms/reply/'
    return {
      sid: seed.sid ?? random.sid('PN'),
      accountSid: data.account.sid,
      phoneNumber: seed.phoneNumber,
      capabilities: { voice: true, sms: true, mms: true, fax: false, ...seed.capabilities },
      beta: seed.beta ?? false,
      origin: seed.origin ?? 'twilio',
      dateCreated,
      dateUpdated: dateCreated + random.int(0, 30) * DAY,
      settings
    }
  }))
}

function seedCallerIds (data: AccountData, random: Random, seeds: AccountPlan['callerIds'], now: number): void {
  data.callerIds.addAll(seeds.map((seed, index) => {
    const dateCreated = now - (300 - index * 45) * DAY + random.int(0, DAY)
    return { sid: seed.sid ?? random.sid('PN'), accountSid: data.account.sid, phoneNumber: seed.phoneNumber, friendlyName: seed.friendlyName, dateCreated, dateUpdated: dateCreated }
  }))
}

/** A finished call with times, duration and price consistent with its status. */
function finishedCall (data: AccountData, random: Random, fields: Pick<Call, 'sid' | 'direction' | 'to' | 'from' | 'phoneNumberSid' | 'parentCallSid' | 'dateCreated' | 'status'>, duration = random.int(5, 420)): Call {
  const { status, dateCreated } = fields
  const dialed = status !== 'failed'
  const startTime = dialed ? dateCreated + random.int(1, 6) * SECOND : null
  const completed = status === 'completed' && startTime !== null
  const endTime = completed ? startTime + duration * SECOND : null
  const call: Call = {
    ...fields,
    accountSid: data.account.sid,
    dateUpdated: (endTime ?? startTime ?? dateCreated) + random.int(0, 3) * SECOND,
    startTime,
    endTime,
    duration: completed ? duration : null,
    price: null,
    answeredBy: completed && fields.direction === 'outbound-api' && random.chance(0.2) ? random.pick(['human', 'machine_start']) : null,
    forwardedFrom: null,
    callerName: fields.direction === 'inbound' ? random.pick(CALLER_NAMES) : null,
    queueTime: fields.direction === 'outbound-api' ? random.int(0, 1200) : 0,
    feedback: null
  }
  if (completed) call.price = callPrice(call)
  return call
}

function seedCalls (data: AccountData, random: Random, count: number, now: number): Call[] {
  const numbers = data.incomingNumbers.values()
  const senders = [...numbers, ...data.callerIds.values()]
  const voice = numbers.filter((number) => number.capabilities.voice)
  const calls: Call[] = []
  const status = (): CallStatus => random.weighted([['completed', 72], ['no-answer', 10], ['busy', 7], ['failed', 4], ['canceled', 7]])
  while (calls.length < count) {
    const dateCreated = now - random.int(10 * 60, HORIZON / SECOND) * SECOND
    const inbound = random.chance(0.4)
    const owned = inbound ? random.pick(voice) : random.pick(senders)
    const external = externalNumber(random)
    const call = finishedCall(data, random, {
      sid: random.sid('CA'),
      direction: inbound ? 'inbound' : 'outbound-api',
      to: inbound ? owned.phoneNumber : external,
      from: inbound ? external : owned.phoneNumber,
      phoneNumberSid: owned.sid,
      parentCallSid: null,
      dateCreated,
      status: status()
    })
    calls.push(call)
    // Some answered calls forward to another number: a child leg created by <Dial>.
    if (call.status === 'completed' && call.startTime !== null && calls.length < count && random.chance(0.15)) {
      calls.push(finishedCall(data, random, {
        sid: random.sid('CA'),
        direction: 'outbound-dial',
        to: externalNumber(random),
        from: call.from,
        phoneNumberSid: null,
        parentCallSid: call.sid,
        dateCreated: call.startTime + random.int(2, 8) * SECOND,
        status: random.weighted([['completed', 80], ['no-answer', 12], ['busy', 8]])
      }, Math.max(1, (call.duration ?? 10) - 10)))
    }
  }
  return calls
}

function recordingOf (data: AccountData, random: Random, call: Call, sid = random.sid('RE')): Recording {
  const startTime = (call.startTime ?? call.dateCreated) + SECOND
  const duration = Math.max(1, (call.duration ?? 2) - 1)
  return {
    sid,
    accountSid: data.account.sid,
    callSid: call.sid,
    dateCreated: startTime,
    dateUpdated: startTime + (duration + random.int(1, 5)) * SECOND,
    startTime,
    duration,
    price: recordingPrice(duration),
    status: 'completed',
    channels: random.pick([1, 2]),
    source: call.direction === 'outbound-api' ? 'OutboundAPI' : call.direction === 'outbound-dial' ? 'DialVerb' : 'RecordVerb',
    track: 'both',
    errorCode: null,
    stoppedAt: null
  }
}

/** Recordings of about a third of the completed calls (the oldest one soft-deleted), feedback on some calls. */
function seedRecordingsAndFeedback (data: AccountData, random: Random, calls: Call[]): Recording[] {
  const recordings: Recording[] = []
  for (const call of calls) {
    if (call.status !== 'completed' || call.endTime === null) continue
    if (random.chance(0.33)) recordings.push(recordingOf(data, random, call))
    if (random.chance(0.18)) {
      const qualityScore = random.weighted([[5, 45], [4, 25], [3, 15], [2, 10], [1, 5]])
      const issues = qualityScore <= 3 ? [...new Set([random.pick(FEEDBACK_ISSUES), random.pick(FEEDBACK_ISSUES)])] : []
      // Calls end at least ~3 minutes before now, so feedback given within 2 minutes is never in the future.
      const dateCreated = call.endTime + random.int(30, 120) * SECOND
      call.feedback = { qualityScore, issues, dateCreated, dateUpdated: dateCreated }
    }
  }
  const oldest = recordings.reduce<Recording | undefined>((found, recording) => found === undefined || recording.dateCreated < found.dateCreated ? recording : found, undefined)
  if (oldest) {
    oldest.status = 'deleted'
    oldest.dateUpdated = oldest.dateCreated + 7 * DAY
  }
  return recordings
}

function seedMessages (data: AccountData, random: Random, count: number, now: number): Message[] {
  const smsNumbers = data.incomingNumbers.values().filter((number) => number.capabilities.sms).map((number) => number.phoneNumber)
  const service = random.sid('MG')
  const messages: Message[] = []
  for (let i = 0; i < count; i++) {
    const dateCreated = now - random.int(60, HORIZON / SECOND) * SECOND
    const whatsapp = random.chance(0.2)
    const direction = random.weighted([['outbound-api', 62], ['inbound', 30], ['outbound-reply', 8]] as const)
    const external = (whatsapp ? 'whatsapp:' : '') + externalNumber(random)
    const owned = whatsapp ? WHATSAPP_SANDBOX_SENDER : random.pick(smsNumbers)
    const inbound = direction === 'inbound'
    const media = !whatsapp && !inbound && random.chance(0.06) ? random.int(1, 2) : 0
    const body = random.pick(BODIES)
    const status: MessageStatus = inbound
      ? 'received'
      : random.weighted(whatsapp
        ? [['delivered', 50], ['read', 35], ['undelivered', 8], ['failed', 7]]
        : [['delivered', 85], ['undelivered', 8], ['failed', 7]])
    const error = status === 'undelivered' || status === 'failed' ? random.pick(DELIVERY_ERRORS[status]) : null
    const dateSent = status === 'failed' ? null : inbound ? dateCreated : dateCreated + random.int(1, 4) * SECOND
    const message: Message = {
      sid: random.sid(media > 0 ? 'MM' : 'SM'),
      accountSid: data.account.sid,
      to: inbound ? owned : external,
      from: inbound ? external : owned,
      body,
      numSegments: segmentCount(body, whatsapp ? 'whatsapp' : 'sms'),
      numMedia: media,
      direction,
      status,
      dateCreated,
      dateUpdated: (dateSent ?? dateCreated) + random.int(0, 6) * SECOND,
      dateSent,
      price: null,
      errorCode: error?.[0] ?? null,
      errorMessage: error?.[1] ?? null,
      messagingServiceSid: direction === 'outbound-api' && random.chance(0.25) ? service : null
    }
    if (status !== 'failed') message.price = messagePrice(message)
    messages.push(message)
  }
  return messages
}

function seedAccount (data: AccountData, random: Random, plan: AccountPlan, now: number, extra?: (calls: Call[], messages: Message[], recordings: Recording[]) => void): void {
  seedNumbers(data, random, plan.numbers, now)
  seedCallerIds(data, random, plan.callerIds, now)
  const calls = seedCalls(data, random, plan.calls, now)
  const messages = seedMessages(data, random, plan.messages, now)
  const recordings = seedRecordingsAndFeedback(data, random, calls)
  extra?.(calls, messages, recordings)
  data.calls.addAll(calls)
  data.messages.addAll(messages)
  data.recordings.addAll(recordings)
}

/** The records of Google's examples, in the states the examples need. */
function googleExamples (data: AccountData, random: Random, now: number, calls: Call[], messages: Message[], recordings: Recording[]): void {
  const [mainNumber, supportLine] = data.incomingNumbers.values().filter((number) =>
    number.phoneNumber === '+15005550006' || number.sid === GOOGLE_EXAMPLE_SIDS.incomingPhoneNumber)
  if (!mainNumber || !supportLine) throw new Error('the seed numbers of the Google examples are missing')
  const recorded = finishedCall(data, random, {
    sid: random.sid('CA'), direction: 'outbound-api', to: '+14155550123', from: mainNumber.phoneNumber, phoneNumberSid: mainNumber.sid,
    parentCallSid: null, dateCreated: now - 5 * DAY, status: 'completed'
  }, 95)
  calls.push(
    recorded,
    finishedCall(data, random, {
      sid: GOOGLE_EXAMPLE_SIDS.deletableCall, direction: 'outbound-api', to: '+14155550123', from: mainNumber.phoneNumber,
      phoneNumberSid: mainNumber.sid, parentCallSid: null, dateCreated: now - 3 * DAY, status: 'completed'
    }, 42),
    finishedCall(data, random, {
      sid: GOOGLE_EXAMPLE_SIDS.callWithoutFeedback, direction: 'inbound', to: supportLine.phoneNumber, from: '+12125550143',
      phoneNumberSid: supportLine.sid, parentCallSid: null, dateCreated: now - 2 * DAY, status: 'completed'
    }, 184)
  )
  recordings.push(recordingOf(data, random, recorded, GOOGLE_EXAMPLE_SIDS.recording))
  const body = 'Your appointment is confirmed for tomorrow at 10:00 AM. Reply STOP to opt out.'
  const sentAt = now - DAY
  const message: Message = {
    sid: GOOGLE_EXAMPLE_SIDS.message, accountSid: data.account.sid, to: '+14155550123', from: mainNumber.phoneNumber, body,
    numSegments: segmentCount(body, 'sms'), numMedia: 0, direction: 'outbound-api', status: 'delivered',
    dateCreated: sentAt - SECOND, dateUpdated: sentAt + 3 * SECOND, dateSent: sentAt, price: null, errorCode: null,
    errorMessage: null, messagingServiceSid: null
  }
  message.price = messagePrice(message)
  messages.push(message)
}

export interface SeedPlan {
  calls: number
  messages: number
}

/**
 * Fills the main account and its subaccounts. The main account's totals include Google's example records
 * (three calls and a message), so `plan.messages` messages are exactly what a full listing walks.
 */
export function seedSandbox (main: AccountData, subaccounts: readonly AccountData[], random: Random, plan: SeedPlan, now: number): void {
  const generated = { calls: Math.max(0, plan.calls - 3), messages: Math.max(0, plan.messages - 1) }
  seedAccount(main, random, { numbers: MAIN_NUMBERS, callerIds: MAIN_CALLER_IDS, ...generated }, now,
    (calls, messages, recordings) => googleExamples(main, random, now, calls, messages, recordings))
  subaccounts.forEach((data, index) => {
    const numbers = index === 0 ? SUBACCOUNT_NUMBERS : [{ phoneNumber: `+1415555${(200 + index).toString().padStart(4, '0')}` }]
    seedAccount(data, random, {
      numbers,
      callerIds: [],
      calls: Math.min(SUBACCOUNT_CALLS, plan.calls),
      messages: Math.min(SUBACCOUNT_MESSAGES, plan.messages)
    }, now)
  })
}
