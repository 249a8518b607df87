/**
 * Secrets from Google Secret Manager, through the official client (`accessSecretVersion`, `latest` allowed).
 *
 * Every call carries the bearer token of the identity it acts as: the gateway's own (Application Default
 * Credentials), or — when a connection names a `serviceAccount` — that service account's, obtained by
 * impersonation through the IAM Credentials API, as Google's connectors read a connection's secrets. Secret
 * Manager then enforces its IAM policy per connection, so one team cannot point a connection at another team's
 * secret. The channel itself carries no credentials (TLS, or plaintext on loopback in tests).
 */
import { SecretManagerServiceClient } from '@google-cloud/secret-manager'
import * as grpc from '@grpc/grpc-js'
import { GoogleAuth, Impersonated, type AuthClient } from 'google-auth-library'
import { FailedPreconditionError, GatewayError, InvalidArgumentError, NotFoundError } from '../errors.js'
import type { SecretAccess, SecretStore } from './secret-store.js'
import { parseSecretVersion } from './secret-store.js'

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform']

export interface SecretManagerStoreOptions {
  /** `host:port` of the Secret Manager API (default `secretmanager.googleapis.com:443`). */
  endpoint?: string
  /** A plaintext channel: only for a loopback test server. */
  insecure?: boolean
  /** The gateway's own identity (default: Application Default Credentials). */
  identity?: AuthClient
  /** Base URL of the IAM Credentials API, for impersonation (default `https://iamcredentials.googleapis.com`). */
  iamCredentialsEndpoint?: string
  /** Per-call deadline in milliseconds (default 10 s). */
  timeoutMs?: number
}

/** gRPC status codes the client reports. */
const GRPC = { INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, PERMISSION_DENIED: 7, FAILED_PRECONDITION: 9, UNAVAILABLE: 14, UNAUTHENTICATED: 16 }

export class SecretManagerStore implements SecretStore {
  readonly #client: SecretManagerServiceClient
  readonly #identity: AuthClient | Promise<AuthClient>
  readonly #impersonated = new Map<string, Impersonated>()

  constructor (private readonly options: SecretManagerStoreOptions = {}) {
    const [host, port] = (options.endpoint ?? 'secretmanager.googleapis.com:443').split(':')
    // One resolution of the gateway's credentials, shared with the client library.
    const auth = options.identity ? undefined : new GoogleAuth({ scopes: SCOPES })
    this.#identity = options.identity ?? auth!.getClient()
    this.#client = new SecretManagerServiceClient({
      apiEndpoint: host,
      port: Number(port ?? 443),
      // Explicit channel credentials keep the client from adding its own call credentials: each call carries the
      // token of the identity it acts as instead.
      sslCreds: options.insecure ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(),
      // An explicit auth client spares the library a metadata-server lookup for the universe domain.
      ...(options.identity ? { authClient: options.identity } : { auth })
    })
  }

  #impersonate (serviceAccount: string, source: AuthClient): Impersonated {
    let client = this.#impersonated.get(serviceAccount)
    if (!client) {
      client = new Impersonated({
        sourceClient: source,
        targetPrincipal: serviceAccount,
        targetScopes: SCOPES,
        lifetime: 3600,
        ...(this.options.iamCredentialsEndpoint ? { endpoint: this.options.iamCredentialsEndpoint } : {})
      })
      this.#impersonated.set(serviceAccount, client)
    }
    return client
  }

  /**
   * The bearer token of the identity a read acts as. A refusal (4xx) is PERMISSION_DENIED; an outage of the token
   * service (5xx, 408, 429, no answer) is UNAVAILABLE, so the secret cache may keep serving within its grace period.
   */
  async #token (as: SecretAccess): Promise<string> {
    const identity = await this.#identity
    const client = as.serviceAccount ? this.#impersonate(as.serviceAccount, identity) : identity
    try {
      const { token } = await client.getAccessToken()
      if (!token) throw new Error('no access token')
      return token
    } catch (error) {
      const who = as.serviceAccount ? `act as the service account ${as.serviceAccount}` : 'obtain its own Google credentials'
      const status = (error as { response?: { status?: number } }).response?.status
      const refused = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429
      throw new GatewayError(refused ? 'PERMISSION_DENIED' : 'UNAVAILABLE', `The gateway cannot ${who}: ${(error as Error).message}`)
    }
  }

  async access (versionName: string, as: SecretAccess = {}): Promise<string> {
    parseSecretVersion(versionName)
    const token = await this.#token(as)
    const timeout = this.options.timeoutMs ?? 10_000
    try {
      const [version] = await this.#client.accessSecretVersion({ name: versionName }, {
        timeout,
        // Up to three attempts while Secret Manager is unavailable, with short backoffs.
        retry: {
          retryCodes: [GRPC.UNAVAILABLE],
          backoffSettings: {
            maxRetries: 3,
            initialRetryDelayMillis: 100,
            retryDelayMultiplier: 3,
            maxRetryDelayMillis: 1_000,
            initialRpcTimeoutMillis: timeout,
            rpcTimeoutMultiplier: 1,
            maxRpcTimeoutMillis: timeout
          }
        },
        otherArgs: { headers: { authorization: `Bearer ${token}` } }
      })
      const data = version.payload?.data
      if (data === undefined || data === null) throw new FailedPreconditionError(`Secret version ${versionName} has no payload`)
      return Buffer.from(data as Uint8Array).toString('utf8')
    } catch (error) {
      throw secretManagerError(error, versionName, as)
    }
  }

  async close (): Promise<void> {
    await this.#client.close()
  }
}

/** A Secret Manager failure as a domain error; never includes a secret value (Secret Manager never sends one). */
function secretManagerError (error: unknown, versionName: string, as: SecretAccess): GatewayError {
  if (error instanceof GatewayError) return error
  const { code, details } = error as { code?: number, details?: string }
  const identity = as.serviceAccount ? `the service account ${as.serviceAccount}` : 'the gateway'
  switch (code) {
    case GRPC.NOT_FOUND:
      return new NotFoundError(`Secret version ${versionName} not found in Secret Manager`)
    case GRPC.PERMISSION_DENIED:
    case GRPC.UNAUTHENTICATED:
      return new GatewayError('PERMISSION_DENIED', `Secret Manager refuses ${identity} access to ${versionName}: ${details ?? 'permission denied'}`)
    case GRPC.INVALID_ARGUMENT:
      return new InvalidArgumentError(`Secret Manager refuses the name ${versionName}: ${details ?? 'invalid argument'}`)
    case GRPC.FAILED_PRECONDITION:
      return new FailedPreconditionError(`Secret version ${versionName} cannot be read: ${details ?? 'it is disabled or destroyed'}`)
    default:
      return new GatewayError('UNAVAILABLE', `Secret Manager is unavailable (${details ?? (error as Error).message ?? 'no answer'})`)
  }
}
