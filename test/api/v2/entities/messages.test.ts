/** Messages end to end: list, get, create (Google's WhatsApp payload), update (redaction), delete, aliases, validation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  entityPath, expectDeleted, expectEntity, expectEntityList, expectIdsRefused, expectRpcError, expectUpstream, GOOGLE, iso, OWNED_NUMBER, startWorld, violatedFields, WHATSAPP_SENDER, withoutUpstream, type World
} from '../support.js'

let world: World
beforeAll(async () => { world = await startWorld() })
afterAll(async () => { await world.close() })

const path = (id?: string): string => entityPath('Messages', id)
const GOOGLE_CREATE = { To: 'whatsapp:+15005550006', Sender: 'whatsapp:+14155238886', Body: 'Message is sent from Google Cloud' }

describe('Messages LIST and GET', () => {
  it('lists typed rows, newest first, each with its entity name and every field of the schema', async () => {
    const rows = expectEntityList(await world.call('GET', path()), 'Messages')
    expect(rows).toHaveLength(25)
    const created = rows.map((row) => row.DateCreated as string)
    expect([...created].sort().reverse()).toEqual(created)
    for (const row of rows) {
      expect(row.Sid).toMatch(/^(SM|MM)[0-9a-f]{32}$/)
      expect(typeof row.NumSegments).toBe('number')
      expect(typeof row.NumMedia).toBe('number')
    }
  })

  it('gets the message of Google\'s page with typed values', async () => {
    const fields = expectEntity(await world.call('GET', path(GOOGLE.message)), 'Messages', GOOGLE.message)
    expect(fields).toMatchObject({
      Status: 'delivered',
      Direction: 'outbound-api',
      Sender: OWNED_NUMBER,
      To: '+14155550123',
      NumSegments: 1,
      NumMedia: 0,
      Price: -0.0079,
      PriceUnit: 'USD',
      ErrorCode: null,
      ErrorMessage: null,
      MessagingServiceSid: null,
      ApiVersion: '2010-04-01'
    })
    expect(fields.Body).toMatch(/^Your appointment is confirmed/)
    expect(fields.SubresourceUris).toEqual({
      media: expect.stringMatching(/\/Messages\/SM3ad97d41e786c02bca47c8ce1745053b\/Media\.json$/),
      feedback: expect.stringMatching(/\/Messages\/SM3ad97d41e786c02bca47c8ce1745053b\/Feedback\.json$/)
    })
  })

  it('answers 404 NOT_FOUND for a well-formed SID the account does not have', async () => {
    expectRpcError(await world.call('GET', path('SM00000000000000000000000000000000')), 404, 'NOT_FOUND')
  })
})

describe('Messages CREATE', () => {
  let created: Record<string, unknown>

  it('sends Google\'s WhatsApp payload as written, Sender travelling as Twilio\'s From', async () => {
    world.clearUpstream()
    const now = world.clock.now()
    created = expectEntity(await world.call('POST', path(), { fields: GOOGLE_CREATE }), 'Messages')
    expect(created).toMatchObject({
      Sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      To: 'whatsapp:+15005550006',
      Sender: WHATSAPP_SENDER,
      Body: 'Message is sent from Google Cloud',
      Status: 'queued',
      Direction: 'outbound-api',
      NumSegments: 1,
      DateCreated: iso(now),
      DateSent: null,
      Price: null
    })
    expectUpstream(world, [['POST', 'Messages.json', { To: 'whatsapp:+15005550006', From: WHATSAPP_SENDER, Body: 'Message is sent from Google Cloud' }]])
  })

  it('shows the message moving on at Twilio: delivered, with a typed send date and price', async () => {
    world.clock.advance(3000)
    const fields = expectEntity(await world.call('GET', path(created.Sid as string)), 'Messages', created.Sid as string)
    expect(fields).toMatchObject({ Status: 'delivered', Price: -0.005, PriceUnit: 'USD', Sender: WHATSAPP_SENDER })
    expect(fields.DateSent).toBe(iso(world.clock.now() - 2000))
  })

  it('accepts Twilio\'s own name From for Sender', async () => {
    world.clearUpstream()
    const fields = expectEntity(await world.call('POST', path(), { fields: { To: '+14155550100', From: OWNED_NUMBER, Body: 'alias' } }), 'Messages')
    expect(fields.Sender).toBe(OWNED_NUMBER)
    expect(world.upstream()[0]?.body).toEqual({ To: '+14155550100', From: OWNED_NUMBER, Body: 'alias' })
  })

  it('accepts From and Sender together when they agree, sending one From', async () => {
    world.clearUpstream()
    const answer = await world.call('POST', path(), { fields: { To: '+14155550100', From: OWNED_NUMBER, Sender: OWNED_NUMBER, Body: 'both' } })
    expect(expectEntity(answer, 'Messages').Sender).toBe(OWNED_NUMBER)
    expect(world.upstream()[0]?.body).toEqual({ To: '+14155550100', From: OWNED_NUMBER, Body: 'both' })
  })

  it('refuses From and Sender with different values, naming both, before calling Twilio', async () => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), {
      fields: { To: '+14155550100', From: OWNED_NUMBER, Sender: '+14155550142', Body: 'conflict' }
    }))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['fields.From'])
    expect(error.message).toContain('fields.From')
    expect(error.message).toContain('fields.Sender')
  })
})

describe('Messages UPDATE', () => {
  it('redacts the body with Google\'s payload {"Body":""}', async () => {
    world.clearUpstream()
    const fields = expectEntity(await world.call('PATCH', path(GOOGLE.message), { fields: { Body: '' } }), 'Messages', GOOGLE.message)
    expect(fields.Body).toBe('')
    expect(fields.Status).toBe('delivered')
    expectUpstream(world, [['POST', `Messages/${GOOGLE.message}.json`, { Body: '' }]])
    expect(expectEntity(await world.call('GET', path(GOOGLE.message)), 'Messages').Body).toBe('')
  })

  it('refuses an update without fields', async () => {
    const answer = await withoutUpstream(world, () => world.call('PATCH', path(GOOGLE.message), { fields: {} }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['fields'])
  })

  it('refuses a field that can only be set on create, and a wrong type, naming each', async () => {
    const answer = await withoutUpstream(world, () => world.call('PATCH', path(GOOGLE.message), { fields: { To: '+14155550100', Body: 5 } }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer).sort()).toEqual(['fields.Body', 'fields.To'])
  })
})

describe('Messages DELETE', () => {
  it('deletes a delivered message, answering {}, after which it is gone at Twilio', async () => {
    const sid = (expectEntity(await world.call('POST', path(), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'bye' } }), 'Messages')).Sid as string
    world.clock.advance(3000)
    await expectDeleted(world, path(sid), `Messages/${sid}.json`)
    expectRpcError(await world.call('GET', path(sid)), 404, 'NOT_FOUND')
  })
})

describe('Messages validation', () => {
  const valid = { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'hello' }

  it.each([
    ['a wrong type', { ...valid, To: 5 }, ['fields.To']],
    ['an unknown field', { ...valid, Colour: 'red' }, ['fields.Colour']],
    ['a read-only field', { ...valid, DateCreated: '2024-01-01T00:00:00Z' }, ['fields.DateCreated']],
    ['a missing required field', { Sender: OWNED_NUMBER, Body: 'hello' }, ['fields.To']],
    ['a value outside the enum', { ...valid, ContentRetention: 'forever' }, ['fields.ContentRetention']],
    ['several problems at once', { ...valid, To: 5, NumSegments: 2, Colour: 'red' }, ['fields.Colour', 'fields.NumSegments', 'fields.To']]
  ])('answers %s with 400 INVALID_ARGUMENT naming each bad field, before calling Twilio', async (_case, fields, expected) => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), { fields }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer).sort()).toEqual(expected)
  })

  it('explains why a field is refused', async () => {
    const answer = await world.call('POST', path(), { fields: { ...valid, DateCreated: '2024-01-01T00:00:00Z', Colour: 'red' } })
    const detail = answer.body.error.details.find((item: { '@type': string }) => item['@type'].endsWith('BadRequest'))
    expect(detail.fieldViolations).toEqual(expect.arrayContaining([
      { field: 'fields.DateCreated', description: expect.stringContaining('read-only') },
      { field: 'fields.Colour', description: expect.stringContaining('not a field') }
    ]))
  })

  it('refuses a message without Sender or MessagingServiceSid, naming the one-of group', async () => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), { fields: { To: '+14155550100', Body: 'hello' } }))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['fields'])
    expect(error.message).toContain('Sender')
    expect(error.message).toContain('MessagingServiceSid')
  })

  it('names a missing one-of group together with the other bad fields of the same payload', async () => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), { fields: { To: 5, Body: 'hello' } }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer).sort()).toEqual(['fields', 'fields.To'])
  })

  it('refuses a message without Body, MediaUrl or ContentSid', async () => {
    const answer = await withoutUpstream(world, () => world.call('POST', path(), { fields: { To: '+14155550100', Sender: OWNED_NUMBER } }))
    const error = expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(error.message).toMatch(/Body, MediaUrl, ContentSid/)
  })

  it('refuses ids that are not Message SIDs before calling Twilio', async () => {
    await expectIdsRefused(world, 'Messages', [
      'SM123', GOOGLE.incomingPhoneNumber, 'CAaa4a99c300bd9d1bcc0d1ae9dcd248c6', 'SM%2F..%2Fx', `${GOOGLE.message}x`
    ], ['GET', 'UPDATE', 'DELETE'], { Body: '' })
  })
})
