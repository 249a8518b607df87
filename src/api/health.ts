/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the gateway can serve requests).
 */
import type { FastifyInstance } from 'fastify'

export function registerHealthRoutes (app: FastifyInstance, ready: () => Promise<boolean>): void {
  const schema = { hide: true }
  app.get('/healthz', { schema, config: { public: true } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema, config: { public: true } }, async (_request, reply) => {
    if (await ready().catch(() => false)) return { status: 'ready' }
    return reply.code(503).send({ error: { code: 503, message: 'The gateway is not ready', status: 'UNAVAILABLE', details: [] } })
  })
}
