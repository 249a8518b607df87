import { describe, expect, it } from 'vitest'
import { ConfigError, readConfig } from '../src/config.js'

describe('readConfig', () => {
  it('has the documented defaults', () => {
    expect(readConfig({})).toEqual({
      port: 8080,
      host: '127.0.0.1',
      dataDir: './.data',
      databaseUrl: undefined,
      secretsBackend: 'local',
      secretManagerEndpoint: undefined,
      secretManagerInsecure: false,
      iamCredentialsEndpoint: undefined,
      secretCacheTtlSeconds: 300,
      secretCacheGraceSeconds: 3600,
      localSecretPrefixes: undefined,
      adminToken: undefined,
      sandbox: true,
      sandboxPort: 8081,
      sandboxCalls: undefined,
      sandboxMessages: undefined,
      twilioApiBaseUrl: undefined,
      logLevel: 'info',
      throttleTpsPerNode: 25,
      callDeadlineSeconds: 60,
      callUpstreamBudget: 50,
      upstreamTimeoutSeconds: 30,
      upstreamConcurrencyPerAccount: 32,
      shutdownTimeoutSeconds: 25
    })
  })

  it('reads every variable', () => {
    const config = readConfig({
      PORT: '9000', HOST: '0.0.0.0', DATA_DIR: '/var/lib/gw', GATEWAY_ADMIN_TOKEN: 'a-long-enough-token',
      SANDBOX: 'off', SANDBOX_PORT: '9001', SANDBOX_CALLS: '10', SANDBOX_MESSAGES: '100000',
      TWILIO_API_BASE_URL: 'http://127.0.0.1:4010/', LOG_LEVEL: 'debug', THROTTLE_TPS_PER_NODE: '2.5',
      CALL_DEADLINE_SECONDS: '120', CALL_UPSTREAM_BUDGET: '500', UPSTREAM_TIMEOUT_SECONDS: '10',
      UPSTREAM_CONCURRENCY_PER_ACCOUNT: '8', SHUTDOWN_TIMEOUT_SECONDS: '9'
    })
    expect(config).toEqual({
      port: 9000, host: '0.0.0.0', dataDir: '/var/lib/gw', adminToken: 'a-long-enough-token', sandbox: false,
      databaseUrl: undefined, secretsBackend: 'local', secretManagerEndpoint: undefined, secretManagerInsecure: false,
      iamCredentialsEndpoint: undefined, secretCacheTtlSeconds: 300, secretCacheGraceSeconds: 3600, localSecretPrefixes: undefined,
      sandboxPort: 9001, sandboxCalls: 10, sandboxMessages: 100000, twilioApiBaseUrl: 'http://127.0.0.1:4010', logLevel: 'debug',
      throttleTpsPerNode: 2.5, callDeadlineSeconds: 120, callUpstreamBudget: 500, upstreamTimeoutSeconds: 10,
      upstreamConcurrencyPerAccount: 8, shutdownTimeoutSeconds: 9
    })
  })

  it('reads the secrets settings of a shared deployment', () => {
    expect(readConfig({
      DATABASE_URL: 'postgres://db/gateway', SECRETS_BACKEND: 'secret-manager', SANDBOX: 'off',
      SECRET_MANAGER_ENDPOINT: '127.0.0.1:9443', SECRET_MANAGER_INSECURE: 'on', IAM_CREDENTIALS_ENDPOINT: 'http://127.0.0.1:9444',
      SECRET_CACHE_TTL_SECONDS: '60', SECRET_CACHE_GRACE_SECONDS: '600'
    })).toMatchObject({
      databaseUrl: 'postgres://db/gateway', secretsBackend: 'secret-manager', secretManagerEndpoint: '127.0.0.1:9443',
      secretManagerInsecure: true, iamCredentialsEndpoint: 'http://127.0.0.1:9444', secretCacheTtlSeconds: 60, secretCacheGraceSeconds: 600
    })
    expect(readConfig({ LOCAL_SECRET_PREFIXES: 'projects/team-a/secrets/, projects/local/secrets/sandbox-' }).localSecretPrefixes)
      .toEqual(['projects/team-a/secrets/', 'projects/local/secrets/sandbox-'])
  })

  it.each([
    [{ PORT: 'eighty' }, /PORT must be a port number/],
    [{ PORT: '70000' }, /PORT must be a port number/],
    [{ SANDBOX: 'maybe' }, /SANDBOX must be on or off/],
    [{ SANDBOX_MESSAGES: '-1' }, /SANDBOX_MESSAGES must be a whole number/],
    [{ TWILIO_API_BASE_URL: 'not a url' }, /TWILIO_API_BASE_URL must be an absolute/],
    [{ TWILIO_API_BASE_URL: 'https://mock.example.com/2010-04-01' }, /must be an http\(s\) origin/],
    [{ GATEWAY_ADMIN_TOKEN: 'short' }, /at least 16 characters/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ DATABASE_URL: 'postgres://db/gateway' }, /DATABASE_URL is set but SECRETS_BACKEND is not/],
    [{ DATABASE_URL: 'mysql://db/gateway', SECRETS_BACKEND: 'local' }, /DATABASE_URL must be a postgres/],
    [{ SECRETS_BACKEND: 'vault' }, /SECRETS_BACKEND must be secret-manager or local/],
    [{ SECRETS_BACKEND: 'secret-manager' }, /SANDBOX=on keeps the sandbox account's token in the local secret store/],
    [{ SECRETS_BACKEND: 'secret-manager', SANDBOX: 'off', SECRET_MANAGER_ENDPOINT: 'sm.example.com:443', SECRET_MANAGER_INSECURE: 'on' }, /only allowed with a loopback/],
    [{ SECRET_MANAGER_ENDPOINT: 'https://sm.example.com' }, /SECRET_MANAGER_ENDPOINT must be host:port/],
    [{ LOCAL_SECRET_PREFIXES: 'team-a/' }, /LOCAL_SECRET_PREFIXES entries start with projects/],
    [{ THROTTLE_TPS_PER_NODE: '0' }, /THROTTLE_TPS_PER_NODE must be a number above 0/],
    [{ THROTTLE_TPS_PER_NODE: 'fast' }, /THROTTLE_TPS_PER_NODE must be a number above 0/],
    [{ CALL_DEADLINE_SECONDS: '-5' }, /CALL_DEADLINE_SECONDS must be a number above 0/],
    [{ CALL_UPSTREAM_BUDGET: '0' }, /CALL_UPSTREAM_BUDGET must be between 1 and/],
    [{ UPSTREAM_CONCURRENCY_PER_ACCOUNT: '1.5' }, /UPSTREAM_CONCURRENCY_PER_ACCOUNT must be a whole number/],
    [{ SHUTDOWN_TIMEOUT_SECONDS: 'never' }, /SHUTDOWN_TIMEOUT_SECONDS must be a number above 0/]
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => readConfig(env)).toThrow(ConfigError)
    expect(() => readConfig(env)).toThrow(message)
  })
})
