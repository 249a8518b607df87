import { Filters } from '../filters.js'
import { listPage } from '../paging.js'
import { formatNumber, isE164 } from '../phone.js'
import { accountUri, created, found, noContent, ok, route, type Context, type Route } from '../router.js'
import type { Capabilities, IncomingNumber, NumberSettings } from '../store.js'
import { API_VERSION, badRequest, invalidParameter, rfc2822, unauthenticated, type Params } from '../wire.js'

type Reader = (params: Params, name: string) => string | boolean | null | undefined

const url: Reader = (params, name) => params.url(name)
const method: Reader = (params, name) => params.httpMethod(name)
const sid = (prefix: string): Reader => (params, name) => params.sid(name, prefix)

/** The create/update parameters of a number and the JSON fields they set. */
const SETTINGS: ReadonlyArray<[parameter: string, field: string, read: Reader]> = [
  ['FriendlyName', 'friendly_name', (params, name) => params.text(name, 64)],
  ['ApiVersion', 'api_version', (params, name) => params.oneOf(name, ['2010-04-01', '2008-08-01'])],
  ['SmsApplicationSid', 'sms_application_sid', sid('AP')],
  ['SmsFallbackMethod', 'sms_fallback_method', method],
  ['SmsFallbackUrl', 'sms_fallback_url', url],
  ['SmsMethod', 'sms_method', method],
  ['SmsUrl', 'sms_url', url],
  ['StatusCallback', 'status_callback', url],
  ['StatusCallbackMethod', 'status_callback_method', method],
  ['VoiceApplicationSid', 'voice_application_sid', sid('AP')],
  ['VoiceCallerIdLookup', 'voice_caller_id_lookup', (params, name) => params.boolean(name)],
  ['VoiceFallbackMethod', 'voice_fallback_method', method],
  ['VoiceFallbackUrl', 'voice_fallback_url', url],
  ['VoiceMethod', 'voice_method', method],
  ['VoiceUrl', 'voice_url', url],
  ['EmergencyStatus', 'emergency_status', (params, name) => params.oneOf(name, ['Active', 'Inactive'])],
  ['EmergencyAddressSid', 'emergency_address_sid', sid('AD')],
  ['TrunkSid', 'trunk_sid', sid('TK')],
  ['IdentitySid', 'identity_sid', sid('RI')],
  ['AddressSid', 'address_sid', sid('AD')],
  ['VoiceReceiveMode', 'voice_receive_mode', (params, name) => params.oneOf(name, ['voice', 'fax'])],
  ['BundleSid', 'bundle_sid', sid('BU')]
]

/** The settings of a newly bought number. */
export function defaultSettings (phoneNumber: string): NumberSettings {
  const settings: NumberSettings = Object.fromEntries(SETTINGS.map(([, field]) => [field, null]))
  return {
    ...settings,
    friendly_name: formatNumber(phoneNumber),
    api_version: API_VERSION,
    sms_method: 'POST',
    sms_fallback_method: 'POST',
    status_callback_method: 'POST',
    voice_method: 'POST',
    voice_fallback_method: 'POST',
    voice_caller_id_lookup: false,
    emergency_status: 'Inactive',
    voice_receive_mode: 'voice',
    address_requirements: 'none',
    emergency_address_status: 'unregistered',
    status: 'in-use'
  }
}

/** Applies the parameters present in the request; a voice application and a trunk exclude each other. */
function applySettings (params: Params, settings: NumberSettings): void {
  for (const [parameter, field, read] of SETTINGS) {
    const value = read(params, parameter)
    if (value !== undefined) settings[field] = value
  }
  if (params.text('VoiceApplicationSid') !== undefined) settings.trunk_sid = null
  if (params.text('TrunkSid') !== undefined) settings.voice_application_sid = null
}

function renderIncomingNumber (number: IncomingNumber): Record<string, unknown> {
  return {
    account_sid: number.accountSid,
    beta: number.beta,
    capabilities: { ...number.capabilities },
    date_created: rfc2822(number.dateCreated),
    date_updated: rfc2822(number.dateUpdated),
    origin: number.origin,
    phone_number: number.phoneNumber,
    sid: number.sid,
    uri: `${accountUri(number.accountSid)}/IncomingPhoneNumbers/${number.sid}.json`,
    ...number.settings
  }
}

/** `PhoneNumber` filter: a full or partial number, where `*` stands for any one digit. */
function numberPattern (value: string): (number: IncomingNumber) => boolean {
  const pattern = new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\*/g, '\\d'))
  return (number) => pattern.test(number.phoneNumber)
}

function list (context: Context) {
  const filters = new Filters<IncomingNumber>(context.query.params)
    .equals('FriendlyName', (number) => number.settings.friendly_name as string | null)
    .custom('PhoneNumber', numberPattern)
    .equals('Origin', (number) => number.origin)
  const includeBeta = filters.flag('Beta', true)
  return ok(listPage(context.query, {
    key: 'incoming_phone_numbers',
    records: context.data.incomingNumbers,
    filterNames: filters.names,
    match: (number) => (includeBeta || !number.beta) && filters.match(number),
    render: renderIncomingNumber
  }))
}

const FULL_CAPABILITIES: Capabilities = { voice: true, sms: true, mms: true, fax: false }

/** The number a purchase buys, applying the test-credential magic values of `PhoneNumber` and `AreaCode`. */
function numberToBuy (context: Context): string {
  const { form, store } = context
  const phoneNumber = form.text('PhoneNumber')
  const areaCode = form.text('AreaCode')
  if (phoneNumber !== undefined) {
    if (phoneNumber === '+15005550001' || !isE164(phoneNumber)) throw badRequest(21421, `PhoneNumber ${phoneNumber} is invalid.`)
    if (phoneNumber === '+15005550000' || store.numberOwner(phoneNumber)) {
      throw badRequest(21422, `PhoneNumber ${phoneNumber} is not available.`)
    }
    return phoneNumber
  }
  if (areaCode === undefined) throw invalidParameter('Either PhoneNumber or AreaCode is required to buy a number')
  if (!/^[2-9]\d{2}$/.test(areaCode) || areaCode === '533') throw badRequest(21452, `No phone numbers found in area code ${areaCode}.`)
  if (areaCode === '500' && !store.numberOwner('+15005550006')) return '+15005550006'
  for (let attempt = 0; attempt < 100; attempt++) {
    // Area code 500 holds the test-credential numbers +1500555000X; never hand those out.
    const candidate = `+1${areaCode}555${store.random.int(areaCode === '500' ? 10 : 0, 9999).toString().padStart(4, '0')}`
    if (!store.numberOwner(candidate)) return candidate
  }
  throw badRequest(21452, `No phone numbers found in area code ${areaCode}.`)
}

function create (context: Context) {
  const { form, data, store } = context
  const phoneNumber = numberToBuy(context)
  const settings = defaultSettings(phoneNumber)
  applySettings(form, settings)
  const now = store.now()
  const number: IncomingNumber = {
    sid: store.newSid('PN'),
    accountSid: data.account.sid,
    phoneNumber,
    capabilities: { ...FULL_CAPABILITIES },
    beta: false,
    origin: 'twilio',
    dateCreated: now,
    dateUpdated: now,
    settings
  }
  data.incomingNumbers.add(number)
  return created(renderIncomingNumber(number))
}

/** Updates the settings; `AccountSid` moves the number to another account of the caller's family. */
function update (context: Context) {
  const { form, data, store } = context
  const number = found(data.incomingNumbers.get(context.params.Sid ?? ''), context)
  const target = form.sid('AccountSid', 'AC')
  if (target && !store.canAccess(context.callerSid, target)) throw unauthenticated()
  applySettings(form, number.settings)
  number.dateUpdated = store.now()
  const destination = target ? store.account(target) : undefined
  if (destination && destination !== data) {
    data.incomingNumbers.remove(number)
    number.accountSid = destination.account.sid
    destination.incomingNumbers.add(number)
  }
  return ok(renderIncomingNumber(number))
}

export const incomingPhoneNumberRoutes: Route[] = [
  route('/Accounts/{AccountSid}/IncomingPhoneNumbers.json', { GET: list, POST: create }),
  route('/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json', {
    GET: (context) => ok(renderIncomingNumber(found(context.data.incomingNumbers.get(context.params.Sid ?? ''), context))),
    POST: update,
    DELETE: (context) => {
      const number = found(context.data.incomingNumbers.get(context.params.Sid ?? ''), context)
      context.data.incomingNumbers.remove(number)
      return noContent()
    }
  })
]
