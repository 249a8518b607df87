/**
 * Twilio's failures as the gateway reports them, each produced by the sandbox (its real error answers or injected
 * faults): not found, validation, "not complete yet", refused credentials, rate limiting, server errors and
 * network failures on reads (once the gateway's retries are spent), and creates whose outcome is unknown. No
 * answer is ever a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Fault, FaultSpec } from '../../../src/sandbox/app.js'
import { startGateway, type Answer, type TestGateway } from '../../helpers/gateway.js'
import {
  GOOGLE, OWNED_NUMBER, connection, connectionAt, entityPath, expectEntity, expectRpcError, startWorld, twilioErrorInfo,
  type World
} from './support.js'

let world: World
/** A second gateway on the same sandbox with a short upstream timeout, for hung requests. */
let impatient: TestGateway
/** A third with a short call deadline: a Twilio Retry-After longer than it is not waited for. */
let hurried: TestGateway
/** Attempts the gateway makes of a read before giving up (its retry policy's default). */
const READ_ATTEMPTS = 4
const impatientAnswers: Answer[] = []
const hurriedAnswers: Answer[] = []
const wrongCredentials = connectionAt('wrong-credentials')

beforeAll(async () => {
  world = await startWorld({ sandbox: { seed: { calls: 10, messages: 10 } } })
  const { gateway, sandbox } = world
  gateway.connections.put(connection(wrongCredentials.name, sandbox.accountSid,
    gateway.secrets.addVersion('projects/p/secrets/wrong', '0'.repeat(32)), { sandbox: true }))
  impatient = await startGateway({ sandbox, config: { upstreamTimeoutMs: 250, retry: { baseDelayMs: 10 } } })
  hurried = await startGateway({ sandbox, config: { callLimits: { deadlineMs: 1_500 } } })
})
afterAll(async () => {
  await impatient.close()
  await hurried.close()
  await world.close()
})

const SMS = { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'upstream error test' }
const messageCount = (): number => world.sandbox.control.store.account(world.sandbox.accountSid)!.messages.size
const inject = (...faults: FaultSpec[]): void => {
  world.sandbox.control.faults.clear()
  world.sandbox.control.faults.add(faults.map((fault) => ({ count: 1, when: 'before', ...fault }) as Fault))
}

describe('Twilio error answers', () => {
  it('20404 → 404 NOT_FOUND, with Twilio\'s code, message and more_info in an ErrorInfo', async () => {
    const answer = await world.call('GET', entityPath('Messages', 'SM00000000000000000000000000000000'))
    const error = expectRpcError(answer, 404, 'NOT_FOUND')
    expect(error.message).toMatch(/Messages SM0{32} not found/)
    const info = twilioErrorInfo(answer)
    expect(info).toMatchObject({ reason: 'TWILIO_ERROR', domain: 'api.twilio.com' })
    expect(info.metadata).toMatchObject({ code: '20404', status: '404', more_info: 'https://www.twilio.com/docs/errors/20404' })
  })

  it.each([
    ['Messages', '21211', { ...SMS, To: '+15005550001' }],
    ['Messages', '21614', { ...SMS, To: '+15005550009' }],
    ['Messages', '21606', { ...SMS, Sender: '+14155550000' }],
    ['Calls', '21217', { To: '+15005550001', Sender: OWNED_NUMBER, Url: 'https://demo.twilio.com/docs/voice.xml' }]
  ])('a %s validation error (Twilio %s) → 400 INVALID_ARGUMENT', async (entity, code, fields) => {
    const answer = await world.call('POST', entityPath(entity), { fields })
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(twilioErrorInfo(answer).metadata).toMatchObject({ code, status: '400' })
  })

  it('20009 (deleting a call that is not finished) → 400 FAILED_PRECONDITION, and the call stays', async () => {
    const call = expectEntity(await world.call('POST', entityPath('Calls'), {
      fields: { To: '+14155550100', Sender: OWNED_NUMBER, Url: 'https://demo.twilio.com/docs/voice.xml' }
    }), 'Calls')
    expect(call.Status).toBe('queued')
    const answer = await world.call('DELETE', entityPath('Calls', call.Sid as string))
    expect(expectRpcError(answer, 400, 'FAILED_PRECONDITION').message).toMatch(/cannot be deleted yet/)
    expect(twilioErrorInfo(answer).metadata).toMatchObject({ code: '20009', status: '400' })
    expect((await world.call('GET', entityPath('Calls', call.Sid as string))).status).toBe(200)
  })

  it('401 (Twilio refuses the credentials) → 400 FAILED_PRECONDITION', async () => {
    for (const url of [entityPath('Messages', GOOGLE.message, wrongCredentials.path), entityPath('Calls', undefined, wrongCredentials.path)]) {
      const answer = await world.call('GET', url)
      expect(expectRpcError(answer, 400, 'FAILED_PRECONDITION').message).toMatch(/refused the credentials/)
      expect(twilioErrorInfo(answer).metadata).toMatchObject({ code: '20003', status: '401' })
    }
  })

  it('403 (Twilio forbids the account this) → 400 FAILED_PRECONDITION, after reading the secrets again once', async () => {
    world.clearUpstream()
    inject({ kind: 'status', status: 403, count: 2, method: 'GET' })
    const answer = await world.call('GET', entityPath('Messages', GOOGLE.message))
    expectRpcError(answer, 400, 'FAILED_PRECONDITION')
    expect(twilioErrorInfo(answer).metadata).toMatchObject({ code: '20403', status: '403' })
    expect(world.upstream().map((request) => request.status)).toEqual([403, 403])
    // Once Twilio answers again, so does the connection.
    expect((await world.call('GET', entityPath('Messages', GOOGLE.message))).status).toBe(200)
  })
})

describe('rate limiting', () => {
  it.each([
    ['a read', 'GET', entityPath('Messages', GOOGLE.message), undefined],
    ['a list', 'GET', entityPath('Calls'), undefined],
    ['a create refused before processing', 'POST', entityPath('Messages'), { fields: SMS }]
  ])('Twilio 429 on %s, with a Retry-After beyond the call\'s deadline → 429 RESOURCE_EXHAUSTED with Twilio\'s Retry-After and RetryInfo', async (_case, method, url, body) => {
    inject({ kind: 'status', status: 429, retryAfter: 2 })
    const answer = await hurried.call(method as 'GET' | 'POST', url, body)
    hurriedAnswers.push(answer)
    expectRpcError(answer, 429, 'RESOURCE_EXHAUSTED')
    expect(answer.headers['retry-after']).toBe('2')
    const retryInfo = answer.body.error.details.find((item: { '@type': string }) => item['@type'] === 'type.googleapis.com/google.rpc.RetryInfo')
    expect(retryInfo).toEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' })
    expect(twilioErrorInfo(answer).metadata).toMatchObject({ code: '20429', status: '429' })
  })
})

describe('server errors and network failures on reads, through every retry', () => {
  it.each([
    ['500 on a get', { kind: 'status', status: 500 }, entityPath('Messages', GOOGLE.message), '20500'],
    ['503 on a get', { kind: 'status', status: 503 }, entityPath('Recordings', GOOGLE.recording), '20503'],
    ['500 on a list', { kind: 'status', status: 500 }, entityPath('Calls'), '20500'],
    ['503 on a Sid-condition list', { kind: 'status', status: 503 }, `${entityPath('Messages')}?conditions=${encodeURIComponent(`Sid = '${GOOGLE.message}'`)}`, '20503']
  ] as Array<[string, FaultSpec, string, string]>)('Twilio %s → 503 UNAVAILABLE', async (_case, fault, url, code) => {
    inject({ ...fault, count: READ_ATTEMPTS })
    const answer = await world.call('GET', url)
    expect(world.sandbox.control.faults.list()).toEqual([])
    expectRpcError(answer, 503, 'UNAVAILABLE')
    expect(twilioErrorInfo(answer).metadata.code).toBe(code)
  })

  it('a connection reset on a read → 503 UNAVAILABLE', async () => {
    for (const url of [entityPath('Messages', GOOGLE.message), entityPath('OutgoingCallerIds')]) {
      inject({ kind: 'reset', count: READ_ATTEMPTS })
      expect(expectRpcError(await world.call('GET', url), 503, 'UNAVAILABLE').message).toMatch(/could not be reached/)
      expect(world.sandbox.control.faults.list()).toEqual([])
    }
  })

  it('a read that never answers → 503 UNAVAILABLE once the upstream timeout passes', async () => {
    inject({ kind: 'hang', count: READ_ATTEMPTS })
    const answer = await impatient.call('GET', entityPath('Messages', GOOGLE.message))
    impatientAnswers.push(answer)
    expectRpcError(answer, 503, 'UNAVAILABLE')
  })

  it('the read works again once the fault is spent', async () => {
    expectEntity(await world.call('GET', entityPath('Messages', GOOGLE.message)), 'Messages', GOOGLE.message)
  })
})

describe('creates whose outcome is unknown', () => {
  const expectOutcomeUnknown = (answer: Answer): void => {
    expect(answer.status).not.toBe(503)
    expectRpcError(answer, 504, 'DEADLINE_EXCEEDED')
    const unknown = answer.body.error.details.find((item: { '@type': string, reason?: string }) =>
      item['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo' && item.reason === 'UPSTREAM_OUTCOME_UNKNOWN')
    expect(unknown).toBeDefined()
    expect(answer.body.error.message).toMatch(/may or may not have happened/)
  }

  it.each([
    ['500 after Twilio processed it', { kind: 'status', status: 500, when: 'after' }, 1],
    ['503 after Twilio processed it', { kind: 'status', status: 503, when: 'after' }, 1],
    ['500 before Twilio processed it', { kind: 'status', status: 500, when: 'before' }, 0],
    ['a connection reset after Twilio processed it', { kind: 'reset', when: 'after' }, 1],
    ['a connection reset before Twilio processed it', { kind: 'reset', when: 'before' }, 0]
  ] as Array<[string, FaultSpec, number]>)('Twilio %s → 504 DEADLINE_EXCEEDED, UPSTREAM_OUTCOME_UNKNOWN', async (_case, fault, created) => {
    const before = messageCount()
    inject({ ...fault, method: 'POST' })
    const answer = await world.call('POST', entityPath('Messages'), { fields: SMS })
    expectOutcomeUnknown(answer)
    if (fault.kind === 'status') expect(twilioErrorInfo(answer).metadata.code).toMatch(/^205\d\d$/)
    expect(messageCount()).toBe(before + created)
  })

  it('a create that never answers → 504 DEADLINE_EXCEEDED, UPSTREAM_OUTCOME_UNKNOWN', async () => {
    inject({ kind: 'hang', method: 'POST' })
    const answer = await impatient.call('POST', entityPath('Messages'), { fields: SMS })
    impatientAnswers.push(answer)
    expectOutcomeUnknown(answer)
  })

  it('a FeedbackSummary create (the SDK\'s generic request) fails the same way', async () => {
    inject({ kind: 'status', status: 500, when: 'after', method: 'POST' })
    expectOutcomeUnknown(await world.call('POST', entityPath('FeedbackSummary'), { fields: { StartDate: '2014-06-01', EndDate: '2014-06-04' } }))
  })
})

describe('every answer of this file', () => {
  it('is google.rpc.Status-shaped when it is an error, and never a 500', () => {
    const answers = [...world.answers, ...impatientAnswers, ...hurriedAnswers]
    expect(answers.length).toBeGreaterThan(25)
    for (const answer of answers) {
      expect(answer.status).not.toBe(500)
      if (answer.status >= 400) expect(answer.body.error.code).toBe(answer.status)
    }
  })
})
