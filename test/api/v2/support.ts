/**
 * Shared helpers of the v2 runtime behaviour tests: a gateway wired to its own sandbox (with a manual clock), the
 * entity schemas as `schemas/` defines them, row assertions, connections built by hand, and the sandbox's log of
 * what the gateway sent upstream.
 */
import { readFileSync } from 'node:fs'
import { expect } from 'vitest'
import type { Connection } from '../../../src/connections/connection.js'
import type { LoggedRequest, SandboxOptions } from '../../../src/sandbox/app.js'
import { SANDBOX_PATH, startGateway, type Answer, type GatewayOptions, type TestGateway } from '../../helpers/gateway.js'
import { startSandbox, type TestSandbox } from '../../helpers/sandbox.js'

/** The fixed instant the tests' sandboxes start at: records created then carry `2024-01-02T03:04:05Z`. */
export const T0 = Date.UTC(2024, 0, 2, 3, 4, 5)

/** The sandbox connection's full name (what `name` of each entity starts with). */
export const SANDBOX_CONNECTION = SANDBOX_PATH.slice('/v2/'.length)

/** ISO 8601 in UTC, to the second, as the gateway types every Twilio timestamp. */
export const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

/** The records of Google's Twilio connector page, which the sandbox seeds. */
export const GOOGLE = {
  recording: 'RE2e915e78549694bd0a0742d2d39454e5',
  deletableCall: 'CAaa4a99c300bd9d1bcc0d1ae9dcd248c6',
  callWithoutFeedback: 'CAdefbf2b4caa7df11dc48106385e32345',
  message: 'SM3ad97d41e786c02bca47c8ce1745053b',
  incomingPhoneNumber: 'PN4047ac009a15885690a50a1d388b8411',
  outgoingCallerId: 'PN6f5f9bf39cb1801a6e21a5a80d274bdd'
} as const

/** Numbers the sandbox account owns or may use. */
export const OWNED_NUMBER = '+15005550006'
export const WHATSAPP_SENDER = 'whatsapp:+14155238886'

export type EntityName = 'Recordings' | 'Calls' | 'Feedback' | 'FeedbackSummary' | 'Messages' | 'IncomingPhoneNumbers' | 'OutgoingCallerIds'
export const ENTITY_NAMES: readonly EntityName[] = [
  'Recordings', 'Calls', 'Feedback', 'FeedbackSummary', 'Messages', 'IncomingPhoneNumbers', 'OutgoingCallerIds'
]

export interface JsonProperty {
  type?: string | string[]
  format?: string
  readOnly?: boolean
  [keyword: string]: unknown
}
export interface InputSchema { properties: Record<string, JsonProperty>, required?: string[] }
export interface EntitySchema {
  deprecated?: boolean
  properties: Record<string, JsonProperty>
  'x-entity': { key: string, idPattern: string, operations: string[], deprecation?: string }
  $defs: { Create?: InputSchema, Update?: InputSchema, CreateResult?: InputSchema }
}

const schemaCache = new Map<EntityName, EntitySchema>()

/** An entity's JSON Schema, read from `schemas/` (the single source the gateway is built from). */
export function entitySchema (name: EntityName): EntitySchema {
  let schema = schemaCache.get(name)
  if (!schema) {
    schema = JSON.parse(readFileSync(new URL(`../../../schemas/${name}.json`, import.meta.url), 'utf8')) as EntitySchema
    schemaCache.set(name, schema)
  }
  return schema
}

/** `…/entityTypes/{entity}/entities[/{id}]` of a connection path (the sandbox connection by default). */
export function entityPath (entity: string, id?: string, connectionPath = SANDBOX_PATH): string {
  return `${connectionPath}/entityTypes/${entity}/entities${id === undefined ? '' : `/${id}`}`
}

export function entityName (entity: EntityName, sid: string, connection = SANDBOX_CONNECTION): string {
  return `${connection}/entityTypes/${entity}/entities/${sid}`
}

const typesOf = (property: JsonProperty): string[] =>
  Array.isArray(property.type) ? property.type : property.type === undefined ? [] : [property.type]

function jsonTypeOf (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

/**
 * Asserts that `fields` holds exactly the given properties (every one present, null when unknown) and that each
 * value has its schema's type: numbers as numbers, booleans as booleans, objects as objects, date-times ISO 8601.
 */
export function expectTypedFields (fields: Record<string, unknown>, properties: Record<string, JsonProperty>): void {
  expect(Object.keys(fields).sort()).toEqual(Object.keys(properties).sort())
  for (const [field, property] of Object.entries(properties)) {
    const value = fields[field]
    expect(value, `${field} is present`).not.toBeUndefined()
    const types = typesOf(property)
    if (types.length === 0 || value === null) continue
    const actual = jsonTypeOf(value)
    const allowed = types.includes('number') ? [...types, 'integer'] : types
    expect(allowed, `${field} = ${JSON.stringify(value)} has type ${actual}`).toContain(actual)
    if (property.format === 'date-time') expect(value, `${field} is ISO 8601`).toMatch(ISO_8601)
    if (property.format === 'date') expect(value, `${field} is a date`).toMatch(/^\d{4}-\d{2}-\d{2}$/)
  }
}

/** Asserts a 200 answer holding one entity of `entity`: its `name`, and every schema field with its type. */
export function expectEntity (answer: Answer, entity: EntityName, sid?: string, connection = SANDBOX_CONNECTION): Record<string, unknown> {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  const fields = answer.body.fields as Record<string, unknown>
  const key = sid ?? fields.Sid
  expect(typeof key).toBe('string')
  expect(fields.Sid).toBe(key)
  expect(answer.body.name).toBe(entityName(entity, key as string, connection))
  expectTypedFields(fields, entitySchema(entity).properties)
  return fields
}

/** Asserts a 200 list answer and checks every row as `expectEntity` does; answers the rows' fields. */
export function expectEntityList (answer: Answer, entity: EntityName, connection = SANDBOX_CONNECTION): Array<Record<string, unknown>> {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  expect(typeof answer.body.nextPageToken).toBe('string')
  const entities = answer.body.entities as Array<{ name: string, fields: Record<string, unknown> }>
  expect(Array.isArray(entities)).toBe(true)
  for (const row of entities) expectEntity({ status: 200, body: row, headers: {} }, entity, undefined, connection)
  return entities.map((row) => row.fields)
}

/** Asserts a google.rpc.Status answer with this HTTP status and code; answers its `error`. */
export function expectRpcError (answer: Answer, status: number, code: string): { code: number, message: string, status: string, details: any[] } {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status)
  const error = answer.body?.error
  expect(error, JSON.stringify(answer.body)).toMatchObject({ code: status, status: code })
  expect(typeof error.message).toBe('string')
  expect(Array.isArray(error.details)).toBe(true)
  return error
}

/** The field names of an answer's `google.rpc.BadRequest` detail. */
export function violatedFields (answer: Answer): string[] {
  const detail = answer.body?.error?.details?.find((item: { '@type': string }) => item['@type'] === 'type.googleapis.com/google.rpc.BadRequest')
  expect(detail, `a BadRequest detail in ${JSON.stringify(answer.body)}`).toBeDefined()
  return (detail.fieldViolations as Array<{ field: string }>).map((violation) => violation.field)
}

/** The Twilio `ErrorInfo` detail of an answer, asserted to carry Twilio's code, message and more_info. */
export function twilioErrorInfo (answer: Answer): { reason: string, domain: string, metadata: Record<string, string> } {
  const info = answer.body?.error?.details?.find((item: { '@type': string, domain?: string }) =>
    item['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo' && item.domain === 'api.twilio.com')
  expect(info, `a Twilio ErrorInfo in ${JSON.stringify(answer.body)}`).toBeDefined()
  expect(info.metadata.code).toMatch(/^\d{5}$/)
  expect(typeof info.metadata.message).toBe('string')
  expect(info.metadata.message.length).toBeGreaterThan(0)
  expect(info.metadata.more_info).toBe(`https://www.twilio.com/docs/errors/${String(info.metadata.code)}`)
  return info
}

export interface ManualClock { now: () => number, advance: (ms: number) => void }

export function manualClock (start = T0): ManualClock {
  let now = start
  return { now: () => now, advance: (ms) => { now += ms } }
}

export interface World {
  gateway: TestGateway
  sandbox: TestSandbox
  clock: ManualClock
  /** Requests the sandbox received from the gateway (the control API excluded), oldest first. */
  upstream: () => LoggedRequest[]
  /** Forgets the sandbox's request log, so the next assertions see only what follows. */
  clearUpstream: () => void
  /** Calls the gateway; every answer is remembered in `answers`. */
  call: TestGateway['call']
  answers: Answer[]
  close: () => Promise<void>
}

export interface WorldOptions {
  sandbox?: Partial<SandboxOptions>
  gateway?: Omit<GatewayOptions, 'sandbox'>
  /**
   * The gateway reads the world's manual clock too (TODAY() and NOW() in conditions, the throttle, idempotency keys),
   * so both sides agree on what "now" is and a test moves them together.
   */
  gatewayClock?: boolean
}

/** A fresh sandbox (manual clock at T0, small seed unless told) and a gateway whose `sandbox` connection reaches it. */
export async function startWorld (options: WorldOptions = {}): Promise<World> {
  const clock = manualClock()
  const sandbox = await startSandbox({ now: clock.now, seed: { calls: 40, messages: 30 }, ...options.sandbox })
  const gatewayOptions = options.gatewayClock
    ? { ...options.gateway, config: { ...options.gateway?.config, clock: clock.now } }
    : options.gateway
  const gateway = await startGateway({ ...gatewayOptions, sandbox })
  const answers: Answer[] = []
  return {
    gateway,
    sandbox,
    clock,
    upstream: () => sandbox.control.requests.list(),
    clearUpstream: () => { sandbox.control.requests.clear() },
    answers,
    call: async (method, url, body, headers) => {
      const answer = await gateway.call(method, url, body, headers)
      answers.push(answer)
      return answer
    },
    close: async () => {
      await gateway.close()
      await sandbox.close()
    }
  }
}

/** Runs `action` and asserts that it sent nothing upstream. */
export async function withoutUpstream<T> (world: World, action: () => Promise<T>): Promise<T> {
  world.clearUpstream()
  const result = await action()
  expect(world.upstream()).toEqual([])
  return result
}

/**
 * Asserts exactly the requests the sandbox received since the last clear: each as [method, path relative to the
 * account, form body] (the body is checked only when given).
 */
export function expectUpstream (world: World, expected: Array<[method: string, path: string, body?: unknown]>): LoggedRequest[] {
  const requests = world.upstream()
  expect(requests.map((request) => [request.method, accountPath(request, world.sandbox.accountSid)]))
    .toEqual(expected.map(([method, path]) => [method, path]))
  expected.forEach(([, , body], index) => { if (body !== undefined) expect(requests[index]?.body).toEqual(body) })
  return requests
}

/** Deletes through the gateway and asserts Google's `{}` answer and Twilio's 204 for exactly one DELETE upstream. */
export async function expectDeleted (world: World, gatewayPath: string, upstreamPath: string): Promise<void> {
  world.clearUpstream()
  const answer = await world.call('DELETE', gatewayPath)
  expect(answer.status).toBe(200)
  expect(answer.body).toEqual({})
  const [request] = expectUpstream(world, [['DELETE', upstreamPath]])
  expect(request?.status).toBe(204)
}

/** The path of a sandbox request relative to the account: `Messages/SM….json`. */
export function accountPath (request: LoggedRequest, accountSid: string): string {
  const prefix = `/2010-04-01/Accounts/${accountSid}/`
  expect(request.path.startsWith(prefix), request.path).toBe(true)
  return request.path.slice(prefix.length)
}

export interface ConnectionOptions {
  /** The `sandbox` config variable: omitted when undefined. */
  sandbox?: boolean
  suspended?: boolean
}

/** A Twilio connection in the Connectors v1 shape, built by hand: Basic credentials from a secret version. */
export function connection (name: string, accountSid: string, secretVersion: string, options: ConnectionOptions = {}): Connection {
  return {
    name,
    connectorVersion: 'projects/local/locations/global/providers/twilio/connectors/twilio/versions/1',
    configVariables: [
      { key: 'account_sid', stringValue: accountSid },
      ...(options.sandbox === undefined ? [] : [{ key: 'sandbox', boolValue: options.sandbox }])
    ],
    authConfig: {
      authType: 'USER_PASSWORD',
      userPassword: { username: accountSid, password: { secretVersion } }
    },
    ...(options.suspended === undefined ? {} : { suspended: options.suspended })
  }
}

/** `/v2/projects/p/locations/l/connections/{id}` and its full name. */
export function connectionAt (id: string): { name: string, path: string } {
  const name = `projects/p/locations/l/connections/${id}`
  return { name, path: `/v2/${name}` }
}

/** ISO 8601 to the second, as the gateway formats the sandbox clock's instants. */
export function iso (ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * Asserts that each malformed id is refused with 400 INVALID_ARGUMENT naming `entityId`, by every id-taking
 * operation given, before anything is sent upstream.
 */
export async function expectIdsRefused (
  world: World,
  entity: EntityName,
  ids: readonly string[],
  operations: ReadonlyArray<'GET' | 'UPDATE' | 'DELETE'>,
  validUpdate: Record<string, unknown> = {}
): Promise<void> {
  const method = { GET: 'GET', UPDATE: 'PATCH', DELETE: 'DELETE' } as const
  for (const id of ids) {
    for (const operation of operations) {
      const answer = await withoutUpstream(world, () =>
        world.call(method[operation], entityPath(entity, id), operation === 'UPDATE' ? { fields: validUpdate } : undefined))
      expectRpcError(answer, 400, 'INVALID_ARGUMENT')
      expect(violatedFields(answer), `${operation} ${entity}/${id}`).toEqual(['entityId'])
    }
  }
}
