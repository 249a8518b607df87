/**
 * A local stand-in for Google's IAM Credentials API (`iamcredentials.googleapis.com`), over plain HTTP on 127.0.0.1:
 *
 *   POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken
 *   Authorization: Bearer <the caller's token>
 *   { "scope": [...], "lifetime": "3600s", "delegates": [...] }     →  200 { "accessToken", "expireTime" }
 *
 * The caller is whoever its bearer token identifies (the token directory is shared with the Secret Manager stand-in,
 * which then knows a minted token as the service account). A caller may impersonate a service account only when
 * it holds `roles/iam.serviceAccountTokenCreator` on it (`allow(caller, serviceAccount)`); otherwise 403, in
 * Google's error JSON. No or unknown token → 401; an unknown service account → 404; a bad body → 400;
 * `unavailable = true` → 503 (an outage). Every request is logged (`requests`), every minted token kept (`minted`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Who a token is, and minting new tokens: the Secret Manager stand-in implements both. */
export interface TokenDirectory {
  principalOf (token: string): string | undefined
  issueToken (principal: string, lifetimeSeconds: number): { token: string, expiresAt: number }
}

/** One generateAccessToken request the server answered. */
export interface ImpersonationRequest {
  serviceAccount: string
  /** Whom the caller's bearer token identifies; null without a known token. */
  caller: string | null
  scope: unknown
  lifetime: unknown
  delegates: unknown
  status: number
}

const MAX_LIFETIME_SECONDS = 3600
const PATH = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/

function googleError (response: ServerResponse, code: number, status: string, message: string, details: unknown[] = []): void {
  response.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' })
  response.end(JSON.stringify({ error: { code, message, status, details } }))
}

async function readBody (request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export class IamCredentialsServer {
  /** `http://127.0.0.1:<port>`: what `SecretManagerStore`'s `iamCredentialsEndpoint` takes. */
  baseUrl = ''
  readonly requests: ImpersonationRequest[] = []
  /** Minted tokens, with the service account each stands for (to check none of them ever leaks). */
  readonly minted: Array<{ serviceAccount: string, token: string }> = []
  /** An outage: every request answers 503 UNAVAILABLE while true. */
  unavailable = false
  /**
   * Lifetime of minted tokens, when shorter than asked (Google may cut it short). Under 5 minutes, clients consider
   * the token due for refresh at once, so every read asks for a new one.
   */
  issuedLifetimeSeconds?: number

  readonly #server: Server
  /** service account → callers allowed to mint its tokens. */
  readonly #tokenCreators = new Map<string, Set<string>>()
  readonly #serviceAccounts = new Set<string>()

  constructor (private readonly tokens: TokenDirectory) {
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) googleError(response, 500, 'INTERNAL', String(error))
      })
    })
  }

  async start (): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(0, '127.0.0.1', () => resolve())
    })
    this.baseUrl = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  async close (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  /** A service account that exists (impersonating an unknown one is 404). */
  addServiceAccount (email: string): void {
    this.#serviceAccounts.add(email)
  }

  /** Grants `caller` `roles/iam.serviceAccountTokenCreator` on `serviceAccount` (which then exists). */
  allow (caller: string, serviceAccount: string): void {
    this.addServiceAccount(serviceAccount)
    const callers = this.#tokenCreators.get(serviceAccount) ?? new Set<string>()
    callers.add(caller)
    this.#tokenCreators.set(serviceAccount, callers)
  }

  disallow (caller: string, serviceAccount: string): void {
    this.#tokenCreators.get(serviceAccount)?.delete(caller)
  }

  /** The requests for one service account. */
  requestsFor (serviceAccount: string): ImpersonationRequest[] {
    return this.requests.filter((request) => request.serviceAccount === serviceAccount)
  }

  async #handle (request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const match = PATH.exec(url.pathname)
    if (request.method !== 'POST' || !match) {
      googleError(response, 404, 'NOT_FOUND', `The requested URL ${url.pathname} was not found on this server.`)
      return
    }
    const serviceAccount = decodeURIComponent(match[1]!)
    const header = request.headers.authorization
    const bearer = typeof header === 'string' ? /^Bearer (\S+)$/i.exec(header)?.[1] : undefined
    const caller = bearer ? this.tokens.principalOf(bearer) ?? null : null
    const text = await readBody(request)
    let body: Record<string, unknown> = {}
    try {
      body = text ? JSON.parse(text) as Record<string, unknown> : {}
    } catch {}
    const entry: ImpersonationRequest = { serviceAccount, caller, scope: body.scope, lifetime: body.lifetime, delegates: body.delegates, status: 0 }
    this.requests.push(entry)
    const fail = (code: number, status: string, message: string, details: unknown[] = []): void => {
      entry.status = code
      googleError(response, code, status, message, details)
    }

    if (this.unavailable) {
      fail(503, 'UNAVAILABLE', 'The service is currently unavailable.')
      return
    }
    if (!caller) {
      fail(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.')
      return
    }
    const scope = body.scope
    if (!Array.isArray(scope) || scope.length === 0 || !scope.every((item) => typeof item === 'string' && item.length > 0)) {
      fail(400, 'INVALID_ARGUMENT', 'Scope required.')
      return
    }
    let lifetimeSeconds = MAX_LIFETIME_SECONDS
    if (body.lifetime !== undefined) {
      const lifetime = typeof body.lifetime === 'string' ? /^([0-9]+(?:\.[0-9]+)?)s$/.exec(body.lifetime) : null
      lifetimeSeconds = lifetime ? Number(lifetime[1]) : NaN
      if (!(lifetimeSeconds > 0 && lifetimeSeconds <= MAX_LIFETIME_SECONDS)) {
        fail(400, 'INVALID_ARGUMENT', `The lifetime ${String(body.lifetime)} is invalid: it must be between 1s and ${MAX_LIFETIME_SECONDS}s.`)
        return
      }
    }
    if (!this.#serviceAccounts.has(serviceAccount)) {
      fail(404, 'NOT_FOUND', `Not found; Gaia id not found for email ${serviceAccount}`)
      return
    }
    // Delegation chains: each delegate must be allowed to act for the next; not used by the gateway, refused.
    if (Array.isArray(body.delegates) && body.delegates.length > 0) {
      fail(400, 'INVALID_ARGUMENT', 'Delegation chains are not supported by this test server.')
      return
    }
    if (!this.#tokenCreators.get(serviceAccount)?.has(caller)) {
      fail(403, 'PERMISSION_DENIED', `Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).`, [{
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'iam.googleapis.com',
        metadata: { permission: 'iam.serviceAccounts.getAccessToken' }
      }])
      return
    }
    const { token, expiresAt } = this.tokens.issueToken(serviceAccount, Math.min(lifetimeSeconds, this.issuedLifetimeSeconds ?? lifetimeSeconds))
    this.minted.push({ serviceAccount, token })
    entry.status = 200
    response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' })
    response.end(JSON.stringify({ accessToken: token, expireTime: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z') }))
  }
}

/** A started IamCredentialsServer on 127.0.0.1 (a free port), minting tokens through `tokens`. */
export async function startIamCredentialsServer (tokens: TokenDirectory): Promise<IamCredentialsServer> {
  return new IamCredentialsServer(tokens).start()
}
