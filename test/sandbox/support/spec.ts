/**
 * Twilio's vendored OpenAPI specs as strict validators of the sandbox's answers: OpenAPI 3.0 response schemas
 * converted to JSON Schema (`nullable`, `$ref`s inlined), every listed property required and no other allowed,
 * Twilio's custom formats checked for real; plus a comparison with Twilio's published response examples.
 */
import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import * as ajvFormats from 'ajv-formats'

type Schema = Record<string, any>
interface OpenApi {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema: Schema, examples?: Record<string, { value: unknown }> }> }> }>>
  components: { schemas: Record<string, Schema> }
}

function load (file: string): OpenApi {
  return JSON.parse(readFileSync(new URL(`../../../vendor/twilio-openapi/${file}`, import.meta.url), 'utf8')) as OpenApi
}

export const SPECS = {
  current: load('api_v2010.current.subset.json'),
  legacy: load('api_v2010.legacy-feedback.subset.json')
}
export type SpecName = keyof typeof SPECS

const REF = '#/components/schemas/'
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
export const RFC_2822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/

/** An RFC 2822 date as Twilio writes it: a real calendar date and time whose weekday is right. */
export function isRfc2822 (value: string): boolean {
  const match = RFC_2822.exec(value)
  if (!match) return false
  const [, day, date, month, year, hours, minutes, seconds, sign, offsetHours, offsetMinutes] = match
  const local = Date.UTC(Number(year), MONTHS.indexOf(month as string), Number(date), Number(hours), Number(minutes), Number(seconds))
  const check = new Date(local)
  const offset = (Number(offsetHours) * 60 + Number(offsetMinutes)) * (sign === '-' ? -1 : 1)
  return check.getUTCDate() === Number(date) && check.getUTCHours() === Number(hours) && check.getUTCMinutes() === Number(minutes) &&
    check.getUTCSeconds() === Number(seconds) && DAYS[check.getUTCDay()] === day && Math.abs(offset) < 24 * 60
}

/** A URI as Twilio's fields carry it: relative to https://api.twilio.com (`/2010-04-01/…`) or an absolute http(s) URL. */
export function isUri (value: string): boolean {
  if (value.startsWith('/')) return !/\s/.test(value) && URL.canParse(value, 'https://api.twilio.com')
  return /^https?:\/\//.test(value) && URL.canParse(value)
}

const FORMATS: Record<string, (value: string) => boolean> = {
  'date-time-rfc-2822': isRfc2822,
  // E.164, optionally behind a channel prefix such as `whatsapp:`.
  'phone-number': (value) => /^(?:(?:whatsapp|messenger|rcs):)?\+[1-9]\d{1,14}$/.test(value),
  // A phone number, a Client identifier, a SIP address or a SIM.
  endpoint: (value) => /^(?:\+[1-9]\d{1,14}|client:[\w.@-]+|sip:[^@\s]+@\S+|sim:[0-9a-fA-F]{34})$/i.test(value),
  currency: (value) => /^[A-Za-z]{3}$/.test(value),
  'http-method': (value) => /^(?:HEAD|GET|POST|PATCH|PUT|DELETE)$/.test(value),
  uri: isUri,
  twiml: (value) => /^\s*<Response[\s>]/.test(value)
}

/** A strict Ajv with Twilio's formats (and ajv-formats for the standard `date`, `date-time`, `int64`). */
export function createAjv (): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true })
  const addFormats = (ajvFormats as unknown as { default: (ajv: Ajv, formats: string[]) => Ajv }).default
  addFormats(ajv, ['date', 'date-time', 'int32', 'int64'])
  for (const [name, validate] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate })
  return ajv
}

/**
 * Converts an OpenAPI 3.0 schema to a strict JSON Schema: `$ref`s inlined (siblings kept), `nullable` turned into
 * a `null` type (and enum value), every object's listed properties required and nothing else allowed. Twilio's
 * object formats cannot be Ajv formats (those check strings only), so they become structure: a `uri-map` is an
 * object of URIs, `phone-number-capabilities` a strict object of its boolean properties.
 */
export function toJsonSchema (schema: Schema, spec: OpenApi): Schema {
  let node = schema
  if (typeof node.$ref === 'string') {
    const { $ref, ...siblings } = node
    const target = spec.components.schemas[$ref.slice(REF.length)]
    if (!target) throw new Error(`unknown $ref ${$ref}`)
    node = { ...target, ...siblings }
  }
  const out: Schema = {}
  for (const [key, value] of Object.entries(node)) {
    if (['description', 'example', 'examples', 'nullable', 'format', 'title', 'properties', 'items', 'enum', 'type'].includes(key) || key.startsWith('x-')) continue
    out[key] = value
  }
  const nullable = node.nullable === true
  if (node.type !== undefined) out.type = nullable ? [node.type, 'null'] : node.type
  if (node.enum !== undefined) out.enum = nullable ? [...node.enum, null] : node.enum
  if (node.items !== undefined) out.items = toJsonSchema(node.items, spec)
  if (node.format === 'uri-map') {
    out.additionalProperties = { type: 'string', format: 'uri' }
  } else if (node.format !== undefined && node.format !== 'phone-number-capabilities') {
    out.format = node.format
  }
  if (node.properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(node.properties as Record<string, Schema>).map(([name, property]) => [name, toJsonSchema(property, spec)]))
    out.required = Object.keys(node.properties)
    out.additionalProperties = false
  }
  return out
}

export interface Operation {
  spec: SpecName
  /** A path of the spec, e.g. `/2010-04-01/Accounts/{AccountSid}/Calls.json`. */
  path: string
  method: 'get' | 'post'
  status: number
}

function responseOf ({ spec, path, method, status }: Operation) {
  const content = SPECS[spec].paths[path]?.[method]?.responses?.[String(status)]?.content?.['application/json']
  if (!content) throw new Error(`${spec} spec has no ${method.toUpperCase()} ${path} ${status} JSON response`)
  return content
}

/** The component name of the record an operation answers (for a list: of its items), and its list key. */
function recordOf (operation: Operation): { name: string, listKey?: string } {
  const { schema } = responseOf(operation)
  if (typeof schema.$ref === 'string') return { name: schema.$ref.slice(REF.length) }
  const [listKey, list] = Object.entries(schema.properties as Record<string, Schema>).find(([, property]) => property.type === 'array') ?? []
  if (!listKey || !list) throw new Error(`cannot find the records of ${operation.path}`)
  return { name: list.items.$ref.slice(REF.length), listKey }
}

const ajv = createAjv()
const validators = new Map<string, ValidateFunction>()

export function validatorFor (operation: Operation): ValidateFunction {
  const key = `${operation.spec} ${operation.method} ${operation.path} ${operation.status}`
  let validate = validators.get(key)
  if (!validate) {
    validate = ajv.compile(toJsonSchema(responseOf(operation).schema, SPECS[operation.spec]))
    validators.set(key, validate)
  }
  return validate
}

export function examplesOf (operation: Operation): Array<[string, unknown]> {
  return Object.entries(responseOf(operation).examples ?? {}).map(([name, example]) => [name, example.value])
}

/**
 * The keys Twilio's examples show in each resource's `subresource_uris`, united over all examples of that
 * resource (the `create` example of a message shows `media` only, its fetch example `media` and `feedback`).
 */
const uriMapKeys = new Map<string, Set<string>>()
for (const spec of Object.values(SPECS)) {
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      for (const status of Object.keys(operation.responses ?? {})) {
        if (!operation.responses?.[status]?.content?.['application/json']?.examples) continue
        const op: Operation = { spec: spec === SPECS.current ? 'current' : 'legacy', path, method: method as Operation['method'], status: Number(status) }
        const { name, listKey } = recordOf(op)
        for (const [, example] of examplesOf(op)) {
          const records = listKey ? (example as Record<string, unknown[]>)[listKey] ?? [] : [example]
          for (const record of records as Array<Record<string, unknown>>) {
            const map = record.subresource_uris
            if (map && typeof map === 'object') {
              const keys = uriMapKeys.get(name) ?? new Set()
              for (const uriKey of Object.keys(map)) keys.add(uriKey)
              uriMapKeys.set(name, keys)
            }
          }
        }
      }
    }
  }
}

/**
 * Where Twilio's examples contradict its own schema, the sandbox follows the schema: the call-scoped recording's
 * `price` is a number in `api.v2010.account.call.call_recording` but a string in its examples.
 */
const SCHEMA_OVER_EXAMPLE = new Set(['api.v2010.account.call.call_recording.price'])

function kind (value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
}

/** Differences of an answer from one published example: key sets, JSON kinds, date and URI styles. */
export function exampleDifferences (actual: unknown, example: unknown, record: string, at = '$'): string[] {
  if (actual === null || example === null) return []
  const problems: string[] = []
  const field = at.split('.').pop() ?? ''
  if (kind(actual) !== kind(example)) {
    if (!SCHEMA_OVER_EXAMPLE.has(`${record}.${field}`)) problems.push(`${at}: ${kind(actual)} where Twilio's example has ${kind(example)}`)
    return problems
  }
  if (Array.isArray(actual) && Array.isArray(example)) {
    return actual.length > 0 && example.length > 0 ? exampleDifferences(actual[0], example[0], record, `${at}[0]`) : []
  }
  if (typeof actual === 'object' && typeof example === 'object') {
    const a = actual as Record<string, unknown>
    const e = example as Record<string, unknown>
    if (field === 'subresource_uris') {
      const expected = [...(uriMapKeys.get(record) ?? [])].sort()
      if (Object.keys(a).sort().join() !== expected.join()) problems.push(`${at}: keys ${Object.keys(a).sort().join()} instead of ${expected.join()}`)
    } else if (field !== 'encryption_details') {
      const missing = Object.keys(e).filter((key) => !(key in a))
      const extra = Object.keys(a).filter((key) => !(key in e))
      if (missing.length > 0) problems.push(`${at}: missing ${missing.join(', ')}`)
      if (extra.length > 0) problems.push(`${at}: not in Twilio's example: ${extra.join(', ')}`)
    }
    for (const key of Object.keys(a)) {
      if (key in e && field !== 'subresource_uris') problems.push(...exampleDifferences(a[key], e[key], record, `${at}.${key}`))
    }
    if (field === 'subresource_uris') {
      for (const [key, value] of Object.entries(a)) {
        if (typeof value !== 'string' || !value.startsWith('/2010-04-01/') || !value.endsWith('.json')) problems.push(`${at}.${key}: ${String(value)} is not a relative .json URI`)
      }
    }
    return problems
  }
  if (typeof actual === 'string' && typeof example === 'string') {
    if (RFC_2822.test(example) && !isRfc2822(actual)) problems.push(`${at}: '${actual}' is not an RFC 2822 date like '${example}'`)
    if (/^\d{4}-\d{2}-\d{2}$/.test(example) && !/^\d{4}-\d{2}-\d{2}$/.test(actual)) problems.push(`${at}: '${actual}' is not a YYYY-MM-DD date`)
    if (example.startsWith('/2010-04-01/')) {
      const [examplePath = '', exampleQuery] = example.split('?')
      const [actualPath = '', actualQuery] = actual.split('?')
      if (!actualPath.startsWith('/2010-04-01/')) problems.push(`${at}: '${actual}' is not a URI relative to the API root`)
      if (examplePath.endsWith('.json') !== actualPath.endsWith('.json')) problems.push(`${at}: '${actual}' and '${example}' differ in the .json suffix`)
      // Every paging URI carries PageSize and Page; next and previous pages also a PageToken.
      const paging = field === 'next_page_uri' || field === 'previous_page_uri' ? ['PageSize', 'Page', 'PageToken'] : ['PageSize', 'Page']
      for (const name of paging) {
        if (new URLSearchParams(exampleQuery).has(name) && !new URLSearchParams(actualQuery).has(name)) problems.push(`${at}: '${actual}' lacks ${name}`)
      }
    }
    if (/^https?:\/\//.test(example) && !/^https?:\/\//.test(actual)) problems.push(`${at}: '${actual}' is not an absolute URL`)
  }
  return problems
}

/**
 * Everything wrong with an answer to an operation: schema violations, then differences from each of Twilio's
 * examples of that operation. An empty list means the answer conforms.
 */
export function conformanceProblems (operation: Operation, body: unknown): string[] {
  const validate = validatorFor(operation)
  const problems = validate(body) ? [] : (validate.errors ?? []).map((error) => `schema: ${error.instancePath || '$'} ${error.message ?? ''}`)
  const { name } = recordOf(operation)
  for (const [exampleName, example] of examplesOf(operation)) {
    problems.push(...exampleDifferences(body, example, name).map((problem) => `example ${exampleName}: ${problem}`))
  }
  return problems
}
