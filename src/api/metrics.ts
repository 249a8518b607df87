/**
 * `GET /metrics` (Prometheus text format, for admin and monitor tokens) and the runtime call counters: every v2
 * call is counted by connection, entity, operation and the google.rpc status it was answered with.
 */
import type { FastifyInstance } from 'fastify'
import { isEntityName } from '../entities/catalog.js'
import type { RpcCode } from '../errors.js'
import type { GatewayMetrics } from '../metrics.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The runtime operation a route serves (metrics label), e.g. LIST. */
    operation?: string
    /** The entity type a route serves (metrics label); generic routes take it from the path. */
    entity?: string
  }
  interface FastifyRequest {
    /** The google.rpc code the request was answered with, when it failed. */
    rpcStatus?: RpcCode
  }
}

export function registerMetricsRoute (app: FastifyInstance, metrics: GatewayMetrics): void {
  app.get('/metrics', { schema: { hide: true }, config: { role: 'monitor', unscoped: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()))
}

/**
 * Counts and times the calls of the routes registered in `runtime` (the v2 API). Labels only name connections that
 * exist (`exists`) and entity types the gateway has: a path is the caller's to choose, and labels must stay few.
 */
export function observeRuntimeCalls (runtime: FastifyInstance, metrics: GatewayMetrics, exists: (connection: string) => boolean): void {
  runtime.addHook('onResponse', async (request, reply) => {
    const config = request.routeOptions.config
    const params = (request.params ?? {}) as Record<string, string | undefined>
    const operation = config.operation ?? request.routeOptions.schema?.operationId ?? 'UNKNOWN'
    const named = `projects/${params.project}/locations/${params.location}/connections/${params.connection}`
    const connection = exists(named) ? named : 'unknown'
    const entity = config.entity ?? (params.entityType === undefined ? '' : isEntityName(params.entityType) ? params.entityType : 'unknown')
    const status = reply.statusCode < 400 ? 'OK' : request.rpcStatus ?? String(reply.statusCode)
    metrics.runtimeCalls.inc({ connection, entity, operation, status })
    metrics.runtimeSeconds.observe({ operation }, reply.elapsedTime / 1000)
  })
}
