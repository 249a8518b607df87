/**
 * Terraform compatibility: replays, request by request, what `google_integration_connectors_connection` (the
 * Google provider, with `integration_connectors_custom_endpoint = "http://127.0.0.1:8080/v1/"`) sends the gateway
 * through a resource's life — create, the waits, two updates (one that only toggles `suspended` back to false),
 * an import, delete — and asserts, at each step, exactly what the provider needs from the answer
 * (reference: shared/reference/google-connectors-api.md §6.2–6.3).
 *
 * What the provider does, and so what is replayed:
 * - URLs are `<base>projects/{project}/locations/{location}/connections…` with `alt=json` added and the query
 *   encoded by Go's url.Values (keys sorted, `,` as `%2C`); every request carries `Authorization: Bearer`,
 *   `Content-Type: application/json` (also on GET and DELETE, which have no body) and its User-Agent.
 * - Bodies hold only non-empty fields, at every level (`false`, `0` and `""` are dropped: a config variable may be
 *   its key alone), `intValue` as a JSON number, keys in Go's (sorted) order, `labels` the effective labels with
 *   `goog-terraform-provisioned: "true"`.
 * - A write answers an Operation; unless it is already `done`, the provider polls `GET <base><operation name>`
 *   (a 404 there means "not yet"); `error` fails the apply. Then `waitforConnectionReady` reads the connection
 *   until `status[0].state` is neither CREATING nor UPDATING — indexing `status[0]` unconditionally (a read without
 *   `status`, or with `{}`, panics the provider) — then one more read fills the state.
 * - An update sends every configured non-empty field, with `updateMask` naming only the changed ones, in the
 *   provider's order; a field in the mask but not in the body (`suspended` back to false) must be cleared.
 * - Import reads with `alt=json` only and then waits as above. Delete sends no body, waits on the operation; a
 *   404 on delete means "already deleted".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, startGateway, type TestGateway } from '../helpers/gateway.js'

const BASE = '/v1/'
const PROJECT = 'my-proj'
const LOCATION = 'us-central1'
const NAME = 'twilio-1'
const PARENT_PATH = `projects/${PROJECT}/locations/${LOCATION}`
const CONNECTION_PATH = `${PARENT_PATH}/connections/${NAME}`
const CONNECTOR_VERSION = `projects/${PROJECT}/locations/global/providers/twilio/connectors/twilio/versions/1`
const TOKEN_SECRET = `projects/${PROJECT}/secrets/twilio-token`
const USER_AGENT = 'Terraform/1.9.8 (+https://www.terraform.io) Terraform-Plugin-SDK/2.33.0 terraform-provider-google/6.12.0'
const OPERATION_METADATA_TYPE = 'type.googleapis.com/google.cloud.connectors.v1.OperationMetadata'
/** The provider's mask order (resourceIntegrationConnectorsConnectionUpdate). */
const MASK_ORDER = ['description', 'connectorVersion', 'configVariables', 'authConfig', 'lockConfig', 'destinationConfigs', 'serviceAccount',
  'suspended', 'nodeConfig', 'logConfig', 'sslConfig', 'eventingEnablementType', 'eventingConfig', 'labels']

type Json = Record<string, any>

interface Exchange { method: string, url: string, status: number, body: any, text: string }

/** JSON as Go's encoding/json writes a map[string]interface{}: keys sorted at every level. */
function goJson (value: unknown): string {
  const sorted = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(sorted)
    if (item && typeof item === 'object') {
      return Object.fromEntries(Object.keys(item).sort().map((key) => [key, sorted((item as Json)[key])]))
    }
    return item
  }
  return JSON.stringify(sorted(value))
}

/** Go's url.Values.Encode: keys sorted, values escaped as QueryEscape does (`,` → `%2C`, space → `+`). */
function goQuery (params: Record<string, string>): string {
  return Object.keys(params).sort()
    .map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(params[key]!).replace(/%20/g, '+')}`)
    .join('&')
}

/** The provider's "drop empty values at every level" (false, 0, "", empty objects and lists are not sent). */
function withoutEmpty (value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(withoutEmpty).filter((item) => item !== undefined)
    return items.length ? items : undefined
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => [key, withoutEmpty(item)] as const)
      .filter(([key, item]) => item !== undefined || key === 'key')
    return entries.length ? Object.fromEntries(entries) : undefined
  }
  return value === false || value === 0 || value === '' || value === null ? undefined : value
}

/** What the API answers for what was sent: the same, with int64 `intValue` as a string (proto3 JSON). */
function asAnswered (sent: Json): Json {
  const walk = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(walk)
    if (item && typeof item === 'object') {
      return Object.fromEntries(Object.entries(item).map(([key, value]) => [key, key === 'intValue' && typeof value === 'number' ? String(value) : walk(value)]))
    }
    return item
  }
  return walk(sent) as Json
}

describe('Terraform google_integration_connectors_connection, replayed against the gateway (§6.3)', () => {
  let gateway: TestGateway
  const log: Exchange[] = []
  let tokenVersion: string

  /** One request as the provider's transport sends it. */
  async function send (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, query: Record<string, string>, body?: Json): Promise<Exchange> {
    const url = `${BASE}${path}?${goQuery({ ...query, alt: 'json' })}`
    const response = await gateway.app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'application/json',
        'user-agent': USER_AGENT
      },
      ...(body === undefined ? {} : { payload: goJson(body) })
    })
    const text = response.body
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    const exchange = { method, url, status: response.statusCode, body: parsed, text }
    log.push(exchange)
    return exchange
  }

  function expectOk (exchange: Exchange): Json {
    // The provider: a 204 is an empty success; any other 2xx body must be a JSON object.
    expect(exchange.status, `${exchange.method} ${exchange.url} → ${exchange.status} ${exchange.text}`).toBe(200)
    expect(exchange.body).toBeTypeOf('object')
    expect(Array.isArray(exchange.body)).toBe(false)
    return exchange.body as Json
  }

  function expectNotFound (exchange: Exchange): void {
    expect(exchange.status, `${exchange.method} ${exchange.url} → ${exchange.status} ${exchange.text}`).toBe(404)
    expect(exchange.body?.error).toMatchObject({ code: 404, status: 'NOT_FOUND' })
    expect(exchange.body.error.message).toBeTypeOf('string')
  }

  /**
   * The provider's OperationWaitTime: nothing to do when the answer is `done`; otherwise poll
   * `GET <base><name>?alt=json` (404 = not yet) until `done`. Fails like the provider on `error`.
   */
  async function waitForOperation (operation: Json, verb: string, target: string): Promise<Json> {
    expect(operation.name).toBeTypeOf('string')
    // Relative, so that appending it to the base URL addresses it.
    expect(operation.name).toMatch(new RegExp(`^${PARENT_PATH}/operations/[^/]+$`))
    expect(operation.metadata).toMatchObject({ '@type': OPERATION_METADATA_TYPE, target, verb, apiVersion: 'v1' })
    let current = operation
    for (let poll = 0; current.done !== true; poll++) {
      expect(poll, `operation ${operation.name} still not done`).toBeLessThan(50)
      await new Promise((resolve) => setTimeout(resolve, 20))
      const exchange = await send('GET', current.name as string, {})
      if (exchange.status === 404) continue
      current = expectOk(exchange)
    }
    expect(current.done).toBe(true)
    expect(current.error, `the operation failed: ${JSON.stringify(current.error)}`).toBeUndefined()
    return current
  }

  /** waitforConnectionReady: read until status[0].state is neither CREATING nor UPDATING; then the final Read. */
  async function waitUntilReady (): Promise<Json> {
    for (let read = 0; ; read++) {
      expect(read, 'the connection never left CREATING/UPDATING').toBeLessThan(50)
      const connection = expectOk(await send('GET', CONNECTION_PATH, {}))
      // status[0] is indexed unconditionally: absent or {} panics the provider.
      expect(connection.status, 'status must be present on every read').toBeTypeOf('object')
      expect(Object.keys(connection.status).length).toBeGreaterThan(0)
      expect(connection.status.state).toBeTypeOf('string')
      if (!['CREATING', 'UPDATING'].includes(connection.status.state)) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return expectOk(await send('GET', CONNECTION_PATH, {}))
  }

  /** Every field the provider sent comes back exactly (int64 as strings), with the server's fields. */
  function expectResource (read: Json, sent: Json, revision: string): void {
    const answered = asAnswered(sent)
    for (const [field, value] of Object.entries(answered)) expect(read[field], `connection.${field}`).toEqual(value)
    expect(read.name).toBe(CONNECTION_PATH)
    expect(read.connectionRevision).toBe(revision)
    expect(read.createTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    expect(read.updateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
  }

  /** The mask the provider computes: the changed fields, in its order, comma-joined. */
  function updateMask (before: Json, after: Json): string {
    return MASK_ORDER.filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field])).join(',')
  }

  /** The configuration, as the provider turns it into a request body. */
  function body (config: Json): Json {
    return withoutEmpty(config) as Json
  }

  // The HCL being applied (values as Terraform holds them; empty ones included, as the provider sees them).
  let configured: Json
  let created: Json
  let afterFirstUpdate: Json

  beforeAll(async () => {
    gateway = await startGateway({ sandbox: true, database: true })
    tokenVersion = gateway.secrets.addVersion(TOKEN_SECRET, gateway.sandbox!.authToken)
    configured = {
      description: 'Twilio through the gateway',
      connectorVersion: CONNECTOR_VERSION,
      configVariables: [
        { key: 'sandbox', boolValue: true },
        // boolean_value = false: sent as the key alone.
        { key: 'proxy_enabled', boolValue: false },
        { key: 'account_sid', stringValue: gateway.sandbox!.accountSid }
      ],
      authConfig: {
        authType: 'USER_PASSWORD',
        authKey: '',
        // integer_value = 30: a JSON number.
        additionalVariables: [{ key: 'request_timeout_seconds', intValue: 30 }],
        userPassword: { username: gateway.sandbox!.accountSid, password: { secretVersion: tokenVersion } }
      },
      serviceAccount: '',
      suspended: false,
      nodeConfig: { minNodeCount: 2, maxNodeCount: 3 },
      logConfig: { enabled: true, level: 'INFO' },
      eventingEnablementType: '',
      labels: { env: 'dev', 'goog-terraform-provisioned': 'true' }
    }
  })
  afterAll(async () => {
    await gateway?.close()
  })

  it('sends what the provider sends: only non-empty fields, a config variable as its key alone, intValue a number', () => {
    const sent = body(configured)
    expect(goJson(sent)).toBe(goJson({
      authConfig: {
        additionalVariables: [{ intValue: 30, key: 'request_timeout_seconds' }],
        authType: 'USER_PASSWORD',
        userPassword: { password: { secretVersion: tokenVersion }, username: gateway.sandbox!.accountSid }
      },
      configVariables: [{ boolValue: true, key: 'sandbox' }, { key: 'proxy_enabled' }, { key: 'account_sid', stringValue: gateway.sandbox!.accountSid }],
      connectorVersion: CONNECTOR_VERSION,
      description: 'Twilio through the gateway',
      labels: { env: 'dev', 'goog-terraform-provisioned': 'true' },
      logConfig: { enabled: true, level: 'INFO' },
      nodeConfig: { maxNodeCount: 3, minNodeCount: 2 }
    }))
  })

  it('create: POST …/connections?alt=json&connectionId=twilio-1 → an Operation; the waits; the read returns every field as sent', async () => {
    const sent = body(configured)
    const post = await send('POST', `${PARENT_PATH}/connections`, { connectionId: NAME }, sent)
    expect(post.url).toBe(`/v1/${PARENT_PATH}/connections?alt=json&connectionId=${NAME}`)
    const operation = expectOk(post)
    const finished = await waitForOperation(operation, 'create', CONNECTION_PATH)
    if (finished.response) expect(finished.response['@type']).toBe('type.googleapis.com/google.cloud.connectors.v1.Connection')

    created = await waitUntilReady()
    expect(created.status.state).toBe('ACTIVE')
    expectResource(created, sent, '1')
    expect(created.connectionRevision).toBeTypeOf('string')
    // The config variable that came as its key alone is echoed as it came.
    expect(created.configVariables).toContainEqual({ key: 'proxy_enabled' })
    expect(created.authConfig.additionalVariables).toEqual([{ key: 'request_timeout_seconds', intValue: '30' }])
  })

  it('the operation answers by its relative name appended to the base URL', async () => {
    const post = log.find((exchange) => exchange.method === 'POST')!
    const exchange = await send('GET', post.body.name, {})
    const operation = expectOk(exchange)
    expect(operation).toMatchObject({ name: post.body.name, done: true })
    expect(operation.error).toBeUndefined()
  })

  it('update: all configured fields in the body, updateMask=description%2Clabels → the read shows the change, revision "2"', async () => {
    const before = configured
    configured = { ...configured, description: 'Twilio through the gateway (prod)', labels: { env: 'prod', 'goog-terraform-provisioned': 'true' } }
    const mask = updateMask(body(before), body(configured))
    expect(mask).toBe('description,labels')
    const sent = body(configured)
    const patch = await send('PATCH', CONNECTION_PATH, { updateMask: mask }, sent)
    expect(patch.url).toBe(`/v1/${CONNECTION_PATH}?alt=json&updateMask=description%2Clabels`)
    await waitForOperation(expectOk(patch), 'update', CONNECTION_PATH)
    afterFirstUpdate = await waitUntilReady()
    expect(afterFirstUpdate.status.state).toBe('ACTIVE')
    expectResource(afterFirstUpdate, sent, '2')
    expect(afterFirstUpdate.createTime).toBe(created.createTime)
  })

  it('update: suspended = true (updateMask=suspended) → INACTIVE, and the runtime refuses calls', async () => {
    const before = configured
    configured = { ...configured, suspended: true }
    const mask = updateMask(body(before), body(configured))
    expect(mask).toBe('suspended')
    const sent = body(configured)
    expect(sent.suspended).toBe(true)
    const patch = await send('PATCH', CONNECTION_PATH, { updateMask: mask }, sent)
    await waitForOperation(expectOk(patch), 'update', CONNECTION_PATH)
    const read = await waitUntilReady()
    expect(read.suspended).toBe(true)
    expect(read.status.state).toBe('INACTIVE')
    expectResource(read, sent, '3')

    const runtime = await gateway.call('GET', `/v2/${CONNECTION_PATH}/entityTypes/Messages/entities?pageSize=1`)
    expect(runtime.status).toBe(400)
    expect(runtime.body.error.status).toBe('FAILED_PRECONDITION')
  })

  it('update: suspended back to false — updateMask=suspended and no suspended in the body → cleared, ACTIVE again', async () => {
    const before = configured
    configured = { ...configured, suspended: false }
    const mask = updateMask(body(before), body(configured))
    expect(mask).toBe('suspended')
    const sent = body(configured)
    expect('suspended' in sent).toBe(false)
    const patch = await send('PATCH', CONNECTION_PATH, { updateMask: mask }, sent)
    await waitForOperation(expectOk(patch), 'update', CONNECTION_PATH)
    const read = await waitUntilReady()
    expect(read.suspended ?? false).toBe(false)
    expect(read.status.state).toBe('ACTIVE')
    expectResource(read, sent, '4')
    // Nothing else moved.
    for (const field of Object.keys(afterFirstUpdate)) {
      if (['suspended', 'connectionRevision', 'updateTime', 'status'].includes(field)) continue
      expect(read[field], `connection.${field}`).toEqual(afterFirstUpdate[field])
    }
    const runtime = await gateway.call('GET', `/v2/${CONNECTION_PATH}/entityTypes/Messages/entities?pageSize=1`)
    expect(runtime.status).toBe(200)
  })

  it('import: GET …/connections/twilio-1?alt=json answers the same resource, with status.state', async () => {
    const last = log.filter((exchange) => exchange.method === 'GET' && exchange.url.startsWith(`/v1/${CONNECTION_PATH}?`)).at(-1)!
    const imported = expectOk(await send('GET', CONNECTION_PATH, {}))
    expect(log.at(-1)!.url).toBe(`/v1/${CONNECTION_PATH}?alt=json`)
    expect(imported).toEqual(last.body)
    expect(imported.status.state).toBe('ACTIVE')
  })

  it('delete: DELETE …?alt=json (no body) → an Operation to wait on; then GET → 404 and a second DELETE → 404', async () => {
    const deleted = await send('DELETE', CONNECTION_PATH, {})
    expect(deleted.url).toBe(`/v1/${CONNECTION_PATH}?alt=json`)
    const finished = await waitForOperation(expectOk(deleted), 'delete', CONNECTION_PATH)
    if (finished.response) expect(finished.response['@type']).toBe('type.googleapis.com/google.protobuf.Empty')

    expectNotFound(await send('GET', CONNECTION_PATH, {}))
    // The provider treats a 404 on delete as already deleted.
    expectNotFound(await send('DELETE', CONNECTION_PATH, {}))
    // And its runtime paths are gone at once.
    const runtime = await gateway.call('GET', `/v2/${CONNECTION_PATH}/entityTypes/Messages/entities?pageSize=1`)
    expect(runtime.status).toBe(404)
  })

  it('every request the provider made carried alt=json, and every answer was JSON', () => {
    expect(log.length).toBeGreaterThan(10)
    for (const exchange of log) {
      expect(new URL(exchange.url, 'http://127.0.0.1:8080').searchParams.get('alt')).toBe('json')
      expect(exchange.body, `${exchange.method} ${exchange.url}`).toBeTypeOf('object')
    }
  })
})
