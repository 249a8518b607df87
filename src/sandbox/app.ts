import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import { authenticate, parseBasic } from './auth.js'
import { registerControl } from './control.js'
import { resolveCredentials, type SandboxCredentials } from './credentials.js'
import { faultError, FaultQueue, type Fault } from './faults.js'
import { Random } from './random.js'
import { RequestLog, type LoggedRequest } from './request-log.js'
import { matchRoute, type Answer, type Method, type Route } from './router.js'
import { accountRoutes } from './routes/accounts.js'
import { callRoutes } from './routes/calls.js'
import { feedbackRoutes } from './routes/feedback.js'
import { incomingPhoneNumberRoutes } from './routes/incoming-phone-numbers.js'
import { messageRoutes } from './routes/messages.js'
import { outgoingCallerIdRoutes } from './routes/outgoing-caller-ids.js'
import { recordingRoutes } from './routes/recordings.js'
import { seedSandbox } from './seed.js'
import { Store } from './store.js'
import { collect, notFound, parseForm, Params, TwilioError, unauthenticated, type FormBody } from './wire.js'

export type { ApiKeyCredentials, SandboxCredentials, SubaccountCredentials } from './credentials.js'
export type { Fault, FaultSpec, FaultStatus } from './faults.js'
export type { LoggedRequest } from './request-log.js'
export { GOOGLE_EXAMPLE_SIDS } from './seed.js'

/** The main account of a sandbox unless `accountSid` says otherwise. */
export const SANDBOX_ACCOUNT_SID = 'AC5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47'

export interface SandboxOptions {
  /** Account SID of the main account. Default SANDBOX_ACCOUNT_SID. */
  accountSid?: string
  /** Auth token of the main account (HTTP Basic password). Required. */
  authToken: string
  /** Subaccounts of the main account. Default: one, with SID and token derived from the main account's. */
  subaccounts?: Array<{ sid: string, authToken: string, friendlyName?: string }>
  /** API keys (`SK…`); `accountSid` defaults to the main account. Default: one key of the main account, derived. */
  apiKeys?: Array<{ sid: string, secret: string, accountSid?: string }>
  /**
   * How many seeded records (defaults: calls 300, messages 500; recordings ~ a third of completed calls,
   * feedback on some calls, 6 incoming numbers, 4 caller ids).
   */
  seed?: { calls?: number, messages?: number }
  /** Seed of the deterministic PRNG used for generated data and for probabilistic faults. Default 1. */
  randomSeed?: number
  /** Injectable clock in epoch milliseconds (default Date.now). All timestamps and time-driven state use it. */
  now?: () => number
  /** Fixed latency added to every answer, in ms (default 0). */
  latencyMs?: number
  /** Probability (0..1) that a request is answered 429 / 500 instead of being processed (default 0). */
  rate429?: number
  rate5xx?: number
  /** Pass-through to Fastify's logger option (default false). */
  logger?: boolean | object
  /** Serve over TLS with this key and certificate (PEM), like Twilio's own HTTPS endpoint. */
  https?: { key: string, cert: string }
}

/** Programmatic access to a sandbox built by `buildSandbox` (the HTTP control API offers the same). */
export interface SandboxControl {
  credentials: SandboxCredentials
  faults: FaultQueue
  requests: RequestLog
  store: Store
}

const controls = new WeakMap<FastifyInstance, SandboxControl>()

export function sandboxControl (app: FastifyInstance): SandboxControl {
  const control = controls.get(app)
  if (control === undefined) throw new Error('this Fastify instance is not a Twilio sandbox')
  return control
}

const DAY = 86_400_000
const REQUEST_LOG_SIZE = 500
// Resources are matched in this order: the FeedbackSummary paths must come before `Calls/{Sid}.json`.
const ROUTES: readonly Route[] = [
  ...accountRoutes, ...feedbackRoutes, ...callRoutes, ...recordingRoutes, ...messageRoutes,
  ...incomingPhoneNumberRoutes, ...outgoingCallerIdRoutes
]
const METHODS: readonly string[] = ['GET', 'POST', 'DELETE'] satisfies Method[]

function checkRange (name: string, value: number, min: number, max: number, integer = false): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got ${String(value)}`)
  }
  return value
}

/** A Twilio error body for anything thrown while handling a request; unexpected errors become 500 / 20500. */
function errorAnswer (error: unknown, request: FastifyRequest): Answer {
  let twilio: TwilioError
  if (error instanceof TwilioError) {
    twilio = error
  } else {
    const status = (error as { statusCode?: unknown }).statusCode
    if (typeof status === 'number' && status >= 400 && status < 500) {
      twilio = new TwilioError(status, 20001, error instanceof Error ? error.message : 'Bad request')
    } else {
      request.log.error({ err: error }, 'sandbox request failed')
      twilio = new TwilioError(500, 20500, 'Internal Server Error')
    }
  }
  return { status: twilio.status, body: twilio.body(), headers: twilio.headers }
}

/**
 * A Twilio REST 2010-04-01 simulator that behaves like a live account (reads work, writes change state, state
 * moves on with the clock) and speaks Twilio's wire format, so the official SDK works against it unchanged.
 * The instance is not listening; the caller listens.
 */
export async function buildSandbox (options: SandboxOptions): Promise<FastifyInstance> {
  const credentials = resolveCredentials({
    accountSid: options.accountSid ?? SANDBOX_ACCOUNT_SID,
    authToken: options.authToken,
    ...(options.subaccounts ? { subaccounts: options.subaccounts } : {}),
    ...(options.apiKeys ? { apiKeys: options.apiKeys } : {})
  })
  const randomSeed = checkRange('randomSeed', options.randomSeed ?? 1, 0, 2 ** 32 - 1, true)
  const latencyMs = checkRange('latencyMs', options.latencyMs ?? 0, 0, 600_000)
  const rate429 = checkRange('rate429', options.rate429 ?? 0, 0, 1)
  const rate5xx = checkRange('rate5xx', options.rate5xx ?? 0, 0, 1)
  const plan = {
    calls: checkRange('seed.calls', options.seed?.calls ?? 300, 0, 1_000_000, true),
    messages: checkRange('seed.messages', options.seed?.messages ?? 500, 0, 1_000_000, true)
  }
  const now = options.now ?? Date.now

  // Separate random streams, so that seed data, new SIDs and injected faults do not depend on each other.
  const store = new Store(now, new Random(randomSeed ^ 0x9e3779b9))
  const chaos = new Random(randomSeed ^ 0x85ebca6b)
  const start = now()
  const main = store.addAccount({
    sid: credentials.accountSid,
    friendlyName: 'Sandbox account',
    authToken: credentials.authToken,
    ownerAccountSid: credentials.accountSid,
    dateCreated: start - 400 * DAY,
    dateUpdated: start - 30 * DAY
  })
  const subaccounts = credentials.subaccounts.map((subaccount) => store.addAccount({
    sid: subaccount.sid,
    friendlyName: subaccount.friendlyName,
    authToken: subaccount.authToken,
    ownerAccountSid: credentials.accountSid,
    dateCreated: start - 200 * DAY,
    dateUpdated: start - 200 * DAY
  }))
  for (const key of credentials.apiKeys) store.apiKeys.set(key.sid, key)
  seedSandbox(main, subaccounts, new Random(randomSeed), plan, start)

  const faults = new FaultQueue()
  const requests = new RequestLog(REQUEST_LOG_SIZE)
  const app = Fastify({
    logger: (options.logger ?? false) as FastifyServerOptions['logger'],
    ...(options.https ? { https: options.https } : {}),
    forceCloseConnections: true,
    exposeHeadRoutes: false,
    // Errors Fastify raises before routing, such as a path whose percent-encoding is broken.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0] ?? ''
      const answer = error.code === 'FST_ERR_BAD_URL' ? notFound(path) : new TwilioError(400, 20001, error.message)
      void reply.code(answer.status).send(answer.body())
    }
  })

  // Twilio reads form bodies only; any other body is accepted and ignored (the control API parses its JSON).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseForm(body as string))
  })
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })
  app.setErrorHandler((error, request, reply) => {
    const answer = errorAnswer(error, request)
    return reply.code(answer.status).headers(answer.headers ?? {}).send(answer.body)
  })
  app.setNotFoundHandler((request, reply) => reply.code(404).send(notFound(request.url.split('?')[0] ?? '').body()))

  const randomFault = (): Fault | undefined => {
    if (rate429 > 0 && chaos.chance(rate429)) return { kind: 'status', status: 429, count: 1, when: 'before' }
    if (rate5xx > 0 && chaos.chance(rate5xx)) return { kind: 'status', status: 500, count: 1, when: 'before' }
    return undefined
  }

  const send = (reply: FastifyReply, entry: LoggedRequest | undefined, answer: Answer): FastifyReply => {
    if (entry) entry.status = answer.status
    reply.code(answer.status).headers(answer.headers ?? {})
    return answer.status === 204 ? reply.send() : reply.send(answer.body)
  }

  const applyFault = (fault: Fault, request: FastifyRequest, reply: FastifyReply, entry: LoggedRequest | undefined): FastifyReply | undefined => {
    if (fault.kind === 'status') {
      const error = faultError(fault.status, fault.retryAfter)
      return send(reply, entry, { status: error.status, body: error.body(), headers: error.headers })
    }
    if (entry) entry.status = null
    reply.hijack()
    // A hung request keeps its connection open until the client gives up or the sandbox closes.
    if (fault.kind === 'reset') request.raw.socket.destroy()
    return undefined
  }

  /** Every request except the control API: log, delay, route, authenticate, inject faults, answer. */
  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const queryAt = request.url.indexOf('?')
    const path = queryAt < 0 ? request.url : request.url.slice(0, queryAt)
    const entries = [...new URLSearchParams(queryAt < 0 ? '' : request.url.slice(queryAt + 1))]
    const body = typeof request.body === 'object' && request.body !== null ? request.body as FormBody : null
    const entry = path.startsWith('/__sandbox/')
      ? undefined
      : requests.record({
        method: request.method,
        path,
        query: collect(entries),
        body,
        username: parseBasic(request.headers.authorization)?.username ?? null,
        time: new Date(now()).toISOString(),
        status: null
      })
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs))

    let fault: Fault | undefined
    let answer: Answer
    try {
      const matched = matchRoute(ROUTES, path)
      if (matched === undefined) throw notFound(path)
      const method = request.method === 'HEAD' ? 'GET' : request.method
      const handler = METHODS.includes(method) ? matched.route.methods[method as Method] : undefined
      if (handler === undefined) throw new TwilioError(405, 20004, 'Method not allowed')
      const principal = authenticate(request.headers.authorization, store)
      const accountSid = matched.params.AccountSid ?? principal?.accountSid
      const data = accountSid === undefined ? undefined : store.account(accountSid)
      // Like Twilio, an account the caller may not use is an authentication failure, whether it exists or not.
      if (principal === undefined || data === undefined || !store.canAccess(principal.accountSid, data.account.sid)) {
        throw unauthenticated()
      }
      fault = faults.take(request.method, path) ?? randomFault()
      if (fault?.when === 'before') return applyFault(fault, request, reply, entry)
      store.settle()
      answer = handler({
        store,
        path,
        params: matched.params,
        query: { path, entries, params: new Params(collect(entries)) },
        form: new Params(body ?? {}),
        data,
        callerSid: principal.accountSid,
        origin: `${request.protocol}://${request.host}`
      })
    } catch (error) {
      answer = errorAnswer(error, request)
    }
    if (fault !== undefined) return applyFault(fault, request, reply, entry)
    return send(reply, entry, answer)
  }

  registerControl(app, { credentials, faults, requests })
  app.all('/*', handle)
  controls.set(app, { credentials, faults, requests, store })
  return app
}
