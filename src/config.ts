/**
 * The gateway's environment, parsed and checked once at start-up. A bad value stops the start with a message that
 * names the variable.
 */

export interface ServerConfig {
  port: number
  host: string
  dataDir: string
  /** PostgreSQL shared by every gateway process; without it, an embedded PostgreSQL under dataDir. */
  databaseUrl?: string
  /** From GATEWAY_ADMIN_TOKEN; when absent the gateway generates one under dataDir. */
  adminToken?: string
  sandbox: boolean
  sandboxPort: number
  sandboxCalls?: number
  sandboxMessages?: number
  twilioApiBaseUrl?: string
  logLevel: string
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>

function port (env: Env, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new ConfigError(`${name} must be a port number (0-65535), got "${raw}"`)
  return value
}

function count (env: Env, name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a whole number, got "${raw}"`)
  return value
}

function onOff (env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (raw === undefined || raw === '') return fallback
  if (['on', 'true', '1', 'yes'].includes(raw)) return true
  if (['off', 'false', '0', 'no'].includes(raw)) return false
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`)
}

function baseUrl (env: Env, name: string): string | undefined {
  const raw = env[name]?.trim()
  if (!raw) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`)
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ConfigError(`${name} must be an http(s) origin such as https://twilio-mock.example.com, got "${raw}"`)
  }
  return url.origin
}

function databaseUrl (env: Env): string | undefined {
  const raw = env.DATABASE_URL?.trim()
  if (!raw) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL (it is not a URL)')
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must be a postgres:// or postgresql:// URL, not ${url.protocol}//…`)
  }
  return raw
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export function readConfig (env: Env): ServerConfig {
  const logLevel = env.LOG_LEVEL?.trim() || 'info'
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  const adminToken = env.GATEWAY_ADMIN_TOKEN?.trim()
  if (adminToken !== undefined && adminToken !== '' && adminToken.length < 16) {
    throw new ConfigError('GATEWAY_ADMIN_TOKEN must be at least 16 characters long (or unset, to have one generated)')
  }
  return {
    port: port(env, 'PORT', 8080),
    host: env.HOST?.trim() || '127.0.0.1',
    dataDir: env.DATA_DIR?.trim() || './.data',
    databaseUrl: databaseUrl(env),
    adminToken: adminToken || undefined,
    sandbox: onOff(env, 'SANDBOX', true),
    sandboxPort: port(env, 'SANDBOX_PORT', 8081),
    sandboxCalls: count(env, 'SANDBOX_CALLS'),
    sandboxMessages: count(env, 'SANDBOX_MESSAGES'),
    twilioApiBaseUrl: baseUrl(env, 'TWILIO_API_BASE_URL'),
    logLevel
  }
}
