/**
 * Shared helpers of the v1 management API behaviour tests: the names and bodies a Terraform user would send, the
 * google.rpc error assertions, a gateway on a database of its own (copied from a migrated template, which is much
 * faster than creating one), and a database opened on a chosen data directory (to restart a gateway on it, or to
 * run a second gateway on it).
 */
import { expect } from 'vitest'
import { openTestDatabase, temporaryDataDir, type TestDatabase } from '../../helpers/database.js'
import { startGateway, type Answer, type GatewayOptions, type TestGateway } from '../../helpers/gateway.js'

export const PROJECT = 'my-proj'
export const LOCATION = 'us-central1'
/** `projects/my-proj/locations/us-central1` */
export const PARENT = `projects/${PROJECT}/locations/${LOCATION}`
/** `/v1/projects/my-proj/locations/us-central1` */
export const V1 = `/v1/${PARENT}`
export const CONNECTOR_VERSION = `projects/${PROJECT}/locations/global/providers/twilio/connectors/twilio/versions/1`
/** The secret version `startGateway` stores the sandbox account's auth token under. */
export const SANDBOX_TOKEN_VERSION = 'projects/local/secrets/sandbox-auth-token/versions/1'

export const OPERATION_METADATA_TYPE = 'type.googleapis.com/google.cloud.connectors.v1.OperationMetadata'
export const CONNECTION_TYPE = 'type.googleapis.com/google.cloud.connectors.v1.Connection'
export const EMPTY_TYPE = 'type.googleapis.com/google.protobuf.Empty'
export const SCHEMA_METADATA_TYPE = 'type.googleapis.com/google.cloud.connectors.v1.ConnectionSchemaMetadata'

/** RFC 3339 in UTC, as google.protobuf.Timestamp travels in JSON. */
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/

/** `projects/{p}/locations/{l}/operations/operation-{millis}-{hex}`: relative, so Terraform can append it to its base URL. */
export function operationNamePattern (parent = PARENT): RegExp {
  return new RegExp(`^${parent.replace(/[/.-]/g, (char) => `\\${char}`)}/operations/operation-\\d{13}-[0-9a-f]+$`)
}

export type Body = Record<string, any>

/** The smallest valid body: the sandbox account with its token, reaching the sandbox, as Terraform would send it. */
export function connectionBody (gateway: TestGateway, extra: Body = {}): Body {
  return {
    connectorVersion: CONNECTOR_VERSION,
    authConfig: {
      authType: 'USER_PASSWORD',
      userPassword: { username: gateway.sandbox!.accountSid, password: { secretVersion: SANDBOX_TOKEN_VERSION } }
    },
    configVariables: [{ key: 'sandbox', boolValue: true }],
    labels: { 'goog-terraform-provisioned': 'true', env: 'dev' },
    ...extra
  }
}

/** `/v1/projects/{p}/locations/{l}/connections/{id}` */
export function connectionUrl (id: string, parent = PARENT): string {
  return `/v1/${parent}/connections/${id}`
}

/** `/v2/projects/{p}/locations/{l}/connections/{id}/entityTypes/Messages/entities?pageSize=1`: one cheap runtime call. */
export function runtimeUrl (id: string, parent = PARENT): string {
  return `/v2/${parent}/connections/${id}/entityTypes/Messages/entities?pageSize=1`
}

/** POSTs a connection as Terraform does (`?connectionId=…&alt=json`); answers the Operation answer. */
export async function createConnection (gateway: TestGateway, id: string, body: Body, parent = PARENT): Promise<Answer> {
  return gateway.call('POST', `/v1/${parent}/connections?connectionId=${id}&alt=json`, body)
}

/** Creates a connection and asserts the finished Operation; answers the created Connection (the operation's response). */
export async function created (gateway: TestGateway, id: string, body: Body, parent = PARENT): Promise<Body> {
  const answer = await createConnection(gateway, id, body, parent)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  expect(answer.body.done).toBe(true)
  expect(answer.body.error).toBeUndefined()
  const { '@type': type, ...connection } = answer.body.response
  expect(type).toBe(CONNECTION_TYPE)
  return connection
}

/** Asserts a google.rpc.Status answer with this HTTP status and canonical code; answers its `error`. */
export function expectRpcError (answer: Answer, status: number, code: string): { code: number, message: string, status: string, details: any[] } {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status)
  const error = answer.body?.error
  expect(error, JSON.stringify(answer.body)).toMatchObject({ code: status, status: code })
  expect(typeof error.message).toBe('string')
  expect(error.message.length).toBeGreaterThan(0)
  expect(Array.isArray(error.details)).toBe(true)
  return error
}

export interface FieldViolation { field: string, description: string }

/** The field violations of a 400 INVALID_ARGUMENT answer's `google.rpc.BadRequest` detail. */
export function fieldViolations (answer: Answer): FieldViolation[] {
  expectRpcError(answer, 400, 'INVALID_ARGUMENT')
  const badRequest = answer.body.error.details.find((item: { '@type': string }) => item['@type'] === 'type.googleapis.com/google.rpc.BadRequest')
  expect(badRequest, `a google.rpc.BadRequest detail in ${JSON.stringify(answer.body)}`).toBeDefined()
  const violations = badRequest.fieldViolations as FieldViolation[]
  for (const violation of violations) {
    expect(typeof violation.field).toBe('string')
    expect(typeof violation.description).toBe('string')
    expect(violation.description.length).toBeGreaterThan(0)
  }
  return violations
}

/** The fields a 400 INVALID_ARGUMENT answer names. */
export function violatedFields (answer: Answer): string[] {
  return fieldViolations(answer).map((violation) => violation.field)
}

/** The gateway's database on `dataDir` (reopened: a restart, or a second process), migrated, with its stores. */
export function openDatabaseAt (dataDir: string): Promise<TestDatabase> {
  return openTestDatabase({ dataDir })
}

/**
 * A page token whose payload was edited (to skip ahead) but whose signature was kept: what a client tampering with
 * the opaque token would send.
 */
export function tamperedToken (token: string): string {
  const [body, mac] = token.split('.')
  const payload = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as Record<string, unknown>
  const edited = Buffer.from(JSON.stringify({ ...payload, u: `${String(payload.u)}0` })).toString('base64url')
  return `${edited}.${mac!}`
}

export { temporaryDataDir }

/**
 * `startGateway` on a database of its own, removed with the gateway, with Google's 25 transactions per second per
 * node (the management API answers it; these suites never come near it).
 */
export async function startTestGateway (options: Omit<GatewayOptions, 'database'> = {}): Promise<TestGateway> {
  return startGateway({ ...options, config: { tpsPerNode: 25, ...options.config }, database: true })
}

/** A `call` that remembers every answer (to check, e.g., that no secret ever appears in one). */
export function recording (gateway: TestGateway): { call: TestGateway['call'], answers: Answer[] } {
  const answers: Answer[] = []
  return {
    answers,
    call: async (method, url, body, headers) => {
      const answer = await gateway.call(method, url, body, headers)
      answers.push(answer)
      return answer
    }
  }
}
