/**
 * The Connection resource, in the JSON shape of Google's Connectors v1 API (`google.cloud.connectors.v1.Connection`),
 * and what the runtime needs from it.
 */
import { FailedPreconditionError } from '../errors.js'

export interface SecretRef { secretVersion: string }

export interface ConfigVariable {
  key: string
  intValue?: string | number
  boolValue?: boolean
  stringValue?: string
  secretValue?: SecretRef
  encryptionKeyValue?: { type?: string, kmsKeyName?: string }
}

export interface AuthConfig {
  authType: string
  authKey?: string
  additionalVariables?: ConfigVariable[]
  userPassword?: { username?: string, password?: SecretRef }
}

export interface Destination { host?: string, port?: number, serviceAttachment?: string }

export interface ConnectionStatus { state: string, description?: string, status?: string }

/** The fields of a Connection a client sets (Google's `Connection` without its output-only fields). */
export interface ConnectionSpec {
  connectorVersion: string
  description?: string
  labels?: Record<string, string>
  configVariables?: ConfigVariable[]
  authConfig?: AuthConfig
  euaOauthAuthConfig?: AuthConfig
  lockConfig?: { locked?: boolean, reason?: string }
  destinationConfigs?: Array<{ key: string, destinations?: Destination[] }>
  nodeConfig?: { minNodeCount?: number, maxNodeCount?: number }
  logConfig?: { enabled?: boolean, level?: 'LOG_LEVEL_UNSPECIFIED' | 'ERROR' | 'INFO' | 'DEBUG' }
  sslConfig?: Record<string, unknown>
  serviceAccount?: string
  suspended?: boolean
  eventingEnablementType?: string
  eventingConfig?: Record<string, unknown>
  authOverrideEnabled?: boolean
  fallbackOnAdminCredentials?: boolean
  asyncOperationsEnabled?: boolean
  trafficShapingConfigs?: Array<{ quotaLimit?: string, duration?: string }>
  adminFilters?: Array<Record<string, unknown>>
}

export interface Connection extends ConnectionSpec {
  /** `projects/{project}/locations/{location}/connections/{connection}` */
  name: string
  status?: ConnectionStatus
}

export const CONNECTION_NAME = /^projects\/[^/]+\/locations\/[^/]+\/connections\/[^/]+$/

export function connectionName (project: string, location: string, connection: string): string {
  return `projects/${project}/locations/${location}/connections/${connection}`
}

/** What a runtime call needs to reach Twilio for a connection. */
export interface RuntimeSettings {
  /** Account SID or API key SID (HTTP Basic username). */
  username: string
  /** Secret Manager version name holding the auth token or key secret. */
  passwordSecretVersion: string
  /** The account whose resources are used: `account_sid`, else the username. */
  accountSid: string
  region?: string
  edge?: string
  /** The connection asks for the gateway's built-in Twilio sandbox. */
  sandbox: boolean
  /** The HTTP proxy Twilio is reached through, when `proxy_enabled`. */
  proxy?: ProxyConfig
}

export interface ProxyConfig {
  host: string
  port: number
  scheme: 'BASIC' | 'DIGEST' | 'NONE'
  user?: string
  /** Secret version of the proxy password. */
  passwordSecretVersion?: string
  ssl: 'AUTO' | 'ALWAYS' | 'NEVER' | 'TUNNEL'
}

function proxyConfig (connection: Connection): ProxyConfig | undefined {
  if (configValue(connection, 'proxy_enabled')?.boolValue !== true) return undefined
  const destination = connection.destinationConfigs?.find((config) => config.key === 'proxy_server')?.destinations?.[0]
  if (!destination?.host) {
    throw new FailedPreconditionError(`Connection ${connection.name} enables a proxy but names no proxy_server destination`)
  }
  const user = stringSetting(connection, 'proxy_user')
  const scheme = oneOf(connection, 'proxy_auth_scheme', PROXY_SCHEMES, user ? 'BASIC' : 'NONE')
  const passwordSecretVersion = configValue(connection, 'proxy_password')?.secretValue?.secretVersion
  if (scheme !== 'NONE' && (!user || !passwordSecretVersion)) {
    throw new FailedPreconditionError(`Connection ${connection.name} uses proxy_auth_scheme ${scheme} but lacks proxy_user or proxy_password`)
  }
  return {
    host: destination.host,
    port: destination.port ?? 3128,
    scheme,
    user,
    passwordSecretVersion,
    ssl: oneOf(connection, 'proxy_ssltype', PROXY_SSL_TYPES, 'AUTO')
  }
}

const PROXY_SCHEMES = ['BASIC', 'DIGEST', 'NONE'] as const
const PROXY_SSL_TYPES = ['AUTO', 'ALWAYS', 'NEVER', 'TUNNEL'] as const

/** An enum config variable's value; one outside the enum is the connection's problem, named. */
function oneOf<T extends string> (connection: Connection, key: string, values: readonly T[], fallback: T): T {
  const value = stringSetting(connection, key) ?? fallback
  if (!(values as readonly string[]).includes(value)) {
    throw new FailedPreconditionError(`Connection ${connection.name} sets ${key} to '${value}'; it must be one of ${values.join(', ')}`)
  }
  return value as T
}

export function configValue (connection: Connection, key: string): ConfigVariable | undefined {
  return connection.configVariables?.find((variable) => variable.key === key)
}

function stringSetting (connection: Connection, key: string): string | undefined {
  const value = configValue(connection, key)?.stringValue?.trim()
  return value || undefined
}

export function runtimeSettings (connection: Connection): RuntimeSettings {
  const auth = connection.authConfig
  const username = auth?.userPassword?.username
  const passwordSecretVersion = auth?.userPassword?.password?.secretVersion
  if (auth?.authType !== 'USER_PASSWORD' || !username || !passwordSecretVersion) {
    throw new FailedPreconditionError(
      `Connection ${connection.name} has no usable credentials: authConfig must be USER_PASSWORD with a username ` +
      'and a password secretVersion')
  }
  const accountSid = stringSetting(connection, 'account_sid') ?? username
  if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) {
    throw new FailedPreconditionError(
      `Connection ${connection.name} names no Twilio account: set the account_sid config variable when the ` +
      'username is an API key')
  }
  return {
    username,
    passwordSecretVersion,
    accountSid,
    region: stringSetting(connection, 'region'),
    edge: stringSetting(connection, 'edge'),
    sandbox: configValue(connection, 'sandbox')?.boolValue === true,
    proxy: proxyConfig(connection)
  }
}
