/**
 * A connection's `logConfig` decides what the gateway logs about that connection's runtime calls: nothing unless
 * enabled; failures at ERROR; every entity operation at INFO; every Twilio request (method, path, status) at DEBUG —
 * and never a credential.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, type TestGateway } from '../../helpers/gateway.js'
import { basicAuth } from '../../helpers/sandbox.js'
import { PARENT, connectionBody, created, runtimeUrl, startTestGateway, type Body } from './support.js'

/** Every line the gateway's logger wrote (pino's JSON lines). */
const lines: string[] = []
const stream = { write: (line: string): void => { lines.push(line) } }

let gateway: TestGateway

const CONNECTIONS: Record<string, Body | undefined> = {
  'log-absent': undefined,
  'log-disabled': { enabled: false, level: 'DEBUG' },
  'log-error': { enabled: true, level: 'ERROR' },
  'log-default-level': { enabled: true },
  'log-info': { enabled: true, level: 'INFO' },
  'log-debug': { enabled: true, level: 'DEBUG' }
}
const nameOf = (id: string): string => `${PARENT}/connections/${id}`
/** The log records written during one runtime call of `id`. */
const records: Record<string, Body[]> = {}

const parse = (line: string): Body => JSON.parse(line) as Body

beforeAll(async () => {
  gateway = await startTestGateway({ sandbox: true, config: { logger: { level: 'info', stream } } })
  for (const [id, logConfig] of Object.entries(CONNECTIONS)) {
    await created(gateway, id, connectionBody(gateway, logConfig ? { logConfig } : {}))
  }
  for (const id of Object.keys(CONNECTIONS)) {
    const from = lines.length
    const answer = await gateway.call('GET', runtimeUrl(id))
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    records[id] = lines.slice(from).map(parse)
  }
})
afterAll(async () => {
  await gateway.close()
})

/** The records of one runtime call that are about the connection (not the HTTP request log of the call itself). */
const about = (id: string): Body[] => records[id]!.filter((record) => record.connection === nameOf(id))

describe('runtime logging per connection', () => {
  it('writes JSON lines through the configured stream (the request log shows it works)', () => {
    expect(lines.length).toBeGreaterThan(0)
    expect(records['log-absent']!.some((record) => record.msg === 'request completed')).toBe(true)
  })

  it('logConfig absent: no line about the connection', () => {
    expect(about('log-absent')).toEqual([])
    expect(lines.map(parse).filter((record) => record.connection === nameOf('log-absent'))).toEqual([])
  })

  it('logConfig disabled (even at DEBUG): no line about the connection', () => {
    expect(about('log-disabled')).toEqual([])
  })

  it('ERROR (and enabled without a level): no line for a call that succeeds', () => {
    expect(about('log-error')).toEqual([])
    expect(about('log-default-level')).toEqual([])
  })

  it('INFO: one entity operation line naming the connection, entity and operation; no Twilio request lines', () => {
    const logged = about('log-info')
    expect(logged).toEqual([expect.objectContaining({
      level: 30,
      msg: 'entity operation',
      connection: nameOf('log-info'),
      entity: 'Messages',
      operation: 'LIST'
    })])
  })

  it('DEBUG: the entity operation line and the Twilio request lines with method, path and status', () => {
    const logged = about('log-debug')
    expect(logged.filter((record) => record.msg === 'entity operation')).toEqual([expect.objectContaining({
      level: 30, connection: nameOf('log-debug'), entity: 'Messages', operation: 'LIST'
    })])
    const requests = logged.filter((record) => record.msg === 'Twilio request')
    expect(requests.length).toBeGreaterThan(0)
    for (const request of requests) {
      expect(request).toMatchObject({ level: 20, connection: nameOf('log-debug'), status: 200 })
      // The Twilio SDK hands its request client a lowercase method ("get").
      expect(String(request.method).toUpperCase()).toBe('GET')
      expect(request.path).toBe(`/2010-04-01/Accounts/${gateway.sandbox!.accountSid}/Messages.json`)
    }
  })
})

describe('a failing runtime call', () => {
  const missing = 'SM00000000000000000000000000000000'

  it.each([
    ['log-error', true],
    ['log-default-level', true],
    ['log-absent', false],
    ['log-disabled', false]
  ])('%s: logs the failure at ERROR: %s', async (id, expected) => {
    const from = lines.length
    const answer = await gateway.call('GET', `/v2/${nameOf(id)}/entityTypes/Messages/entities/${missing}`)
    expect(answer.status).toBe(404)
    const logged = lines.slice(from).map(parse).filter((record) => record.connection === nameOf(id))
    if (expected) {
      expect(logged).toEqual([expect.objectContaining({ level: 50, connection: nameOf(id), entity: 'Messages', operation: 'GET', status: 'NOT_FOUND' })])
    } else {
      expect(logged).toEqual([])
    }
  })
})

describe('credentials', () => {
  it('never appear in any line: not the auth token, not an Authorization header value', () => {
    const { accountSid, authToken } = gateway.sandbox!
    const forbidden = [authToken, ADMIN_TOKEN, basicAuth(accountSid, authToken), basicAuth(accountSid, authToken).slice('Basic '.length), `Bearer ${ADMIN_TOKEN}`]
    expect(lines.length).toBeGreaterThan(10)
    for (const line of lines) {
      for (const secret of forbidden) expect(line).not.toContain(secret)
      expect(line.toLowerCase()).not.toContain('"authorization"')
    }
  })
})
