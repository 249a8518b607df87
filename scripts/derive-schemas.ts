/**
 * Derives `schemas/<Entity>.json` — the single source of each entity's fields, types and inputs — from Twilio's own
 * OpenAPI spec (the subsets vendored in `vendor/twilio-openapi/` by `scripts/vendor-twilio-spec.ts`) plus the few
 * decisions Twilio's spec cannot make for us, which are all in `ENTITIES` and `RENAMES` below.
 *
 *   npm run schemas            # rewrite schemas/*.json
 *   npm run schemas -- --check # exit 1 if schemas/ is not what the spec derives (CI runs the same check as a test)
 *
 * Rules applied to every entity:
 * - Row fields are the PascalCase form of the response fields (`date_created` → `DateCreated`), except the names
 *   Google's Twilio connector uses: `from` → `Sender`, `friendly_name` → `Name` (and Feedback's `Issue` input joins
 *   its `Issues` output). Twilio's own input names (`From`, `FriendlyName`, `Issue`) become input aliases.
 * - RFC 2822 timestamps become ISO 8601 (`format: date-time`); the numeric strings `duration`, `price`,
 *   `num_segments`, `num_media`, `queue_time` become numbers; every row field but the key is nullable.
 * - Inputs are the form parameters of the create / update operations, typed as the spec types them, with enum
 *   references inlined; one-of groups (`x-twilio.conditional`) become `x-required-one-of`.
 * - A row field that no create or update accepts is `readOnly`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

const ROOT = new URL('../', import.meta.url)
const SPECS = {
  current: 'vendor/twilio-openapi/api_v2010.current.subset.json',
  legacy: 'vendor/twilio-openapi/api_v2010.legacy-feedback.subset.json'
} as const
const ACCOUNT = '/2010-04-01/Accounts/{AccountSid}'
const FEEDBACK_DEPRECATION =
  'Deprecated: Twilio retired the Call Feedback API on 2023-12-31 (its replacement is Voice Insights Call ' +
  'Annotations) and removed it from its SDKs and specs. Live Twilio answers 404 for it; the sandbox still ' +
  'implements it so that workflows written for Google\'s Twilio connector keep working in tests.'

/** Twilio response/parameter names that Google's connector renames. */
const RENAMES: Record<string, string> = { from: 'Sender', friendly_name: 'Name', From: 'Sender', FriendlyName: 'Name', Issue: 'Issues' }
/** Twilio sends these as strings; the gateway types them. */
const NUMERIC_STRINGS: Record<string, 'integer' | 'number'> = {
  duration: 'integer', price: 'number', num_segments: 'integer', num_media: 'integer', queue_time: 'integer'
}
/** Google data types that JSON types alone cannot say. */
const DATA_TYPE_OVERRIDES: Record<string, string> = { price: 'DECIMAL' }

interface InputSource {
  /** Spec path whose POST form body lists the inputs. */
  path: string
  /** Inputs that travel in the upstream path rather than the form body: field → description. */
  pathInputs?: Record<string, { param: string, pattern: string, description: string }>
  /** Fields required beyond what the spec says. */
  required?: string[]
  /** Extra JSON Schema keywords per field (bounds the spec only states in prose). */
  refine?: Record<string, JsonObject>
}

interface EntityDefinition {
  name: string
  description: string
  spec: keyof typeof SPECS
  /** Component schema of the resource Twilio returns. */
  resource: string
  operations: Array<'LIST' | 'GET' | 'CREATE' | 'UPDATE' | 'DELETE'>
  /** Twilio's own list order, documented on the entity. */
  defaultOrder?: string
  create?: InputSource & { result?: string }
  update?: InputSource
  deprecated?: string
  /** The list filters of Twilio's that conditions push down to, by Twilio query parameter. */
  pushDown?: Record<string, { field: string, match: PushDownMatch }>
}

/**
 * How a Twilio list filter matches, which decides what a condition may send it. Every pushed filter returns at least
 * the rows the condition matches; the gateway refines them exactly.
 * - `equals`: rows whose field equals the value (sent only when the value fits the field's enum or pattern).
 * - `address`: `equals` for phone addresses; a channel address (`whatsapp:+1…`) is not sent, since Twilio's filter
 *   matches numbers without their channel prefix only.
 * - `contains`: rows whose field contains the value (Twilio's partial phone-number match).
 * - `day`: a date filter with `<` / `>` forms, matched on whole UTC days.
 */
type PushDownMatch = 'equals' | 'address' | 'contains' | 'day'

const CALL_SID_PATTERN = '^CA[0-9a-fA-F]{32}$'
const ENTITIES: EntityDefinition[] = [
  {
    name: 'Calls',
    description: 'Phone calls made to and from the account (Twilio Call resource). Create places an outbound call; ' +
      'Update redirects or ends a live call; Delete removes a finished call\'s record.',
    spec: 'current',
    resource: 'api.v2010.account.call',
    operations: ['LIST', 'GET', 'CREATE', 'UPDATE', 'DELETE'],
    defaultOrder: 'DateCreated descending (newest first), as Twilio lists calls',
    pushDown: {
      To: { field: 'To', match: 'address' },
      From: { field: 'Sender', match: 'address' },
      ParentCallSid: { field: 'ParentCallSid', match: 'equals' },
      Status: { field: 'Status', match: 'equals' },
      StartTime: { field: 'StartTime', match: 'day' },
      EndTime: { field: 'EndTime', match: 'day' }
    },
    create: { path: `${ACCOUNT}/Calls.json` },
    update: { path: `${ACCOUNT}/Calls/{Sid}.json` }
  },
  {
    name: 'Messages',
    description: 'SMS, MMS and WhatsApp messages sent and received by the account (Twilio Message resource). ' +
      'Create sends a message; Update with an empty Body redacts it; Delete removes a finished message.',
    spec: 'current',
    resource: 'api.v2010.account.message',
    operations: ['LIST', 'GET', 'CREATE', 'UPDATE', 'DELETE'],
    defaultOrder: 'DateCreated descending (newest first), as Twilio lists messages',
    pushDown: {
      To: { field: 'To', match: 'address' },
      From: { field: 'Sender', match: 'address' },
      DateSent: { field: 'DateSent', match: 'day' }
    },
    // Twilio refuses longer bodies (error 21617); refused here before anything is sent.
    create: { path: `${ACCOUNT}/Messages.json`, refine: { Body: { maxLength: 1600 } } },
    update: { path: `${ACCOUNT}/Messages/{Sid}.json` }
  },
  {
    name: 'Recordings',
    description: 'Call recordings of the account (Twilio Recording resource). Create starts recording a live call ' +
      '(CallSid); Update pauses, resumes or stops it through the recording\'s call; Delete removes the recording ' +
      '(Twilio keeps its metadata for 40 days).',
    spec: 'current',
    resource: 'api.v2010.account.recording',
    operations: ['LIST', 'GET', 'CREATE', 'UPDATE', 'DELETE'],
    defaultOrder: 'DateCreated descending (newest first), as Twilio lists recordings',
    pushDown: {
      DateCreated: { field: 'DateCreated', match: 'day' },
      CallSid: { field: 'CallSid', match: 'equals' },
      ConferenceSid: { field: 'ConferenceSid', match: 'equals' }
    },
    create: {
      path: `${ACCOUNT}/Calls/{CallSid}/Recordings.json`,
      pathInputs: { CallSid: { param: 'CallSid', pattern: CALL_SID_PATTERN, description: 'The SID of the live call to record.' } },
      required: ['CallSid']
    },
    update: { path: `${ACCOUNT}/Calls/{CallSid}/Recordings/{Sid}.json` }
  },
  {
    name: 'Feedback',
    description: 'Quality feedback on a call (Twilio call Feedback resource), keyed by the call\'s SID. Create and ' +
      'Update rate the call; List needs the condition Sid = \'CA…\'.',
    spec: 'legacy',
    resource: 'api.v2010.account.call.call_feedback',
    operations: ['LIST', 'GET', 'CREATE', 'UPDATE'],
    create: {
      path: `${ACCOUNT}/Calls/{CallSid}/Feedback.json`,
      pathInputs: { Sid: { param: 'CallSid', pattern: CALL_SID_PATTERN, description: 'The SID of the call the feedback is about.' } },
      required: ['Sid', 'QualityScore'],
      refine: { QualityScore: { minimum: 1, maximum: 5 } }
    },
    update: { path: `${ACCOUNT}/Calls/{CallSid}/Feedback.json`, refine: { QualityScore: { minimum: 1, maximum: 5 } } },
    deprecated: FEEDBACK_DEPRECATION
  },
  {
    name: 'FeedbackSummary',
    description: 'An account-wide summary of call feedback over a date range (Twilio FeedbackSummary resource). ' +
      'It is computed asynchronously: Status goes from queued to completed.',
    spec: 'legacy',
    resource: 'api.v2010.account.call.call_feedback_summary',
    operations: ['GET', 'CREATE', 'DELETE'],
    create: { path: `${ACCOUNT}/Calls/FeedbackSummary.json` },
    deprecated: FEEDBACK_DEPRECATION
  },
  {
    name: 'IncomingPhoneNumbers',
    description: 'Phone numbers the account owns (Twilio IncomingPhoneNumber resource). Create buys a number; ' +
      'Update changes its name and webhooks; Delete releases it.',
    spec: 'current',
    resource: 'api.v2010.account.incoming_phone_number',
    operations: ['LIST', 'GET', 'CREATE', 'UPDATE', 'DELETE'],
    defaultOrder: 'Twilio\'s order (oldest purchase first)',
    pushDown: {
      PhoneNumber: { field: 'PhoneNumber', match: 'contains' },
      FriendlyName: { field: 'Name', match: 'equals' },
      Origin: { field: 'Origin', match: 'equals' }
    },
    create: { path: `${ACCOUNT}/IncomingPhoneNumbers.json` },
    update: { path: `${ACCOUNT}/IncomingPhoneNumbers/{Sid}.json` }
  },
  {
    name: 'OutgoingCallerIds',
    description: 'Verified caller IDs the account may call from (Twilio OutgoingCallerId resource). Create starts ' +
      'a verification: Twilio calls the number and the answer carries the ValidationCode to key in; the caller ID ' +
      'exists once the code is entered.',
    spec: 'current',
    resource: 'api.v2010.account.outgoing_caller_id',
    operations: ['LIST', 'GET', 'CREATE', 'UPDATE', 'DELETE'],
    defaultOrder: 'Twilio\'s order (oldest verification first)',
    pushDown: {
      PhoneNumber: { field: 'PhoneNumber', match: 'equals' },
      FriendlyName: { field: 'Name', match: 'equals' }
    },
    create: { path: `${ACCOUNT}/OutgoingCallerIds.json`, result: 'api.v2010.account.validation_request' },
    update: { path: `${ACCOUNT}/OutgoingCallerIds/{Sid}.json` }
  }
]

const pascal = (snake: string): string =>
  snake.split('_').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('')
const rowFieldName = (twilioName: string): string => RENAMES[twilioName] ?? pascal(twilioName)
const inputFieldName = (param: string): string => RENAMES[param] ?? param

function loadSpec (which: keyof typeof SPECS): JsonObject {
  return JSON.parse(readFileSync(new URL(SPECS[which], ROOT), 'utf8')) as JsonObject
}

function component (spec: JsonObject, name: string): JsonObject {
  const schemas = (spec.components as JsonObject).schemas as JsonObject
  const found = schemas[name]
  if (!found || typeof found !== 'object' || Array.isArray(found)) throw new Error(`spec has no component ${name}`)
  return found
}

/** Resolves a `$ref` to an enum component into its values. */
function enumOf (spec: JsonObject, node: JsonObject): string[] | undefined {
  const ref = node.$ref
  if (typeof ref === 'string') {
    const values = component(spec, ref.replace('#/components/schemas/', '')).enum
    if (Array.isArray(values)) return values as string[]
  }
  return Array.isArray(node.enum) ? (node.enum as string[]) : undefined
}

const withNull = (type: string): Json => [type, 'null']

/** A response property of Twilio's spec → the row field's JSON Schema. */
function rowProperty (spec: JsonObject, twilioName: string, node: JsonObject, isKey: boolean): JsonObject {
  const out: JsonObject = {}
  const values = enumOf(spec, node)
  const numeric = NUMERIC_STRINGS[twilioName]
  const type = numeric ?? (typeof node.type === 'string' ? node.type : values ? 'string' : undefined)
  if (type === 'object') {
    out.type = withNull('object')
    out.additionalProperties = node.format === 'uri-map' ? { type: 'string' } : true
  } else if (type === 'array') {
    out.type = withNull('array')
    const items = (node.items ?? {}) as JsonObject
    const itemValues = enumOf(spec, items)
    out.items = itemValues
      ? { type: 'string', enum: itemValues }
      : (typeof items.type === 'string' ? { type: items.type } : { type: 'object', additionalProperties: true })
  } else if (type !== undefined) {
    out.type = isKey ? type : withNull(type)
    if (node.format === 'date-time-rfc-2822') out.format = 'date-time'
    if (node.format === 'date') out.format = 'date'
    if (values) out.enum = isKey ? values : [...values, null]
    if (typeof node.pattern === 'string') out.pattern = node.pattern
  }
  // A property without a type (e.g. `encryption_details`) stays free-form JSON.
  let description = typeof node.description === 'string' ? node.description : ''
  if (out.format === 'date-time') description = description.replace(/\[RFC 2822\]\([^)]*\)|RFC 2822/g, 'ISO 8601')
  out.description = numeric ? `${description} (Twilio sends it as a string; the gateway types it.)`.trim() : description
  if (DATA_TYPE_OVERRIDES[twilioName]) out['x-data-type'] = DATA_TYPE_OVERRIDES[twilioName]
  out['x-twilio-name'] = twilioName
  return out
}

/** A form parameter of Twilio's spec → the input field's JSON Schema. */
function inputProperty (spec: JsonObject, param: string, node: JsonObject, refine: JsonObject | undefined): JsonObject {
  const out: JsonObject = {}
  const values = enumOf(spec, node)
  if (node.type === 'array') {
    const items = (node.items ?? {}) as JsonObject
    const itemValues = enumOf(spec, items)
    const ignoreFormat = (items['x-twilio'] as JsonObject | undefined)?.ignoreFormat === true
    out.type = 'array'
    out.items = itemValues
      ? { type: 'string', enum: itemValues }
      : { type: 'string', ...(items.format === 'uri' && !ignoreFormat ? { format: 'uri' } : {}) }
  } else {
    out.type = typeof node.type === 'string' ? node.type : 'string'
    if (node.format === 'uri' || node.format === 'date' || node.format === 'date-time') out.format = node.format
    if (values) out.enum = values
    for (const keyword of ['pattern', 'minLength', 'maxLength', 'minimum', 'maximum'] as const) {
      if (node[keyword] !== undefined) out[keyword] = node[keyword]
    }
  }
  Object.assign(out, refine ?? {})
  out.description = typeof node.description === 'string' ? node.description : ''
  out['x-twilio-param'] = param
  if (RENAMES[param]) out['x-aliases'] = [param]
  return out
}

function inputSchema (spec: JsonObject, source: InputSource, title: string): JsonObject {
  const paths = spec.paths as JsonObject
  const operation = ((paths[source.path] as JsonObject).post) as JsonObject
  const body = ((((operation.requestBody as JsonObject).content as JsonObject)['application/x-www-form-urlencoded'] as JsonObject).schema) as JsonObject
  const properties: JsonObject = {}
  for (const [field, input] of Object.entries(source.pathInputs ?? {})) {
    properties[field] = {
      type: 'string', pattern: input.pattern, description: input.description, 'x-twilio-param': input.param, 'x-twilio-in': 'path'
    }
  }
  for (const [param, node] of Object.entries(body.properties as JsonObject)) {
    properties[inputFieldName(param)] = inputProperty(spec, param, node as JsonObject, source.refine?.[inputFieldName(param)] as JsonObject | undefined)
  }
  const required = [...new Set([...(source.required ?? []), ...((body.required as string[] | undefined) ?? []).map(inputFieldName)])]
  const conditional = ((operation['x-twilio'] as JsonObject | undefined)?.conditional as string[][] | undefined) ?? []
  const oneOf = conditional.map((group) => group.map((snake) => inputFieldName(pascal(snake))))
  for (const group of oneOf) {
    for (const field of group) if (!properties[field]) throw new Error(`${title}: conditional field ${field} is not an input`)
  }
  const rules = [
    ...(required.length ? [`Requires ${required.join(', ')}.`] : []),
    ...oneOf.map((group) => `Requires one of ${group.join(', ')}.`)
  ]
  return {
    title,
    description: rules.join(' '),
    type: 'object',
    additionalProperties: false,
    properties,
    ...(required.length ? { required } : {}),
    ...(oneOf.length ? { 'x-required-one-of': oneOf } : {})
  }
}

function rowSchema (spec: JsonObject, resource: string, title: string, writable: Set<string>): JsonObject {
  const node = component(spec, resource)
  const entries = Object.entries(node.properties as JsonObject)
  // The key leads, as it does in Google's entity schemas.
  entries.sort(([a], [b]) => Number(b === 'sid') - Number(a === 'sid'))
  const properties: JsonObject = {}
  for (const [twilioName, property] of entries) {
    const field = rowFieldName(twilioName)
    properties[field] = rowProperty(spec, twilioName, property as JsonObject, twilioName === 'sid')
    if (!writable.has(field) && twilioName !== 'sid') (properties[field] as JsonObject).readOnly = true
  }
  return { title, type: 'object', properties }
}

/** Each pushed filter must be a list parameter of Twilio's spec and name a row field. */
function checkPushDown (spec: JsonObject, definition: EntityDefinition, rowProperties: JsonObject): void {
  if (!definition.pushDown) return
  const list = ((spec.paths as JsonObject)[`${ACCOUNT}/${definition.name}.json`] as JsonObject | undefined)?.get as JsonObject | undefined
  const params = new Set(((list?.parameters ?? []) as JsonObject[]).map((parameter) => parameter.name))
  for (const [param, { field, match }] of Object.entries(definition.pushDown)) {
    if (!params.has(param)) throw new Error(`${definition.name}: Twilio's list has no parameter ${param}`)
    if (match === 'day' && !(params.has(`${param}<`) && params.has(`${param}>`))) throw new Error(`${definition.name}: ${param} has no < / > forms`)
    if (!rowProperties[field]) throw new Error(`${definition.name}: push-down field ${field} is not a row field`)
  }
}

export function deriveEntitySchema (definition: EntityDefinition): JsonObject {
  const spec = loadSpec(definition.spec)
  const create = definition.create ? inputSchema(spec, definition.create, `${definition.name}Create`) : undefined
  const update = definition.update ? inputSchema(spec, definition.update, `${definition.name}Update`) : undefined
  const writable = new Set([
    ...Object.keys((create?.properties ?? {}) as JsonObject),
    ...Object.keys((update?.properties ?? {}) as JsonObject)
  ])
  const row = rowSchema(spec, definition.resource, definition.name, writable)
  const sidPattern = ((row.properties as JsonObject).Sid as JsonObject).pattern as string
  checkPushDown(spec, definition, row.properties as JsonObject)
  const defs: JsonObject = {}
  if (create) defs.Create = create
  if (update) defs.Update = update
  if (definition.create?.result) {
    defs.CreateResult = rowSchema(spec, definition.create.result, `${definition.name}CreateResult`, new Set())
  }
  return {
    $id: definition.name,
    title: definition.name,
    description: definition.deprecated ? `${definition.description} ${definition.deprecated}` : definition.description,
    ...(definition.deprecated ? { deprecated: true } : {}),
    type: 'object',
    'x-entity': {
      key: 'Sid',
      idPattern: sidPattern,
      operations: definition.operations,
      ...(definition.defaultOrder ? { defaultOrder: definition.defaultOrder } : {}),
      ...(definition.pushDown ? { pushDown: Object.entries(definition.pushDown).map(([param, { field, match }]) => ({ field, param, match })) } : {}),
      ...(definition.deprecated ? { deprecation: definition.deprecated } : {}),
      twilio: { spec: SPECS[definition.spec].replace('vendor/twilio-openapi/', ''), resource: definition.resource }
    },
    required: ['Sid'],
    properties: row.properties as JsonObject,
    $defs: defs
  }
}

/** Every entity's derived schema, keyed by file name under `schemas/`. */
export function deriveAll (): Record<string, string> {
  return Object.fromEntries(ENTITIES.map((definition) =>
    [`${definition.name}.json`, JSON.stringify(deriveEntitySchema(definition), null, 2) + '\n']))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check')
  let stale = 0
  for (const [file, text] of Object.entries(deriveAll())) {
    const target = new URL(`schemas/${file}`, ROOT)
    let current = ''
    try { current = readFileSync(target, 'utf8') } catch {}
    if (current === text) continue
    if (check) {
      console.error(`schemas/${file} is not what the spec derives; run npm run schemas`)
      stale++
    } else {
      writeFileSync(target, text)
      console.log(`wrote schemas/${file}`)
    }
  }
  process.exit(stale ? 1 : 0)
}
