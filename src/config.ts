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
  /** Where connection secrets are read: the local encrypted store or Google Secret Manager. */
  secretsBackend: 'local' | 'secret-manager'
  /** `host:port` of Secret Manager (tests, private endpoints); plaintext only on loopback. */
  secretManagerEndpoint?: string
  secretManagerInsecure: boolean
  /** Base URL of the IAM Credentials API (impersonation of connections' service accounts). */
  iamCredentialsEndpoint?: string
  /** Secret values are reused for this long (rotation is picked up within it), and served this much longer while the backend is down. */
  secretCacheTtlSeconds: number
  secretCacheGraceSeconds: number
  /** With the local store: the secret name prefixes connections may reference (all when unset). */
  localSecretPrefixes?: string[]
  /** From GATEWAY_ADMIN_TOKEN; when absent the gateway generates one under dataDir. */
  adminToken?: string
  sandbox: boolean
  sandboxPort: number
  sandboxCalls?: number
  sandboxMessages?: number
  twilioApiBaseUrl?: string
  logLevel: string
  /** Transactions per second each node of a connection admits. */
  throttleTpsPerNode: number
  /** How long one runtime call may take, and how many upstream requests it may make (retries included). */
  callDeadlineSeconds: number
  callUpstreamBudget: number
  /** Timeout of one upstream request. */
  upstreamTimeoutSeconds: number
  /** Concurrent upstream requests per Twilio account, per process. */
  upstreamConcurrencyPerAccount: number
  /** On SIGTERM, how long calls in flight may take to finish before their connections are closed. */
  shutdownTimeoutSeconds: number
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

function secretsBackend (env: Env, databaseUrl: string | undefined, sandbox: boolean): ServerConfig['secretsBackend'] {
  const raw = env.SECRETS_BACKEND?.trim()
  if (!raw) {
    if (databaseUrl) {
      throw new ConfigError('DATABASE_URL is set but SECRETS_BACKEND is not: a shared deployment must say where its secrets ' +
        'are — SECRETS_BACKEND=secret-manager (Google Secret Manager) or SECRETS_BACKEND=local (files under DATA_DIR, this machine only)')
    }
    return 'local'
  }
  if (raw !== 'local' && raw !== 'secret-manager') throw new ConfigError(`SECRETS_BACKEND must be secret-manager or local, got "${raw}"`)
  if (raw === 'secret-manager' && sandbox) {
    throw new ConfigError('SANDBOX=on keeps the sandbox account\'s token in the local secret store: use SANDBOX=off with SECRETS_BACKEND=secret-manager')
  }
  return raw
}

function endpoint (env: Env, name: string): string | undefined {
  const raw = env[name]?.trim()
  if (!raw) return undefined
  if (!/^[A-Za-z0-9.-]+:[0-9]{1,5}$/.test(raw) && !/^\[[0-9a-fA-F:]+\]:[0-9]{1,5}$/.test(raw)) {
    throw new ConfigError(`${name} must be host:port, got "${raw}"`)
  }
  return raw
}

function seconds (env: Env, name: string, fallback: number): number {
  const value = count(env, name)
  return value ?? fallback
}

/** A positive number (fractions allowed) within bounds. */
function positive (env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0 || value > max) throw new ConfigError(`${name} must be a number above 0 and at most ${max}, got "${raw}"`)
  return value
}

/** A whole number within bounds. */
function whole (env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = count(env, name) ?? fallback
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got "${env[name]}"`)
  return value
}

const LOOPBACK = /^(127\.[0-9.]+|localhost|\[::1\]):/

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export function readConfig (env: Env): ServerConfig {
  const logLevel = env.LOG_LEVEL?.trim() || 'info'
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  const adminToken = env.GATEWAY_ADMIN_TOKEN?.trim()
  if (adminToken !== undefined && adminToken !== '' && adminToken.length < 16) {
    throw new ConfigError('GATEWAY_ADMIN_TOKEN must be at least 16 characters long (or unset, to have one generated)')
  }
  const sandbox = onOff(env, 'SANDBOX', true)
  const database = databaseUrl(env)
  const secretManagerEndpoint = endpoint(env, 'SECRET_MANAGER_ENDPOINT')
  const secretManagerInsecure = onOff(env, 'SECRET_MANAGER_INSECURE', false)
  if (secretManagerInsecure && !(secretManagerEndpoint && LOOPBACK.test(secretManagerEndpoint))) {
    throw new ConfigError('SECRET_MANAGER_INSECURE=on is only allowed with a loopback SECRET_MANAGER_ENDPOINT (a test server)')
  }
  const prefixes = env.LOCAL_SECRET_PREFIXES?.split(',').map((prefix) => prefix.trim()).filter(Boolean)
  for (const prefix of prefixes ?? []) {
    if (!/^projects\/[^/]+\/secrets\//.test(prefix)) throw new ConfigError(`LOCAL_SECRET_PREFIXES entries start with projects/<p>/secrets/, got "${prefix}"`)
  }
  return {
    port: port(env, 'PORT', 8080),
    host: env.HOST?.trim() || '127.0.0.1',
    dataDir: env.DATA_DIR?.trim() || './.data',
    databaseUrl: database,
    secretsBackend: secretsBackend(env, database, sandbox),
    secretManagerEndpoint,
    secretManagerInsecure,
    iamCredentialsEndpoint: baseUrl(env, 'IAM_CREDENTIALS_ENDPOINT'),
    secretCacheTtlSeconds: seconds(env, 'SECRET_CACHE_TTL_SECONDS', 300),
    secretCacheGraceSeconds: seconds(env, 'SECRET_CACHE_GRACE_SECONDS', 3600),
    localSecretPrefixes: prefixes?.length ? prefixes : undefined,
    adminToken: adminToken || undefined,
    sandbox,
    sandboxPort: port(env, 'SANDBOX_PORT', 8081),
    sandboxCalls: count(env, 'SANDBOX_CALLS'),
    sandboxMessages: count(env, 'SANDBOX_MESSAGES'),
    twilioApiBaseUrl: baseUrl(env, 'TWILIO_API_BASE_URL'),
    logLevel,
    throttleTpsPerNode: positive(env, 'THROTTLE_TPS_PER_NODE', 25, 1_000_000),
    callDeadlineSeconds: positive(env, 'CALL_DEADLINE_SECONDS', 60, 3600),
    callUpstreamBudget: whole(env, 'CALL_UPSTREAM_BUDGET', 50, 1, 100_000),
    upstreamTimeoutSeconds: positive(env, 'UPSTREAM_TIMEOUT_SECONDS', 30, 3600),
    upstreamConcurrencyPerAccount: whole(env, 'UPSTREAM_CONCURRENCY_PER_ACCOUNT', 32, 1, 10_000),
    shutdownTimeoutSeconds: positive(env, 'SHUTDOWN_TIMEOUT_SECONDS', 25, 3600)
  }
}
