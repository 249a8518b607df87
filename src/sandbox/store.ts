import { Collection } from './collection.js'
import type { Random } from './random.js'

/**
 * The sandbox's state: accounts with their records, API keys, and the records whose state still changes over
 * time. All times are epoch milliseconds of the injectable clock.
 */

export interface Account {
  sid: string
  friendlyName: string
  authToken: string
  /** The parent account; a main account is its own owner. */
  ownerAccountSid: string
  dateCreated: number
  dateUpdated: number
}

export interface ApiKey {
  sid: string
  secret: string
  accountSid: string
}

export type CallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled'

export interface Feedback {
  qualityScore: number
  issues: string[]
  dateCreated: number
  dateUpdated: number
}

export interface Call {
  sid: string
  accountSid: string
  parentCallSid: string | null
  to: string
  from: string
  phoneNumberSid: string | null
  direction: 'inbound' | 'outbound-api' | 'outbound-dial'
  status: CallStatus
  dateCreated: number
  dateUpdated: number
  startTime: number | null
  endTime: number | null
  /** Seconds. */
  duration: number | null
  price: number | null
  answeredBy: string | null
  forwardedFrom: string | null
  callerName: string | null
  queueTime: number
  feedback: Feedback | null
}

export type MessageStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'delivered' | 'undelivered' | 'receiving' |
  'received' | 'accepted' | 'scheduled' | 'read' | 'partially_delivered' | 'canceled'

export interface Message {
  sid: string
  accountSid: string
  to: string
  from: string | null
  body: string
  numSegments: number
  numMedia: number
  direction: 'inbound' | 'outbound-api' | 'outbound-call' | 'outbound-reply'
  status: MessageStatus
  dateCreated: number
  dateUpdated: number
  dateSent: number | null
  price: number | null
  errorCode: number | null
  errorMessage: string | null
  messagingServiceSid: string | null
}

export type RecordingStatus = 'in-progress' | 'paused' | 'stopped' | 'processing' | 'completed' | 'absent' | 'deleted'

export interface Recording {
  sid: string
  accountSid: string
  callSid: string
  dateCreated: number
  dateUpdated: number
  startTime: number
  /** Seconds, known once the recording is completed. */
  duration: number | null
  price: number | null
  status: RecordingStatus
  channels: number
  source: 'DialVerb' | 'OutboundAPI' | 'RecordVerb' | 'StartCallRecordingAPI'
  track: 'inbound' | 'outbound' | 'both'
  errorCode: number | null
  /** When a recording stopped; it completes (is processed) one second later. */
  stoppedAt: number | null
}

export interface Capabilities {
  voice: boolean
  sms: boolean
  mms: boolean
  fax: boolean
}

/** Settings of an IncomingPhoneNumber that its create and update parameters set, keyed by their JSON names. */
export type NumberSettings = Record<string, string | boolean | null>

export interface IncomingNumber {
  sid: string
  accountSid: string
  phoneNumber: string
  capabilities: Capabilities
  beta: boolean
  origin: 'twilio' | 'hosted'
  dateCreated: number
  dateUpdated: number
  settings: NumberSettings
}

export interface CallerId {
  sid: string
  accountSid: string
  phoneNumber: string
  friendlyName: string
  dateCreated: number
  dateUpdated: number
}

export interface FeedbackSummary {
  sid: string
  accountSid: string
  startDate: string
  endDate: string
  includeSubaccounts: boolean
  status: 'queued' | 'in-progress' | 'completed' | 'failed'
  dateCreated: number
  dateUpdated: number
  stats: FeedbackStats | null
}

export interface FeedbackStats {
  callCount: number
  callFeedbackCount: number
  average: number | null
  median: number | null
  standardDeviation: number | null
  issues: Array<{ description: string, count: number, percentage_of_total_calls: string }>
}

export interface AccountData {
  account: Account
  calls: Collection<Call>
  messages: Collection<Message>
  recordings: Collection<Recording>
  incomingNumbers: Collection<IncomingNumber>
  callerIds: Collection<CallerId>
  feedbackSummaries: Map<string, FeedbackSummary>
}

/** Something whose state changes with time (a live call, a queued message…). */
export interface Live {
  /** Applies every change due by `now`; returns true once nothing is left to change. */
  advance (now: number): boolean
}

export class Store {
  private readonly accounts = new Map<string, AccountData>()
  readonly apiKeys = new Map<string, ApiKey>()
  private readonly live = new Set<Live>()

  constructor (readonly now: () => number, readonly random: Random) {}

  addAccount (account: Account): AccountData {
    const data: AccountData = {
      account,
      calls: new Collection(),
      messages: new Collection(),
      recordings: new Collection(),
      incomingNumbers: new Collection(),
      callerIds: new Collection(),
      feedbackSummaries: new Map()
    }
    this.accounts.set(account.sid, data)
    return data
  }

  account (sid: string): AccountData | undefined {
    return this.accounts.get(sid)
  }

  /** The account and its subaccounts. */
  family (sid: string): AccountData[] {
    return [...this.accounts.values()].filter(({ account }) => account.sid === sid || account.ownerAccountSid === sid)
  }

  /** Whether credentials of `actingSid` may act on `targetSid`: the same account or one of its subaccounts. */
  canAccess (actingSid: string, targetSid: string): boolean {
    const target = this.accounts.get(targetSid)
    return target !== undefined && (targetSid === actingSid || target.account.ownerAccountSid === actingSid)
  }

  /** The IncomingPhoneNumber holding `phoneNumber`, in any account: a number has one owner. */
  numberOwner (phoneNumber: string): IncomingNumber | undefined {
    for (const data of this.accounts.values()) {
      const found = data.incomingNumbers.values().find((number) => number.phoneNumber === phoneNumber)
      if (found) return found
    }
    return undefined
  }

  newSid (prefix: string): string {
    return this.random.sid(prefix)
  }

  track (item: Live): void {
    if (!item.advance(this.now())) this.live.add(item)
  }

  /** Brings every time-driven record up to the clock; called before each request is processed. */
  settle (): void {
    const now = this.now()
    // A Set iterates in insertion order, so a call settles before the recordings started on it.
    for (const item of this.live) {
      if (item.advance(now)) this.live.delete(item)
    }
  }
}
