/** Malformed or unexpected requests get Twilio JSON errors, never a crash or a 5xx. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { twilioError, TwilioHttp, type Reply } from './support/http.js'

let sandbox: TestSandbox
let http: TwilioHttp
let base: string

beforeAll(async () => {
  sandbox = await startSandbox({ seed: { calls: 5, messages: 5 } })
  http = new TwilioHttp(sandbox)
  base = `/2010-04-01/Accounts/${sandbox.accountSid}`
})
afterAll(async () => { await sandbox.close() })

function expectError (reply: Reply, status: number, code: number): void {
  expect(twilioError(reply)).toMatchObject({ status, code })
}

describe('unknown paths', () => {
  it.each([
    '/', '/2010-04-01', '/2010-04-01/Accounts', '/2010-04-01/Accounts/.json', '/2010-04-02/Accounts.json',
    '/{base}/Messages', '/{base}/Messages.xml', '/{base}/Messages.csv', '/{base}/Messages.json/', '/{base}/Faxes.json',
    '/{base}/Messages/SM%E0%A4%A.json', '/{base}/Calls/CA1/Feedback/x.json', '/__sandbox/unknown'
  ])('%s answers 404 / 20404 naming the path', async (template) => {
    const path = template.replace('/{base}', base)
    const reply = await http.get(path)
    expectError(reply, 404, 20404)
    expect(reply.body.message).toBe(`The requested resource ${path} was not found`)
  })
})

describe('wrong methods', () => {
  it.each([
    ['PUT', '{base}/Messages.json'],
    ['PATCH', '{base}/Calls/CA00000000000000000000000000000000.json'],
    ['DELETE', '{base}/Messages.json'],
    ['POST', '{base}/Recordings.json'],
    ['POST', '{base}/Recordings/RE00000000000000000000000000000000.json'],
    ['DELETE', '{base}/Calls/CA00000000000000000000000000000000/Feedback.json'],
    ['GET', '{base}/Calls/FeedbackSummary.json'],
    ['POST', '/2010-04-01/Accounts.json']
  ])('%s %s answers 405 / 20004', async (method, template) => {
    expectError(await http.request(method, template.replace('{base}', base)), 405, 20004)
  })

  it('answers HEAD like GET, without a body', async () => {
    const reply = await http.request('HEAD', `${base}/Messages.json`)
    expect(reply.status).toBe(200)
    expect(reply.text).toBe('')
  })
})

describe('bodies Twilio would not read', () => {
  it('ignores JSON, text and broken bodies (parameters are form fields only)', async () => {
    const json = await http.request('POST', `${base}/Messages.json`, { body: '{"To": "+14155550100"', headers: { 'content-type': 'application/json' } })
    expectError(json, 400, 21604)
    expectError(await http.request('POST', `${base}/Messages.json`, { body: 'To=+14155550100', headers: { 'content-type': 'text/plain' } }), 400, 21604)
    // Broken percent-encoding decodes leniently: the sender '%' is then simply not a valid number.
    expectError(await http.request('POST', `${base}/Messages.json`, { body: 'To=%E0%A4%A&From=%&Body=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 21212)
    expectError(await http.request('POST', `${base}/Messages.json`), 400, 21604)
  })

  it('survives prototype-polluting keys', async () => {
    const reply = await http.post('Messages.json', [['__proto__', 'x'], ['constructor', 'y'], ['To', '+14155550100'], ['From', '+15005550006'], ['Body', 'hi']])
    expect(reply.status, reply.text).toBe(201)
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  it('answers an oversized body 413 in Twilio JSON', async () => {
    const reply = await http.post('Messages.json', { To: '+14155550100', From: '+15005550006', Body: 'x'.repeat(1_100_000) })
    expectError(reply, 413, 20001)
  })
})

describe('malformed parameters', () => {
  it.each([
    [{ PageSize: '%' }],
    [{ PageSize: '1e3' }],
    [{ Page: '1.5' }],
    [{ 'DateSent<': '2024-01-01T25:00:00Z' }]
  ])('rejects the query %j with 400 / 20001', async (query) => {
    expectError(await http.get('Messages.json', query), 400, 20001)
  })

  it('rejects a non-boolean flag and a non-integer number in a form', async () => {
    expectError(await http.post('Calls.json', { To: '+14155550100', From: '+15005550006', Url: 'https://example.com', Record: 'yes' }), 400, 20001)
    expectError(await http.post('Calls.json', { To: '+14155550100', From: '+15005550006', Url: 'https://example.com', Timeout: '10s' }), 400, 20001)
  })

  it('never answers 5xx to any of the above', () => {
    const statuses = sandbox.control.requests.list().map((request) => request.status)
    expect(statuses.length).toBeGreaterThan(30)
    expect(statuses.every((status) => status !== null && status < 500)).toBe(true)
  })
})
