/**
 * `GET …/connections/{connection}:checkStatus` and `:checkReadiness`.
 */
import type { FastifyInstance } from 'fastify'
import type { ConnectionStatusService } from '../../runtime/connection-status.js'
import type { ConnectionParams } from './params.js'
import { CONNECTION_VERB_PATH, connectionOf, connectionParamsSchema } from './params.js'
import { ERROR_RESPONSES } from './schemas.js'


export function registerConnectionStatusRoutes (app: FastifyInstance, status: ConnectionStatusService): void {
  app.get<{ Params: ConnectionParams }>(`${CONNECTION_VERB_PATH}::checkStatus`, {
    schema: {
      tags: ['Connection'],
      operationId: 'checkStatus',
      summary: 'Check that Twilio accepts the connection\'s credentials',
      description: 'Always 200 for an existing connection: ACTIVE, AUTH_ERROR (Twilio refuses the credentials) or ERROR, with a description.',
      params: connectionParamsSchema,
      response: { 200: { $ref: 'CheckStatusResponse#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => status.checkStatus(connectionOf(request.params)))

  app.get<{ Params: ConnectionParams }>(`${CONNECTION_VERB_PATH}::checkReadiness`, {
    schema: {
      tags: ['Connection'],
      operationId: 'checkReadiness',
      summary: 'Check that the gateway can serve the connection (configuration and secret), without calling Twilio',
      params: connectionParamsSchema,
      response: { 200: { $ref: 'CheckReadinessResponse#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => status.checkReadiness(connectionOf(request.params)))
}
