/** Fault injection (status, Retry-After, reset, hang; before or after processing), random faults, latency, request log. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FaultSpec } from '../../src/sandbox/app.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { manualClock, twilioError, TwilioHttp } from './support/http.js'

const clock = manualClock(Date.UTC(2025, 5, 16, 12))
let sandbox: TestSandbox
let http: TwilioHttp

beforeAll(async () => {
  sandbox = await startSandbox({ now: clock.now, seed: { calls: 10, messages: 10 } })
  http = new TwilioHttp(sandbox)
})
afterAll(async () => { await sandbox.close() })
afterEach(async () => {
  expect((await http.delete('/__sandbox/faults')).status).toBe(204)
})

async function inject (...faults: FaultSpec[]): Promise<void> {
  const reply = await http.request('POST', '/__sandbox/faults', { body: JSON.stringify(faults), headers: { 'content-type': 'application/json' } })
  expect(reply.status, reply.text).toBe(201)
}

const SMS = { To: '+14155550190', From: '+15005550006', Body: 'fault test' }
const messageCount = async (): Promise<number> => (await http.get('Messages.json', { PageSize: 1000 })).body.messages.length

describe('status faults', () => {
  it('answer the next `count` matching requests with a Twilio error and Retry-After', async () => {
    await inject({ kind: 'status', status: 429, count: 2, retryAfter: 3, method: 'GET', pathContains: 'Messages' })
    expect((await http.get('Calls.json')).status).toBe(200)
    expect((await http.post('Messages.json', SMS)).status).toBe(201)
    for (let i = 0; i < 2; i++) {
      const reply = await http.get('Messages.json')
      expect(twilioError(reply)).toEqual({ code: 20429, message: 'Too Many Requests', more_info: 'https://www.twilio.com/docs/errors/20429', status: 429 })
      expect(reply.headers.get('retry-after')).toBe('3')
    }
    expect((await http.get('Messages.json')).status).toBe(200)
  })

  it('answer 500 and 503 with Twilio\'s codes, without processing the request', async () => {
    await inject({ kind: 'status', status: 500, method: 'POST' }, { kind: 'status', status: 503, method: 'POST' })
    const before = await messageCount()
    expect(twilioError(await http.post('Messages.json', SMS))).toMatchObject({ status: 500, code: 20500 })
    const unavailable = await http.post('Messages.json', SMS)
    expect(twilioError(unavailable)).toMatchObject({ status: 503, code: 20503 })
    expect(unavailable.headers.get('retry-after')).toBeNull()
    expect(await messageCount()).toBe(before)
  })

  it('with when=after, process the request (the state changes) and then fail it', async () => {
    await inject({ kind: 'status', status: 500, when: 'after', method: 'POST' })
    const before = await messageCount()
    expect(twilioError(await http.post('Messages.json', { ...SMS, Body: 'processed anyway' })).code).toBe(20500)
    const messages = (await http.get('Messages.json', { PageSize: 1000 })).body.messages as Array<{ body: string }>
    expect(messages).toHaveLength(before + 1)
    expect(messages[0]?.body).toBe('processed anyway')
  })
})

describe('connection faults', () => {
  it('reset the connection without an answer', async () => {
    await inject({ kind: 'reset', pathContains: 'Calls' })
    await expect(http.get('Calls.json')).rejects.toThrow(/fetch failed/)
    expect((await http.get('Calls.json')).status).toBe(200)
  })

  it('reset after processing: the call exists although the client saw no answer', async () => {
    await inject({ kind: 'reset', when: 'after', method: 'POST', pathContains: 'Calls' })
    await expect(http.post('Calls.json', { To: '+14155550191', From: '+15005550006', Url: 'https://demo.twilio.com/welcome/voice/' })).rejects.toThrow(/fetch failed/)
    const calls = (await http.get('Calls.json', { To: '+14155550191' })).body.calls
    expect(calls).toHaveLength(1)
  })

  it('hang: no answer ever comes, the client times out, the sandbox goes on and still closes promptly', async () => {
    const hanging = await startSandbox({ seed: { calls: 0, messages: 0 } })
    const client = new TwilioHttp(hanging)
    hanging.control.faults.add([{ kind: 'hang', count: 1, when: 'before' }])
    const started = Date.now()
    const authorization = `Basic ${Buffer.from(`${hanging.accountSid}:${hanging.authToken}`).toString('base64')}`
    const url = `${hanging.baseUrl}${client.url('Messages.json')}`
    await expect(fetch(url, { headers: { authorization }, signal: AbortSignal.timeout(200) })).rejects.toThrow(/timeout|aborted/i)
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect((await client.get('Messages.json')).status).toBe(200)
    // A second hung request is still open when the sandbox closes: closing must not wait for it.
    hanging.control.faults.add([{ kind: 'hang', count: 1, when: 'after' }])
    const pending = fetch(url, { headers: { authorization } }).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await hanging.close()
    expect(await pending).toBeInstanceOf(Error)
    expect(hanging.control.requests.list().map((request) => request.status)).toEqual([null, 200, null])
  })
})

describe('the control API', () => {
  it.each([
    ['not JSON', '{', /JSON/],
    ['an unknown kind', JSON.stringify({ kind: 'explode' }), /kind/],
    ['an unsupported status', JSON.stringify({ kind: 'status', status: 404 }), /status/],
    ['a bad count', JSON.stringify({ kind: 'reset', count: 0 }), /count/],
    ['a bad method', JSON.stringify({ kind: 'hang', method: 'PUT' }), /method/],
    ['a bad retryAfter', JSON.stringify({ kind: 'status', status: 429, retryAfter: -1 }), /retryAfter/],
    ['an unknown property', JSON.stringify({ kind: 'reset', path: 'Calls' }), /path/],
    ['a bad when', JSON.stringify({ kind: 'reset', when: 'later' }), /when/]
  ])('rejects %s', async (_name, body, message) => {
    const error = twilioError(await http.request('POST', '/__sandbox/faults', { body, headers: { 'content-type': 'application/json' } }))
    expect(error).toMatchObject({ status: 400, code: 20001 })
    expect(error.message).toMatch(message)
    expect((await http.get('/__sandbox/faults')).body.faults).toEqual([])
  })

  it('lists queued faults with their defaults and clears them', async () => {
    await inject({ kind: 'status', status: 503, count: 3, retryAfter: 1 })
    expect((await http.get('/__sandbox/faults')).body.faults).toEqual([{ kind: 'status', status: 503, count: 3, retryAfter: 1, when: 'before' }])
    expect((await http.delete('/__sandbox/faults')).status).toBe(204)
    expect((await http.get('/__sandbox/faults')).body.faults).toEqual([])
  })
})

describe('the request log', () => {
  it('records what clients sent: method, path, query and body with repeated keys, username, time, status', async () => {
    expect((await http.delete('/__sandbox/requests')).status).toBe(204)
    clock.set(Date.UTC(2025, 5, 16, 13, 30))
    await http.get('Messages.json', [['DateSent>', '2025-06-01'], ['To', '+14155550100'], ['To', '+14155550101']])
    await http.post('Messages.json', { To: '+14155550192', From: '+15005550006', MediaUrl: ['https://a.example/1.png', 'https://a.example/2.png'] })
    await http.as(sandbox.apiKey.sid, 'wrong').get('Calls.json')
    await http.get('/__sandbox/faults')
    const { requests } = (await http.get('/__sandbox/requests')).body
    expect(requests).toEqual([
      {
        method: 'GET', path: `/2010-04-01/Accounts/${sandbox.accountSid}/Messages.json`,
        query: { 'DateSent>': '2025-06-01', To: ['+14155550100', '+14155550101'] }, body: null,
        username: sandbox.accountSid, time: '2025-06-16T13:30:00.000Z', status: 200
      },
      {
        method: 'POST', path: `/2010-04-01/Accounts/${sandbox.accountSid}/Messages.json`, query: {},
        body: { To: '+14155550192', From: '+15005550006', MediaUrl: ['https://a.example/1.png', 'https://a.example/2.png'] },
        username: sandbox.accountSid, time: '2025-06-16T13:30:00.000Z', status: 201
      },
      {
        method: 'GET', path: `/2010-04-01/Accounts/${sandbox.accountSid}/Calls.json`, query: {}, body: null,
        username: sandbox.apiKey.sid, time: '2025-06-16T13:30:00.000Z', status: 401
      }
    ])
  })

  it('keeps the last 500 requests', async () => {
    await http.delete('/__sandbox/requests')
    const authorization = `Basic ${Buffer.from(`${sandbox.accountSid}:${sandbox.authToken}`).toString('base64')}`
    for (let i = 0; i < 505; i++) await sandbox.app.inject({ url: `${http.url('Calls.json')}?PageSize=${i + 1}`, headers: { authorization } })
    const { requests } = (await http.get('/__sandbox/requests')).body
    expect(requests).toHaveLength(500)
    expect(requests[0].query).toEqual({ PageSize: '6' })
    expect(requests[499].query).toEqual({ PageSize: '505' })
  })
})

describe('random faults and latency', () => {
  it('answer every request 429 at rate429=1, 500 at rate5xx=1', async () => {
    const always429 = await startSandbox({ seed: { calls: 0, messages: 0 }, rate429: 1 })
    const always500 = await startSandbox({ seed: { calls: 0, messages: 0 }, rate5xx: 1 })
    try {
      expect(twilioError(await new TwilioHttp(always429).get('Calls.json')).code).toBe(20429)
      expect(twilioError(await new TwilioHttp(always500).get('Calls.json')).code).toBe(20500)
      // Bad credentials are still refused first: faults hit authenticated traffic only.
      expect(twilioError(await new TwilioHttp(always429).as('nobody', 'x').get('Calls.json')).code).toBe(20003)
    } finally {
      await Promise.all([always429.close(), always500.close()])
    }
  })

  it('draw from the seeded PRNG: the same seed fails the same requests', async () => {
    const pattern = async (randomSeed: number): Promise<number[]> => {
      const flaky = await startSandbox({ seed: { calls: 0, messages: 0 }, rate429: 0.3, rate5xx: 0.2, randomSeed })
      try {
        const client = new TwilioHttp(flaky)
        const statuses: number[] = []
        for (let i = 0; i < 40; i++) statuses.push((await client.get('Calls.json')).status)
        return statuses
      } finally {
        await flaky.close()
      }
    }
    const first = await pattern(7)
    expect(await pattern(7)).toEqual(first)
    expect(first.filter((status) => status === 429).length).toBeGreaterThan(3)
    expect(first.filter((status) => status === 500).length).toBeGreaterThan(0)
    expect(first.filter((status) => status === 200).length).toBeGreaterThan(10)
  })

  it('delay every answer by latencyMs', async () => {
    const slow = await startSandbox({ seed: { calls: 0, messages: 0 }, latencyMs: 150 })
    try {
      const started = Date.now()
      expect((await new TwilioHttp(slow).get('Calls.json')).status).toBe(200)
      expect(Date.now() - started).toBeGreaterThanOrEqual(145)
    } finally {
      await slow.close()
    }
  })
})
