import type { FastifyInstance, FastifyRequest } from 'fastify'
import { parseBasic, secretsEqual } from './auth.js'
import type { SandboxCredentials } from './credentials.js'
import { parseFault, type FaultQueue } from './faults.js'
import type { RequestLog } from './request-log.js'
import { invalidParameter, unauthenticated } from './wire.js'

export interface ControlOptions {
  credentials: SandboxCredentials
  faults: FaultQueue
  requests: RequestLog
}

/**
 * The sandbox's own control API under `/__sandbox/`, for tests and benchmarks that run the sandbox in another
 * process. It takes the main account's Basic credentials and is never logged as upstream traffic.
 * - `GET|POST|DELETE /__sandbox/faults`: list, queue (a JSON fault or array of faults), clear injected faults;
 * - `GET|DELETE /__sandbox/requests`: the last requests received / clear that log;
 * - `GET /__sandbox/credentials`: the subaccounts and API keys the sandbox accepts.
 */
export function registerControl (app: FastifyInstance, { credentials, faults, requests }: ControlOptions): void {
  const preHandler = async (request: FastifyRequest): Promise<void> => {
    const basic = parseBasic(request.headers.authorization)
    const valid = secretsEqual(basic?.password ?? '', credentials.authToken) && basic?.username === credentials.accountSid
    if (!valid) throw unauthenticated()
  }

  app.get('/__sandbox/faults', { preHandler }, async () => ({ faults: faults.list() }))
  app.post('/__sandbox/faults', { preHandler }, async (request, reply) => {
    let input: unknown
    try {
      input = JSON.parse(typeof request.body === 'string' ? request.body : '')
    } catch {
      throw invalidParameter('The body must be a JSON fault or an array of faults')
    }
    faults.add((Array.isArray(input) ? input : [input]).map(parseFault))
    return reply.code(201).send({ faults: faults.list() })
  })
  app.delete('/__sandbox/faults', { preHandler }, async (_request, reply) => {
    faults.clear()
    return reply.code(204).send()
  })
  app.get('/__sandbox/requests', { preHandler }, async () => ({ requests: requests.list() }))
  app.delete('/__sandbox/requests', { preHandler }, async (_request, reply) => {
    requests.clear()
    return reply.code(204).send()
  })
  app.get('/__sandbox/credentials', { preHandler }, async () => ({
    accountSid: credentials.accountSid,
    subaccounts: credentials.subaccounts,
    apiKeys: credentials.apiKeys
  }))
}
