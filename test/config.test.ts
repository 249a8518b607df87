import { describe, expect, it } from 'vitest'
import { ConfigError, readConfig } from '../src/config.js'

describe('readConfig', () => {
  it('has the documented defaults', () => {
    expect(readConfig({})).toEqual({
      port: 8080,
      host: '127.0.0.1',
      dataDir: './.data',
      adminToken: undefined,
      sandbox: true,
      sandboxPort: 8081,
      sandboxCalls: undefined,
      sandboxMessages: undefined,
      twilioApiBaseUrl: undefined,
      logLevel: 'info'
    })
  })

  it('reads every variable', () => {
    const config = readConfig({
      PORT: '9000', HOST: '0.0.0.0', DATA_DIR: '/var/lib/gw', GATEWAY_ADMIN_TOKEN: 'a-long-enough-token',
      SANDBOX: 'off', SANDBOX_PORT: '9001', SANDBOX_CALLS: '10', SANDBOX_MESSAGES: '100000',
      TWILIO_API_BASE_URL: 'http://127.0.0.1:4010/', LOG_LEVEL: 'debug'
    })
    expect(config).toEqual({
      port: 9000, host: '0.0.0.0', dataDir: '/var/lib/gw', adminToken: 'a-long-enough-token', sandbox: false,
      sandboxPort: 9001, sandboxCalls: 10, sandboxMessages: 100000, twilioApiBaseUrl: 'http://127.0.0.1:4010', logLevel: 'debug'
    })
  })

  it.each([
    [{ PORT: 'eighty' }, /PORT must be a port number/],
    [{ PORT: '70000' }, /PORT must be a port number/],
    [{ SANDBOX: 'maybe' }, /SANDBOX must be on or off/],
    [{ SANDBOX_MESSAGES: '-1' }, /SANDBOX_MESSAGES must be a whole number/],
    [{ TWILIO_API_BASE_URL: 'not a url' }, /TWILIO_API_BASE_URL must be an absolute/],
    [{ TWILIO_API_BASE_URL: 'https://mock.example.com/2010-04-01' }, /must be an http\(s\) origin/],
    [{ GATEWAY_ADMIN_TOKEN: 'short' }, /at least 16 characters/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/]
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => readConfig(env)).toThrow(ConfigError)
    expect(() => readConfig(env)).toThrow(message)
  })
})
