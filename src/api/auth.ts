/**
 * Bearer-token authentication for every route except the public ones (health, readiness, the OpenAPI document
 * and Swagger UI). Tokens are compared as SHA-256 digests in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { UnauthenticatedError } from '../errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a bearer token. */
    public?: boolean
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

export function bearerToken (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return match?.[1]
}

export function registerBearerAuth (app: FastifyInstance, adminToken: string): void {
  const expected = digest(adminToken)
  app.addHook('onRequest', async (request) => {
    // Swagger UI's own routes (/docs, /docs/static/…) are public too.
    if (request.routeOptions.config.public || request.routeOptions.url?.startsWith('/docs')) return
    const token = bearerToken(request)
    if (!token) throw new UnauthenticatedError('Missing credentials: send Authorization: Bearer <token>')
    if (!timingSafeEqual(digest(token), expected)) throw new UnauthenticatedError('The bearer token is not valid')
  })
}
