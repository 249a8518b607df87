/**
 * Shared pieces of the transport tests: the Twilio sandbox served over TLS (standing in for `https://api.twilio.com`),
 * connections built by hand with credentials, region/edge and proxy settings, and runtime paths.
 */
import type { ConfigVariable, Connection } from '../../src/connections/connection.js'
import type { LoggedRequest, SandboxOptions } from '../../src/sandbox/app.js'
import type { Answer } from '../helpers/gateway.js'
import type { Squid } from '../helpers/proxy.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import type { KeyPair } from '../helpers/tls.js'

/** Google's example message, which the sandbox seeds in its main account. */
export const SEEDED_MESSAGE = 'SM3ad97d41e786c02bca47c8ce1745053b'
/** A number the sandbox's main account owns (a valid sender). */
export const OWNED_NUMBER = '+15005550006'
export const CONNECTOR_VERSION = 'projects/local/locations/global/providers/twilio/connectors/twilio/versions/1'

/** A sandbox listening on 127.0.0.1 over TLS with `pair` (`baseUrl` is `https://127.0.0.1:<port>`). */
export async function startTlsSandbox (pair: KeyPair, options: Partial<SandboxOptions> = {}): Promise<TestSandbox & { closeIdle: () => void }> {
  const sandbox = await startSandbox({ seed: { calls: 10, messages: 10 }, ...options, https: { key: pair.key, cert: pair.cert } })
  // Idle keep-alive connections to the sandbox end, and with them the proxy's tunnels (whose lines squid
  // writes when they close).
  return { ...sandbox, closeIdle: () => { sandbox.app.server.closeIdleConnections() } }
}

export interface ProxySpec {
  squid: Squid
  ssl?: 'AUTO' | 'ALWAYS' | 'NEVER' | 'TUNNEL'
  /** Omitted: the connection sets no `proxy_auth_scheme`. */
  scheme?: 'BASIC' | 'DIGEST' | 'NONE'
  user?: string
  /** Secret version holding the proxy password. */
  passwordVersion?: string
  /** Default: the TLS port for ALWAYS, else the plain port. */
  port?: number
  /** `proxy_enabled` (default true). */
  enabled?: boolean
}

export interface ConnectionSpec {
  id: string
  username: string
  secretVersion: string
  accountSid?: string
  region?: string
  edge?: string
  sandbox?: boolean
  proxy?: ProxySpec
}

/** A Twilio connection in Google's Connection shape, as a client would create it. */
export function twilioConnection (spec: ConnectionSpec): Connection {
  const variables: ConfigVariable[] = []
  if (spec.accountSid !== undefined) variables.push({ key: 'account_sid', stringValue: spec.accountSid })
  if (spec.region !== undefined) variables.push({ key: 'region', stringValue: spec.region })
  if (spec.edge !== undefined) variables.push({ key: 'edge', stringValue: spec.edge })
  if (spec.sandbox !== undefined) variables.push({ key: 'sandbox', boolValue: spec.sandbox })
  const proxy = spec.proxy
  if (proxy) {
    variables.push({ key: 'proxy_enabled', boolValue: proxy.enabled ?? true })
    if (proxy.ssl !== undefined) variables.push({ key: 'proxy_ssltype', stringValue: proxy.ssl })
    if (proxy.scheme !== undefined) variables.push({ key: 'proxy_auth_scheme', stringValue: proxy.scheme })
    if (proxy.user !== undefined) variables.push({ key: 'proxy_user', stringValue: proxy.user })
    if (proxy.passwordVersion !== undefined) variables.push({ key: 'proxy_password', secretValue: { secretVersion: proxy.passwordVersion } })
  }
  const proxyPort = proxy?.port ?? (proxy?.ssl === 'ALWAYS' ? proxy.squid.tlsPort : proxy?.squid.port)
  return {
    name: connectionName(spec.id),
    connectorVersion: CONNECTOR_VERSION,
    configVariables: variables,
    authConfig: { authType: 'USER_PASSWORD', userPassword: { username: spec.username, password: { secretVersion: spec.secretVersion } } },
    ...(proxy ? { destinationConfigs: [{ key: 'proxy_server', destinations: [{ host: proxy.squid.host, port: proxyPort }] }] } : {})
  }
}

export function connectionName (id: string): string {
  return `projects/transport/locations/l/connections/${id}`
}

/** The runtime path of an entity (or its collection) of a connection. */
export function entityPath (id: string, entity: string, entityId?: string): string {
  return `/v2/${connectionName(id)}/entityTypes/${entity}/entities${entityId === undefined ? '' : `/${entityId}`}`
}

/** Whether an answer carries the `UPSTREAM_OUTCOME_UNKNOWN` reason (a create that may have happened). */
export function outcomeUnknown (answer: Answer): boolean {
  return JSON.stringify(answer.body ?? null).includes('UPSTREAM_OUTCOME_UNKNOWN')
}

/** The sandbox requests logged since `from` (an index into its log). */
export function requestsSince (sandbox: TestSandbox, from: number): LoggedRequest[] {
  return sandbox.control.requests.list().slice(from)
}
