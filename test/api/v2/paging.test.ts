/**
 * Entity list paging: walking a multi-page list to its end, page sizes as sent upstream, page tokens bound to
 * their connection, entity type and conditions, and the Sid condition on every listable entity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SANDBOX_PATH } from '../../helpers/gateway.js'
import {
  GOOGLE, accountPath, connection, connectionAt, entityName, entityPath, expectEntityList, expectRpcError,
  violatedFields, startWorld, withoutUpstream, type EntityName, type World
} from './support.js'

const MESSAGES = 30
const CALLS = 12

let world: World
beforeAll(async () => { world = await startWorld({ sandbox: { seed: { calls: CALLS, messages: MESSAGES } } }) })
afterAll(async () => { await world.close() })

const list = (entity: string, query: Record<string, string | number> = {}, connectionPath = SANDBOX_PATH): string => {
  const search = new URLSearchParams(Object.entries(query).map(([key, value]): [string, string] => [key, String(value)])).toString()
  return entityPath(entity, undefined, connectionPath) + (search ? `?${search}` : '')
}

/** The sandbox's own count of the main account's messages. */
const sandboxMessageSids = (): string[] =>
  world.sandbox.control.store.account(world.sandbox.accountSid)!.messages.values().map((message) => message.sid)

async function firstToken (): Promise<string> {
  const answer = await world.call('GET', list('Messages', { pageSize: 7 }))
  expect(answer.status).toBe(200)
  const token = answer.body.nextPageToken as string
  expect(token).not.toBe('')
  return token
}

describe('walking a list to its end', () => {
  it('answers every message exactly once over pages of 7; the last page\'s nextPageToken is ""', async () => {
    const seen: string[] = []
    const sizes: number[] = []
    let token = ''
    world.clearUpstream()
    for (let page = 0; page < 20; page++) {
      const answer = await world.call('GET', list('Messages', { pageSize: 7, ...(token ? { pageToken: token } : {}) }))
      const rows = expectEntityList(answer, 'Messages')
      sizes.push(rows.length)
      seen.push(...rows.map((row) => row.Sid as string))
      token = answer.body.nextPageToken
      if (token === '') break
      expect(token).toMatch(/^[A-Za-z0-9_.-]+$/)
    }
    expect(token).toBe('')
    expect(sizes).toEqual([7, 7, 7, 7, 2])
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen).toHaveLength(MESSAGES)
    expect([...seen].sort()).toEqual([...sandboxMessageSids()].sort())
    // One upstream request per page, each asking Twilio for 7.
    const requests = world.upstream()
    expect(requests).toHaveLength(sizes.length)
    for (const request of requests) {
      expect(accountPath(request, world.sandbox.accountSid)).toBe('Messages.json')
      expect(request.query.PageSize).toBe('7')
    }
  })

  it('lets each page ask for its own size', async () => {
    const token = await firstToken()
    world.clearUpstream()
    const answer = await world.call('GET', list('Messages', { pageSize: 3, pageToken: token }))
    expect(expectEntityList(answer, 'Messages')).toHaveLength(3)
    expect(world.upstream()[0]?.query.PageSize).toBe('3')
  })

  it('answers a single page with an empty nextPageToken when everything fits', async () => {
    const answer = await world.call('GET', list('Calls', { pageSize: 200 }))
    const rows = expectEntityList(answer, 'Calls')
    expect(rows).toHaveLength(CALLS)
    expect(answer.body.nextPageToken).toBe('')
  })
})

describe('page sizes', () => {
  it.each([
    ['absent', {}, '25'],
    ['0', { pageSize: 0 }, '25'],
    ['above 200', { pageSize: 500 }, '200'],
    ['200', { pageSize: 200 }, '200'],
    ['1', { pageSize: 1 }, '1']
  ])('%s asks Twilio for PageSize %s', async (_case, query, sent) => {
    world.clearUpstream()
    const answer = await world.call('GET', list('Messages', query))
    const rows = expectEntityList(answer, 'Messages')
    expect(rows).toHaveLength(Math.min(Number(sent), MESSAGES))
    const [request, ...rest] = world.upstream()
    expect(rest).toEqual([])
    expect(request?.query.PageSize).toBe(sent)
  })

  it.each([['-1'], ['2.5'], ['many']])('refuses pageSize=%s with 400 INVALID_ARGUMENT naming pageSize', async (pageSize) => {
    const answer = await withoutUpstream(world, () => world.call('GET', `${list('Messages')}?pageSize=${pageSize}`))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['pageSize'])
  })
})

describe('page tokens', () => {
  const refused = async (url: string): Promise<void> => {
    const answer = await withoutUpstream(world, () => world.call('GET', url))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['pageToken'])
  }

  it('refuses a token that is not one the gateway issued, or was tampered with', async () => {
    const token = await firstToken()
    const [body = '', mac = ''] = token.split('.')
    const forged = Buffer.from(JSON.stringify({ v: 1, u: `/2010-04-01/Accounts/${world.sandbox.accountSid}/Calls.json?PageSize=7` })).toString('base64url')
    const flipped = (text: string): string => text.slice(0, -2) + (text.at(-2) === 'A' ? 'B' : 'A') + text.slice(-1)
    for (const bad of ['garbage', `${forged}.${mac}`, `${flipped(body)}.${mac}`, `${body}.${flipped(mac)}`, `${token}.x`, body]) {
      await refused(list('Messages', { pageSize: 7, pageToken: bad }))
    }
  })

  it('refuses a token used with another entity type', async () => {
    await refused(list('Calls', { pageSize: 7, pageToken: await firstToken() }))
  })

  it('refuses a token used with other conditions', async () => {
    const token = await firstToken()
    await refused(list('Messages', { pageSize: 7, pageToken: token, conditions: `Sid = '${GOOGLE.message}'` }))
  })

  it('refuses a token used with another connection to the same account', async () => {
    const other = connectionAt('paging-twin')
    const secret = world.gateway.secrets.addVersion('projects/p/secrets/twin', world.sandbox.authToken)
    world.gateway.connections.put(connection(other.name, world.sandbox.accountSid, secret, { sandbox: true }))
    const token = await firstToken()
    // The same request without the foreign token works through that connection.
    expect(expectEntityList(await world.call('GET', list('Messages', { pageSize: 7 }, other.path)), 'Messages', other.name)).toHaveLength(7)
    await refused(list('Messages', { pageSize: 7, pageToken: token }, other.path))
  })
})

describe('the Sid condition', () => {
  const cases: Array<[EntityName, string]> = [
    ['Calls', GOOGLE.deletableCall],
    ['Messages', GOOGLE.message],
    ['Recordings', GOOGLE.recording],
    ['IncomingPhoneNumbers', GOOGLE.incomingPhoneNumber],
    ['OutgoingCallerIds', GOOGLE.outgoingCallerId]
  ]

  it.each(cases)('selects exactly one %s row, fetched by its SID', async (entity, sid) => {
    world.clearUpstream()
    const answer = await world.call('GET', list(entity, { conditions: `Sid = '${sid}'` }))
    const rows = expectEntityList(answer, entity)
    expect(rows.map((row) => row.Sid)).toEqual([sid])
    expect(answer.body.entities[0].name).toBe(entityName(entity, sid))
    expect(answer.body.nextPageToken).toBe('')
    const [request, ...rest] = world.upstream()
    expect(rest).toEqual([])
    expect(accountPath(request!, world.sandbox.accountSid)).toBe(`${entity}/${sid}.json`)
  })

  it('selects exactly one Feedback row once the call has feedback', async () => {
    const call = GOOGLE.callWithoutFeedback
    expect((await world.call('POST', entityPath('Feedback'), { fields: { Sid: call, QualityScore: 4 } })).status).toBe(200)
    const rows = expectEntityList(await world.call('GET', list('Feedback', { conditions: `Sid = "${call}"` })), 'Feedback')
    expect(rows.map((row) => [row.Sid, row.QualityScore])).toEqual([[call, 4]])
  })

  it.each(cases)('answers an empty %s list for a well-formed SID the account does not have', async (entity, sid) => {
    const unknown = sid.slice(0, 2) + '0'.repeat(32)
    const answer = await world.call('GET', list(entity, { conditions: `Sid = '${unknown}'` }))
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ entities: [], nextPageToken: '' })
  })

  it('still answers 404 for a connection that does not exist (only a row Twilio lacks makes an empty list)', async () => {
    const answer = await world.call('GET', entityPath('Messages', undefined, '/v2/projects/p/locations/l/connections/nowhere') +
      `?conditions=${encodeURIComponent(`Sid = '${GOOGLE.message}'`)}`)
    expect(expectRpcError(answer, 404, 'NOT_FOUND').message).toContain('connections/nowhere not found')
  })
})
