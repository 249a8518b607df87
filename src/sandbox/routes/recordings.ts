import { Filters } from '../filters.js'
import { listPage } from '../paging.js'
import { accountUri, created, found, money, noContent, ok, route, type Context, type Route } from '../router.js'
import type { Call, Live, Recording } from '../store.js'
import { API_VERSION, badRequest, invalidParameter, missingParameter, notFound, rfc2822, TwilioError } from '../wire.js'

/** USD per started minute of recording. */
const RECORDING_RATE = 0.0025
/** A stopped recording is processed (becomes `completed`) this long after it stops. */
const PROCESSED_AFTER = 1000
const ACTIVE = ['in-progress', 'paused']

export function recordingPrice (duration: number): number {
  return -Math.max(1, Math.ceil(duration / 60)) * RECORDING_RATE
}

function baseFields (recording: Recording): Record<string, unknown> {
  return {
    account_sid: recording.accountSid,
    api_version: API_VERSION,
    call_sid: recording.callSid,
    conference_sid: null,
    date_created: rfc2822(recording.dateCreated),
    date_updated: rfc2822(recording.dateUpdated),
    start_time: rfc2822(recording.startTime),
    duration: recording.duration === null ? null : String(recording.duration),
    sid: recording.sid,
    price_unit: recording.price === null ? null : 'USD',
    status: recording.status,
    channels: recording.channels,
    source: recording.source,
    error_code: recording.errorCode,
    encryption_details: null
  }
}

/** The account-level view (`api.v2010.account.recording`). */
function renderRecording (recording: Recording, origin: string): Record<string, unknown> {
  const path = `${accountUri(recording.accountSid)}/Recordings/${recording.sid}`
  return {
    ...baseFields(recording),
    price: money(recording.price),
    uri: `${path}.json`,
    subresource_uris: { add_on_results: `${path}/AddOnResults.json`, transcriptions: `${path}/Transcriptions.json` },
    media_url: origin + path
  }
}

/** The call-scoped view (`api.v2010.account.call.call_recording`): a numeric price, a track, no media URL. */
function renderCallRecording (recording: Recording): Record<string, unknown> {
  return {
    ...baseFields(recording),
    price: recording.price,
    uri: `${accountUri(recording.accountSid)}/Calls/${recording.callSid}/Recordings/${recording.sid}.json`,
    track: recording.track
  }
}

/** Stops an active recording at `at`; it completes once processed. */
export function stopRecording (recording: Recording, at: number): void {
  if (!ACTIVE.includes(recording.status)) return
  recording.status = 'stopped'
  recording.stoppedAt = at
  recording.dateUpdated = at
}

/** Completes a recording once it has stopped and been processed. */
class LiveRecording implements Live {
  constructor (private readonly recording: Recording) {}

  advance (now: number): boolean {
    const { recording } = this
    if (recording.status === 'deleted') return true
    if (recording.stoppedAt === null || now < recording.stoppedAt + PROCESSED_AFTER) return false
    recording.status = 'completed'
    recording.duration = Math.round((recording.stoppedAt - recording.startTime) / 1000)
    recording.price = recordingPrice(recording.duration)
    recording.dateUpdated = recording.stoppedAt + PROCESSED_AFTER
    return true
  }
}

/** Soft delete, as Twilio does: the recording stays readable with `IncludeSoftDeleted=true`. */
function softDelete (context: Context, recording: Recording) {
  if (recording.status !== 'completed' && recording.status !== 'absent') {
    throw new TwilioError(400, 20009, 'Cannot delete this resource before it is complete')
  }
  recording.status = 'deleted'
  recording.dateUpdated = context.store.now()
  return noContent()
}

function list (context: Context) {
  const filters = new Filters<Recording>(context.query.params)
    .days('DateCreated', (recording) => recording.dateCreated)
    .sid('CallSid', 'CA', (recording) => recording.callSid)
    .sid('ConferenceSid', 'CF', () => null)
  const includeDeleted = filters.flag('IncludeSoftDeleted')
  return ok(listPage(context.query, {
    key: 'recordings',
    records: context.data.recordings,
    filterNames: filters.names,
    match: (recording) => (includeDeleted || recording.status !== 'deleted') && filters.match(recording),
    render: (recording) => renderRecording(recording, context.origin)
  }))
}

function fetchVisible (context: Context): Recording {
  const recording = found(context.data.recordings.get(context.params.Sid ?? ''), context)
  const includeDeleted = context.query.params.boolean('IncludeSoftDeleted') ?? false
  if (recording.status === 'deleted' && !includeDeleted) throw notFound(context.path)
  return recording
}

function callOf (context: Context): Call {
  return found(context.data.calls.get(context.params.CallSid ?? ''), context)
}

/** A recording of the path's call; `Twilio.CURRENT` names the call's active recording. */
function callRecording (context: Context): Recording {
  const call = callOf(context)
  const sid = context.params.Sid ?? ''
  const recording = sid === 'Twilio.CURRENT'
    ? context.data.recordings.values().find((candidate) => candidate.callSid === call.sid && ACTIVE.includes(candidate.status))
    : context.data.recordings.get(sid)
  if (recording === undefined || recording.callSid !== call.sid || recording.status === 'deleted') throw notFound(context.path)
  return recording
}

function listForCall (context: Context) {
  const call = callOf(context)
  const filters = new Filters<Recording>(context.query.params).days('DateCreated', (recording) => recording.dateCreated)
  return ok(listPage(context.query, {
    key: 'recordings',
    records: context.data.recordings,
    filterNames: filters.names,
    match: (recording) => recording.callSid === call.sid && recording.status !== 'deleted' && filters.match(recording),
    render: renderCallRecording
  }))
}

/** Starts recording a call; only a call in progress can be recorded. */
function createForCall (context: Context) {
  const { form, store, data } = context
  const call = callOf(context)
  const channels = form.oneOf('RecordingChannels', ['mono', 'dual'] as const)
  const track = form.oneOf('RecordingTrack', ['inbound', 'outbound', 'both'] as const) ?? 'both'
  form.oneOf('Trim', ['trim-silence', 'do-not-trim'])
  form.url('RecordingStatusCallback')
  form.httpMethod('RecordingStatusCallbackMethod')
  for (const event of form.list('RecordingStatusCallbackEvent').flatMap((value) => value.split(' '))) {
    if (!['in-progress', 'completed', 'absent'].includes(event)) throw invalidParameter(`Invalid value for RecordingStatusCallbackEvent: '${event}'`)
  }
  if (call.status !== 'in-progress') throw badRequest(21220, `Call is ${call.status}. Only a call in progress can be recorded.`)
  const now = store.now()
  const recording: Recording = {
    sid: store.newSid('RE'),
    accountSid: data.account.sid,
    callSid: call.sid,
    dateCreated: now,
    dateUpdated: now,
    startTime: now,
    duration: null,
    price: null,
    status: 'in-progress',
    channels: channels === 'dual' ? 2 : 1,
    source: 'StartCallRecordingAPI',
    track,
    errorCode: null,
    stoppedAt: null
  }
  data.recordings.add(recording)
  store.track(new LiveRecording(recording))
  return created(renderCallRecording(recording))
}

/** Pauses, resumes or stops an active recording. */
function updateForCall (context: Context) {
  const { form, store } = context
  const recording = callRecording(context)
  const status = form.oneOf('Status', ['stopped', 'paused', 'in-progress'] as const)
  if (status === undefined) throw missingParameter('Status')
  form.oneOf('PauseBehavior', ['skip', 'silence'])
  if (!ACTIVE.includes(recording.status)) throw badRequest(21220, `Recording is ${recording.status}. Only an active recording can be updated.`)
  const now = store.now()
  if (status === 'stopped') {
    stopRecording(recording, now)
  } else {
    recording.status = status
    recording.dateUpdated = now
  }
  return ok(renderCallRecording(recording))
}

export const recordingRoutes: Route[] = [
  route('/Accounts/{AccountSid}/Recordings.json', { GET: list }),
  route('/Accounts/{AccountSid}/Recordings/{Sid}.json', {
    GET: (context) => ok(renderRecording(fetchVisible(context), context.origin)),
    DELETE: (context) => {
      const recording = found(context.data.recordings.get(context.params.Sid ?? ''), context)
      if (recording.status === 'deleted') throw notFound(context.path)
      return softDelete(context, recording)
    }
  }),
  route('/Accounts/{AccountSid}/Calls/{CallSid}/Recordings.json', { GET: listForCall, POST: createForCall }),
  route('/Accounts/{AccountSid}/Calls/{CallSid}/Recordings/{Sid}.json', {
    GET: (context) => ok(renderCallRecording(callRecording(context))),
    POST: updateForCall,
    DELETE: (context) => softDelete(context, callRecording(context))
  })
]
