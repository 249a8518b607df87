/**
 * Who may call what. Every route but the public ones (health, readiness, the OpenAPI document and Swagger UI)
 * needs `Authorization: Bearer <token>`: `GATEWAY_ADMIN_TOKEN` (an admin without scopes) or a token created with
 * the tokens CLI. A route declares the role it needs (`invoker` for the v2 runtime, `monitor` for `/metrics`, `admin`
 * otherwise; admins may call everything); a token's scopes are checked against the resource the path names. 401 UNAUTHENTICATED without a valid token, 403
 * PERMISSION_DENIED for the wrong role or scope.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Caller, CallerDirectory, Role } from '../auth/tokens.js'
import { allows } from '../auth/scopes.js'
import { GatewayError, InvalidArgumentError, UnauthenticatedError } from '../errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a bearer token. */
    public?: boolean
    /** The role a caller needs (default admin); admins may call everything. */
    role?: Role
    /** The route reads nothing a scope could restrict (the connector catalogue). */
    unscoped?: boolean
  }
  interface FastifyRequest {
    /** The authenticated caller. */
    caller?: Caller
  }
}

/** What each non-admin role may call, for refusals. */
const ROLE_REACH: Record<Exclude<Role, 'admin'>, string> = { invoker: 'the v2 runtime', monitor: '/metrics' }

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

export function bearerToken (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return match?.[1]
}

/** What a resource id in a path may be: a `%2F` or a NUL smuggled into one would change the name it builds. */
const RESOURCE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/
const RESOURCE_PARAMS = ['project', 'location', 'connection', 'operation'] as const

/** Refuses path parameters that are not one resource-id segment each (before any name is built from them). */
function checkResourceSegments (params: unknown): void {
  const values = (params ?? {}) as Record<string, unknown>
  for (const param of RESOURCE_PARAMS) {
    const value = values[param]
    if (value === undefined || (typeof value === 'string' && RESOURCE_SEGMENT.test(value))) continue
    throw new InvalidArgumentError(`The ${param} id in the path is not a valid resource id`, [
      { field: param, description: `must match ${RESOURCE_SEGMENT.source}` }
    ])
  }
}

/** The resource a request's path names, for scope checks: a connection, or the location it is listed in. */
function resourceOf (params: unknown): { name: string, asParent: boolean } | undefined {
  const { project, location, connection } = (params ?? {}) as Record<string, string | undefined>
  if (!project) return undefined
  const base = location ? `projects/${project}/locations/${location}` : `projects/${project}`
  return connection ? { name: `${base}/connections/${connection}`, asParent: false } : { name: base, asParent: true }
}

/** Whether the request's caller may reach `name` (used where the answer lists or creates several resources). */
export function canReach (request: FastifyRequest, name: string): boolean {
  return request.caller !== undefined && allows(request.caller.scopes, name)
}

export function assertCanReach (request: FastifyRequest, name: string): void {
  if (!canReach(request, name)) throw new GatewayError('PERMISSION_DENIED', `This token's scopes do not include ${name}`)
}

export interface AuthOptions {
  /** GATEWAY_ADMIN_TOKEN (or the generated admin token). */
  adminToken: string
  /** Tokens created with the CLI (absent without a database). */
  directory?: CallerDirectory
}

export function registerAuth (app: FastifyInstance, options: AuthOptions): void {
  const adminDigest = digest(options.adminToken)
  const identify = (token: string): Caller | undefined =>
    timingSafeEqual(digest(token), adminDigest) ? { id: 'GATEWAY_ADMIN_TOKEN', role: 'admin', scopes: [] } : options.directory?.identify(token)

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config
    // Swagger UI's own routes (/docs, /docs/static/…) are public too.
    if (config.public || request.routeOptions.url?.startsWith('/docs')) return
    const token = bearerToken(request)
    if (!token) throw new UnauthenticatedError('Missing credentials: send Authorization: Bearer <token>')
    const caller = identify(token)
    if (!caller) throw new UnauthenticatedError('The bearer token is not valid (unknown or revoked)')
    request.caller = caller
    // An unknown path: authenticated callers learn it does not exist.
    if (request.routeOptions.url === undefined) return
    const needed = config.role ?? 'admin'
    if (caller.role !== 'admin' && caller.role !== needed) {
      throw new GatewayError('PERMISSION_DENIED', `This token's role (${caller.role}) may call ${ROLE_REACH[caller.role]} only; ` +
        `${request.method} ${request.routeOptions.url} needs an ${needed === 'admin' ? 'admin' : `admin or ${needed}`} token`)
    }
    checkResourceSegments(request.params)
    const resource = config.unscoped ? undefined : resourceOf(request.params)
    if (resource && !allows(caller.scopes, resource.name, resource.asParent)) {
      throw new GatewayError('PERMISSION_DENIED', `This token's scopes do not include ${resource.name}`)
    }
  })
}
