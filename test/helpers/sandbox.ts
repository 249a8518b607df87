/**
 * Starts a Twilio sandbox on 127.0.0.1 (a random free port) for tests: the sandbox's own tests and the
 * gateway's, which use it as their Twilio upstream.
 */
import type { FastifyInstance } from 'fastify'
import {
  buildSandbox, sandboxControl, SANDBOX_ACCOUNT_SID,
  type ApiKeyCredentials, type SandboxControl, type SandboxCredentials, type SandboxOptions, type SubaccountCredentials
} from '../../src/sandbox/app.js'

/** The main account's auth token in tests, unless a test passes its own. */
export const TEST_AUTH_TOKEN = '5a9d2c7e1f4b8a3d6c0e9f2b7a1d4c8e'

export interface TestSandbox {
  /** `http://127.0.0.1:<port>`, what a Twilio client uses instead of `https://api.twilio.com`. */
  baseUrl: string
  port: number
  accountSid: string
  authToken: string
  /** The seeded subaccount of the main account (its own SID and auth token). */
  subaccount: SubaccountCredentials
  /** The seeded API key of the main account (`SK…` + secret). */
  apiKey: ApiKeyCredentials
  /** Every credential the sandbox accepts. */
  credentials: SandboxCredentials
  app: FastifyInstance
  /** Faults, request log and state, programmatically (the HTTP control API offers the same). */
  control: SandboxControl
  close: () => Promise<void>
}

/** A sandbox on 127.0.0.1; with `options.https`, over TLS (`baseUrl` is then `https://127.0.0.1:<port>`). */
export async function startSandbox (options: Partial<SandboxOptions> = {}): Promise<TestSandbox> {
  const app = await buildSandbox({ authToken: TEST_AUTH_TOKEN, accountSid: SANDBOX_ACCOUNT_SID, ...options })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the sandbox is not listening on a TCP port')
  const control = sandboxControl(app)
  const { credentials } = control
  const [subaccount] = credentials.subaccounts
  const [apiKey] = credentials.apiKeys
  if (subaccount === undefined || apiKey === undefined) throw new Error('the sandbox has no subaccount or no API key')
  return {
    baseUrl: `${options.https ? 'https' : 'http'}://127.0.0.1:${address.port}`,
    port: address.port,
    accountSid: credentials.accountSid,
    authToken: credentials.authToken,
    subaccount,
    apiKey,
    credentials,
    app,
    control,
    close: async () => { await app.close() }
  }
}

/** An HTTP Basic `Authorization` header value. */
export function basicAuth (username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}
