/**
 * A local Google Secret Manager for tests: a real gRPC server implementing
 * `google.cloud.secretmanager.v1.SecretManagerService` from the protos bundled with `@google-cloud/secret-manager`,
 * on 127.0.0.1 with insecure (plaintext) server credentials, so the client library talks to it exactly as it talks
 * to Google — only the channel is not TLS.
 *
 * It holds secrets, their versions and an IAM policy per secret (which principals hold which role), and
 * authenticates each call by the bearer token in its `authorization` metadata: tokens map to principals (the
 * gateway's own identity, or a service account whose token the IAM Credentials stand-in minted). Like Google:
 *
 * - no or unknown/expired token                        → UNAUTHENTICATED
 * - malformed name                                     → INVALID_ARGUMENT
 * - unknown secret or version, `latest` with no enabled
 *   version                                            → NOT_FOUND
 * - a principal without `roles/secretmanager.secretAccessor` (or owner) on the secret (or its project)
 *                                                      → PERMISSION_DENIED
 * - a disabled or destroyed version                    → FAILED_PRECONDITION
 * - `unavailable = true` (an outage)                   → UNAVAILABLE, before anything else
 * - `failNext(n)` (a transient blip)                   → the next n calls answer UNAVAILABLE
 *
 * `latest` resolves to the highest ENABLED version, and the answer names the resolved version (as Google does).
 * Every call is logged (method, name, principal, status code) so tests can assert who read what.
 *
 * Implemented RPCs: AccessSecretVersion, GetSecretVersion, AddSecretVersion, DisableSecretVersion,
 * EnableSecretVersion; the others answer UNIMPLEMENTED.
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

const require = createRequire(import.meta.url)

export const SECRET_ACCESSOR = 'roles/secretmanager.secretAccessor'
export const SECRET_VIEWER = 'roles/secretmanager.viewer'
export const SECRET_ADMIN = 'roles/secretmanager.admin'

/** Which roles grant which permission (a small slice of Google's role definitions). */
const PERMISSIONS: Record<string, readonly string[]> = {
  'secretmanager.versions.access': [SECRET_ACCESSOR, SECRET_ADMIN, 'roles/owner'],
  'secretmanager.versions.get': [SECRET_VIEWER, SECRET_ADMIN, 'roles/owner'],
  'secretmanager.versions.add': ['roles/secretmanager.secretVersionAdder', SECRET_ADMIN, 'roles/owner'],
  'secretmanager.versions.disable': ['roles/secretmanager.secretVersionManager', SECRET_ADMIN, 'roles/owner'],
  'secretmanager.versions.enable': ['roles/secretmanager.secretVersionManager', SECRET_ADMIN, 'roles/owner']
}

export type VersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED'

interface StoredVersion { number: number, value: Buffer, state: VersionState, createTime: Date }
interface StoredSecret { name: string, versions: StoredVersion[], policy: Map<string, Set<string>> }

/** One call the server answered. */
export interface SecretManagerCall {
  /** The RPC, e.g. `AccessSecretVersion`. */
  method: string
  /** The resource name the request named (as sent, e.g. `…/versions/latest`). */
  name: string
  /** Whom the bearer token identifies; null without a known token. */
  principal: string | null
  /** The gRPC status answered: `OK`, `NOT_FOUND`, `PERMISSION_DENIED`, … */
  code: string
  /** The version actually read (`latest` resolved), for successful accesses. */
  resolved?: string
}

const SECRET_NAME = /^projects\/([^/]+)\/secrets\/([^/]+)$/
const VERSION_NAME = /^(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/]+)$/

class RpcError extends Error {
  constructor (readonly code: grpc.status, message: string) {
    super(message)
  }
}

/** The gRPC status name of a code (`5` → `NOT_FOUND`). */
export function statusName (code: grpc.status): string {
  return grpc.status[code] ?? String(code)
}

function timestamp (date: Date): { seconds: string, nanos: number } {
  return { seconds: String(Math.floor(date.getTime() / 1000)), nanos: (date.getTime() % 1000) * 1_000_000 }
}

let serviceDefinition: grpc.ServiceDefinition | undefined

/** The SecretManagerService definition, from the client library's own bundled protos. */
function secretManagerService (): grpc.ServiceDefinition {
  if (!serviceDefinition) {
    const json = require('@google-cloud/secret-manager/build/protos/protos.json') as Parameters<typeof protoLoader.fromJSON>[0]
    const definition = protoLoader.fromJSON(json, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true })
    const loaded = grpc.loadPackageDefinition(definition) as any
    serviceDefinition = loaded.google.cloud.secretmanager.v1.SecretManagerService.service as grpc.ServiceDefinition
  }
  return serviceDefinition
}

export interface SecretManagerServerOptions {
  /** Tokens known from the start: token → principal (e.g. `{ 'gateway-token': 'gateway@proj.iam.gserviceaccount.com' }`). */
  tokens?: Record<string, string>
}

export class SecretManagerServer {
  /** `127.0.0.1:<port>`: what `SecretManagerStore`'s `endpoint` takes. */
  endpoint = ''
  /** Every call answered, oldest first. */
  readonly calls: SecretManagerCall[] = []
  /** An outage: every call answers UNAVAILABLE while true. */
  unavailable = false
  /** Delay before each answer (ms), e.g. to hold calls in flight. */
  latencyMs = 0
  /** Codes the next calls answer, one per call (a transient blip), before anything else. */
  readonly #failNext: grpc.status[] = []

  readonly #server = new grpc.Server()
  readonly #secrets = new Map<string, StoredSecret>()
  readonly #tokens = new Map<string, { principal: string, expiresAt: number }>()
  /** Project-level grants: `projects/{p}` → principal → roles. */
  readonly #projectPolicy = new Map<string, Map<string, Set<string>>>()

  constructor (options: SecretManagerServerOptions = {}) {
    for (const [token, principal] of Object.entries(options.tokens ?? {})) this.addToken(token, principal)
  }

  async start (): Promise<this> {
    const unary = (method: string, handler: (request: any, principal: string, log: SecretManagerCall) => unknown) =>
      (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>): void => {
        const log: SecretManagerCall = { method, name: String(call.request?.name ?? call.request?.parent ?? ''), principal: null, code: 'OK' }
        this.calls.push(log)
        const answer = (): void => {
          try {
            const blip = this.#failNext.shift()
            if (blip !== undefined) throw new RpcError(blip, 'The service is currently unavailable (transient).')
            if (this.unavailable) throw new RpcError(grpc.status.UNAVAILABLE, 'The service is currently unavailable.')
            const principal = this.#authenticate(call.metadata)
            log.principal = principal
            const response = handler(call.request, principal, log)
            callback(null, response)
          } catch (error) {
            const rpc = error instanceof RpcError ? error : new RpcError(grpc.status.INTERNAL, String(error))
            log.code = statusName(rpc.code)
            callback({ code: rpc.code, details: rpc.message, metadata: new grpc.Metadata() })
          }
        }
        if (this.latencyMs > 0) setTimeout(answer, this.latencyMs)
        else answer()
      }

    this.#server.addService(secretManagerService(), {
      AccessSecretVersion: unary('AccessSecretVersion', (request, principal, log) => {
        const { secret, version } = this.#version(String(request.name), principal, 'secretmanager.versions.access')
        if (version.state !== 'ENABLED') {
          throw new RpcError(grpc.status.FAILED_PRECONDITION, `Secret Version [${secret.name}/versions/${version.number}] is in ${version.state} state.`)
        }
        log.resolved = `${secret.name}/versions/${version.number}`
        return { name: log.resolved, payload: { data: version.value } }
      }),
      GetSecretVersion: unary('GetSecretVersion', (request, principal) => {
        const { secret, version } = this.#version(String(request.name), principal, 'secretmanager.versions.get')
        return this.#versionResource(secret, version)
      }),
      AddSecretVersion: unary('AddSecretVersion', (request, principal) => {
        const secret = this.#secret(String(request.parent), principal, 'secretmanager.versions.add')
        const data = request.payload?.data as Buffer | undefined
        if (!data || data.length === 0) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'Secret payload data is required.')
        return this.#versionResource(secret, this.#add(secret, Buffer.from(data)))
      }),
      DisableSecretVersion: unary('DisableSecretVersion', (request, principal) => {
        const { secret, version } = this.#version(String(request.name), principal, 'secretmanager.versions.disable')
        if (version.state === 'DESTROYED') throw new RpcError(grpc.status.FAILED_PRECONDITION, 'The version is destroyed.')
        version.state = 'DISABLED'
        return this.#versionResource(secret, version)
      }),
      EnableSecretVersion: unary('EnableSecretVersion', (request, principal) => {
        const { secret, version } = this.#version(String(request.name), principal, 'secretmanager.versions.enable')
        if (version.state === 'DESTROYED') throw new RpcError(grpc.status.FAILED_PRECONDITION, 'The version is destroyed.')
        version.state = 'ENABLED'
        return this.#versionResource(secret, version)
      })
    })
    const port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => {
        if (error) reject(error)
        else resolve(bound)
      })
    })
    this.endpoint = `127.0.0.1:${port}`
    return this
  }

  async close (): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.tryShutdown(() => resolve())
      // Calls held open by a client must not keep a test waiting.
      setTimeout(() => { this.#server.forceShutdown(); resolve() }, 1000).unref()
    })
  }

  /** The next `count` calls answer `code` (default UNAVAILABLE): a transient failure. */
  failNext (count = 1, code: grpc.status = grpc.status.UNAVAILABLE): void {
    for (let index = 0; index < count; index++) this.#failNext.push(code)
  }

  // ---- tokens -------------------------------------------------------------------------------------------------

  /** Makes `token` identify `principal` (until `expiresAt`, epoch ms). */
  addToken (token: string, principal: string, expiresAt = Number.POSITIVE_INFINITY): void {
    this.#tokens.set(token, { principal, expiresAt })
  }

  /** A new random token for `principal`, valid for `lifetimeSeconds`. */
  issueToken (principal: string, lifetimeSeconds = 3600): { token: string, expiresAt: number } {
    const token = `ya29.test-${randomBytes(24).toString('base64url')}`
    const expiresAt = Date.now() + lifetimeSeconds * 1000
    this.addToken(token, principal, expiresAt)
    return { token, expiresAt }
  }

  /** The principal a token identifies, if it is known and not expired. */
  principalOf (token: string): string | undefined {
    const known = this.#tokens.get(token)
    return known && known.expiresAt > Date.now() ? known.principal : undefined
  }

  /** Every token issued or added, with its principal (e.g. to check none of them ever leaks). */
  tokens (): Array<{ token: string, principal: string }> {
    return [...this.#tokens].map(([token, { principal }]) => ({ token, principal }))
  }

  // ---- secrets, versions, IAM -----------------------------------------------------------------------------------

  /** Creates `projects/{p}/secrets/{s}` (if missing) and grants `accessors` the accessor role on it. */
  createSecret (secretName: string, accessors: string[] = []): void {
    if (!SECRET_NAME.test(secretName)) throw new Error(`${secretName} is not a secret name`)
    if (!this.#secrets.has(secretName)) this.#secrets.set(secretName, { name: secretName, versions: [], policy: new Map() })
    for (const principal of accessors) this.grant(secretName, principal)
  }

  /** Adds a version (creating the secret if needed); answers its full name. */
  addVersion (secretName: string, value: string | Buffer, state: VersionState = 'ENABLED'): string {
    this.createSecret(secretName)
    const version = this.#add(this.#secrets.get(secretName)!, Buffer.from(value))
    version.state = state
    return `${secretName}/versions/${version.number}`
  }

  setVersionState (versionName: string, state: VersionState): void {
    const match = VERSION_NAME.exec(versionName)
    const version = match && this.#secrets.get(match[1]!)?.versions.find((item) => String(item.number) === match[2])
    if (!version) throw new Error(`no version ${versionName}`)
    version.state = state
  }

  /** Deletes a secret with all its versions. */
  deleteSecret (secretName: string): void {
    this.#secrets.delete(secretName)
  }

  /** Grants `role` (default: secret accessor) on the secret to `principal`. */
  grant (secretName: string, principal: string, role = SECRET_ACCESSOR): void {
    const secret = this.#secrets.get(secretName)
    if (!secret) throw new Error(`no secret ${secretName}`)
    const roles = secret.policy.get(principal) ?? new Set<string>()
    roles.add(role)
    secret.policy.set(principal, roles)
  }

  revoke (secretName: string, principal: string, role = SECRET_ACCESSOR): void {
    this.#secrets.get(secretName)?.policy.get(principal)?.delete(role)
  }

  /** Grants `role` on every secret of `projects/{p}`. */
  grantProject (project: string, principal: string, role = SECRET_ACCESSOR): void {
    const policy = this.#projectPolicy.get(project) ?? new Map<string, Set<string>>()
    const roles = policy.get(principal) ?? new Set<string>()
    roles.add(role)
    policy.set(principal, roles)
    this.#projectPolicy.set(project, policy)
  }

  /** The accesses (successful or not) of a version name as sent, optionally by one principal. */
  accesses (filter: { name?: string, principal?: string | null, code?: string } = {}): SecretManagerCall[] {
    return this.calls.filter((call) => call.method === 'AccessSecretVersion' &&
      (filter.name === undefined || call.name === filter.name) &&
      (filter.principal === undefined || call.principal === filter.principal) &&
      (filter.code === undefined || call.code === filter.code))
  }

  clearCalls (): void {
    this.calls.length = 0
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  #authenticate (metadata: grpc.Metadata): string {
    const [header] = metadata.get('authorization')
    const match = typeof header === 'string' ? /^Bearer (\S+)$/i.exec(header) : null
    const principal = match ? this.principalOf(match[1]!) : undefined
    if (!principal) {
      throw new RpcError(grpc.status.UNAUTHENTICATED,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.')
    }
    return principal
  }

  #allowed (secret: StoredSecret, principal: string, permission: string): boolean {
    const roles = PERMISSIONS[permission] ?? []
    const project = secret.name.split('/').slice(0, 2).join('/')
    const held = [...(secret.policy.get(principal) ?? []), ...(this.#projectPolicy.get(project)?.get(principal) ?? [])]
    return held.some((role) => roles.includes(role))
  }

  #secret (secretName: string, principal: string, permission: string): StoredSecret {
    if (!SECRET_NAME.test(secretName)) throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid resource field value in the request: ${secretName}`)
    const secret = this.#secrets.get(secretName)
    if (!secret) throw new RpcError(grpc.status.NOT_FOUND, `Secret [${secretName}] not found or has no versions.`)
    if (!this.#allowed(secret, principal, permission)) {
      throw new RpcError(grpc.status.PERMISSION_DENIED,
        `Permission '${permission}' denied for resource '${secretName}' (or it may not exist).`)
    }
    return secret
  }

  #version (versionName: string, principal: string, permission: string): { secret: StoredSecret, version: StoredVersion } {
    const match = VERSION_NAME.exec(versionName)
    if (!match || !(match[2] === 'latest' || /^[1-9][0-9]*$/.test(match[2]!))) {
      throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid resource field value in the request: ${versionName}`)
    }
    if (!this.#secrets.has(match[1]!)) throw new RpcError(grpc.status.NOT_FOUND, `Secret [${match[1]}] not found or has no versions.`)
    const secret = this.#secret(match[1]!, principal, permission)
    const version = match[2] === 'latest'
      ? secret.versions.filter((item) => item.state === 'ENABLED').at(-1)
      : secret.versions.find((item) => String(item.number) === match[2])
    if (!version) {
      throw new RpcError(grpc.status.NOT_FOUND, match[2] === 'latest'
        ? `Secret [${secret.name}] not found or has no versions.`
        : `Secret Version [${versionName}] not found.`)
    }
    return { secret, version }
  }

  #add (secret: StoredSecret, value: Buffer): StoredVersion {
    const version: StoredVersion = { number: secret.versions.length + 1, value, state: 'ENABLED', createTime: new Date() }
    secret.versions.push(version)
    return version
  }

  #versionResource (secret: StoredSecret, version: StoredVersion): Record<string, unknown> {
    return { name: `${secret.name}/versions/${version.number}`, state: version.state, createTime: timestamp(version.createTime) }
  }
}

/** A started SecretManagerServer on 127.0.0.1 (a free port). */
export async function startSecretManagerServer (options: SecretManagerServerOptions = {}): Promise<SecretManagerServer> {
  return new SecretManagerServer(options).start()
}
