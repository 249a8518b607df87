/** The conformance checks can fail: tampered answers are rejected by the schema and by the example comparison. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GOOGLE_EXAMPLE_SIDS } from '../../src/sandbox/app.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { TwilioHttp } from './support/http.js'
import { conformanceProblems, createAjv, exampleDifferences, isRfc2822, SPECS, toJsonSchema, validatorFor, type Operation } from './support/spec.js'

const FETCH_CALL: Operation = { spec: 'current', path: '/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json', method: 'get', status: 200 }
const LIST_MESSAGES: Operation = { spec: 'current', path: '/2010-04-01/Accounts/{AccountSid}/Messages.json', method: 'get', status: 200 }
const FETCH_NUMBER: Operation = { spec: 'current', path: '/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json', method: 'get', status: 200 }
const SUMMARY: Operation = { spec: 'legacy', path: '/2010-04-01/Accounts/{AccountSid}/Calls/FeedbackSummary/{Sid}.json', method: 'get', status: 200 }

let sandbox: TestSandbox
let call: Record<string, any>
let messages: Record<string, any>
let number: Record<string, any>

beforeAll(async () => {
  sandbox = await startSandbox({ seed: { calls: 10, messages: 10 } })
  const http = new TwilioHttp(sandbox)
  call = (await http.get(`Calls/${GOOGLE_EXAMPLE_SIDS.deletableCall}.json`)).body
  messages = (await http.get('Messages.json', { PageSize: 2 })).body
  number = (await http.get(`IncomingPhoneNumbers/${GOOGLE_EXAMPLE_SIDS.incomingPhoneNumber}.json`)).body
})
afterAll(async () => { await sandbox.close() })

const clone = <T>(value: T): T => structuredClone(value)

describe('the strict schema', () => {
  it('accepts the untouched answers', () => {
    expect(conformanceProblems(FETCH_CALL, call)).toEqual([])
    expect(conformanceProblems(LIST_MESSAGES, messages)).toEqual([])
    expect(conformanceProblems(FETCH_NUMBER, number)).toEqual([])
  })

  it.each([
    ['an ISO 8601 date', (c: any) => { c.date_created = new Date().toISOString() }, /date_created must match format "date-time-rfc-2822"/],
    ['an RFC 2822 date with the wrong weekday', (c: any) => { c.date_created = 'Fri, 16 Jun 2025 12:00:00 +0000' }, /date_created must match format/],
    ['a missing key', (c: any) => { delete c.queue_time }, /must have required property 'queue_time'/],
    ['an extra key', (c: any) => { c.annotation = null }, /must NOT have additional properties/],
    ['a numeric duration', (c: any) => { c.duration = 42 }, /duration must be string,null/],
    ['an unknown status', (c: any) => { c.status = 'done' }, /status must be equal to one of the allowed values/],
    ['a malformed SID', (c: any) => { c.sid = 'CA123' }, /sid must NOT have fewer than 34 characters/],
    ['a currency that is not a 3-letter code', (c: any) => { c.price_unit = 'US$' }, /price_unit must match format "currency"/],
    ['a subresource URI that is not a URI', (c: any) => { c.subresource_uris.recordings = 'not a uri' }, /subresource_uris\/recordings must match format "uri"/]
  ])('rejects a call with %s', (_name, tamper, message) => {
    const tampered = clone(call)
    tamper(tampered)
    expect(conformanceProblems(FETCH_CALL, tampered).join('\n')).toMatch(message)
  })

  it('rejects a list envelope without paging keys or with a bad record', () => {
    const withoutEnd = clone(messages)
    delete withoutEnd.end
    expect(conformanceProblems(LIST_MESSAGES, withoutEnd).join('\n')).toMatch(/required property 'end'/)
    const badRecord = clone(messages)
    badRecord.messages[0].num_segments = 1
    expect(conformanceProblems(LIST_MESSAGES, badRecord).join('\n')).toMatch(/messages\/0\/num_segments must be string/)
  })

  it('checks nested objects and custom formats (capabilities, phone numbers, HTTP methods)', () => {
    const tampered = clone(number)
    tampered.capabilities.SMS = true
    tampered.phone_number = '415-555-0142'
    tampered.voice_method = 'FETCH'
    const problems = conformanceProblems(FETCH_NUMBER, tampered).join('\n')
    expect(problems).toMatch(/capabilities must NOT have additional properties/)
    expect(problems).toMatch(/phone_number must match format "phone-number"/)
    expect(problems).toMatch(/voice_method must match format "http-method"/)
  })

  it('applies the legacy spec to FeedbackSummary (nullable enum, dates)', () => {
    const validate = validatorFor(SUMMARY)
    const summary = {
      account_sid: sandbox.accountSid, call_count: null, call_feedback_count: null, date_created: 'Tue, 31 Aug 2010 20:36:28 +0000',
      date_updated: 'Tue, 31 Aug 2010 20:36:28 +0000', end_date: '2014-06-04', include_subaccounts: false, issues: null,
      quality_score_average: null, quality_score_median: null, quality_score_standard_deviation: null,
      sid: `FS${'a'.repeat(32)}`, start_date: '2014-06-01', status: 'queued'
    }
    expect(validate(summary)).toBe(true)
    expect(validate({ ...summary, status: 'pending' })).toBe(false)
    expect(validate({ ...summary, start_date: '2014-06-31' })).toBe(false)
    expect(validate({ ...summary, status: null })).toBe(true)
  })

  it('converts nullable $ref siblings and uri-maps', () => {
    const schema = toJsonSchema({ $ref: '#/components/schemas/api.v2010.account.call.call_feedback_summary' }, SPECS.legacy)
    expect(schema.properties.status).toMatchObject({ type: ['string', 'null'], enum: expect.arrayContaining(['queued', null]) })
    const call = toJsonSchema({ $ref: '#/components/schemas/api.v2010.account.call' }, SPECS.current)
    expect(call.properties.subresource_uris).toMatchObject({ type: ['object', 'null'], additionalProperties: { type: 'string', format: 'uri' } })
    expect(() => createAjv().compile({ type: 'string', format: 'no-such-format' })).toThrow(/unknown format/)
  })
})

describe('the comparison with Twilio\'s examples', () => {
  const example = SPECS.current.paths['/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json']?.get?.responses?.['200']?.content?.['application/json']?.examples?.fetch?.value

  it('flags dates, URIs, kinds and key sets that differ from the example', () => {
    expect(exampleDifferences(call, example, 'api.v2010.account.call')).toEqual([])
    const tampered = clone(call)
    tampered.date_updated = '2025-06-16T12:00:00Z'
    tampered.uri = `https://api.twilio.com${String(call.uri)}`
    tampered.queue_time = 0
    delete tampered.subresource_uris.events
    const problems = exampleDifferences(tampered, example, 'api.v2010.account.call').join('\n')
    expect(problems).toMatch(/date_updated: '2025-06-16T12:00:00Z' is not an RFC 2822 date/)
    expect(problems).toMatch(/\$\.uri: .* is not a URI relative to the API root/)
    expect(problems).toMatch(/queue_time: number where Twilio's example has string/)
    expect(problems).toMatch(/subresource_uris: keys .* instead of .*events/)
  })

  it('recognises real RFC 2822 dates only', () => {
    expect(isRfc2822('Tue, 31 Aug 2010 20:36:28 +0000')).toBe(true)
    expect(isRfc2822('Mon, 14 Feb 2022 22:23:00 +0100')).toBe(true)
    expect(isRfc2822('Wed, 31 Aug 2010 20:36:28 +0000')).toBe(false)
    expect(isRfc2822('Tue, 31 Feb 2010 20:36:28 +0000')).toBe(false)
    expect(isRfc2822('Tue, 31 Aug 2010 20:36:28 GMT')).toBe(false)
  })
})
