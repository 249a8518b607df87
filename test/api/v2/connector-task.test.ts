/**
 * `:executeConnectorTask`: the Connectors task's inputs and outputs. The examples of Google's Twilio connector page
 * (List and Get Recordings, Delete a Call, Create Feedback and FeedbackSummary, Create and Update a Message — by
 * entityId and by filterClause — Update IncomingPhoneNumbers and OutgoingCallerIds) run as written, against the
 * sandbox that holds the page's records; every task operation is covered (actions included), and bad inputs answer
 * 400 naming them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SANDBOX_PATH } from '../../helpers/gateway.js'
import { GOOGLE, entityPath, expectEntity, expectEntityList, expectRpcError, startWorld, violatedFields, withoutUpstream, type World } from './support.js'

let world: World
beforeAll(async () => { world = await startWorld({ sandbox: { seed: { calls: 20, messages: 30 } } }) })
afterAll(async () => { await world.close() })

const TASK = `${SANDBOX_PATH}:executeConnectorTask`
const task = async (input: Record<string, unknown>, headers?: Record<string, string>) => world.call('POST', TASK, input, headers)

async function output (input: Record<string, unknown>): Promise<Record<string, any>> {
  const answer = await task(input)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body
}

describe('the examples of Google\'s Twilio connector page', () => {
  it('List Recordings: connectorOutputPayload is an array of rows, paged by listEntitiesNextPageToken', async () => {
    const all = expectEntityList(await world.call('GET', `${entityPath('Recordings')}?pageSize=200`), 'Recordings')
    expect(all.length).toBeGreaterThan(1)
    const seen: string[] = []
    let token = ''
    for (let page = 0; page < 50; page++) {
      const body = await output({ operation: 'LIST_ENTITIES', entityType: 'Recordings', listEntitiesPageSize: 1, ...(token ? { listEntitiesPageToken: token } : {}) })
      expect(Array.isArray(body.connectorOutputPayload)).toBe(true)
      expect(body.connectorOutputPayload.length).toBeLessThanOrEqual(1)
      seen.push(...body.connectorOutputPayload.map((row: Record<string, unknown>) => row.Sid))
      token = body.listEntitiesNextPageToken
      if (!token) break
    }
    expect(token).toBe('')
    expect(seen).toEqual(all.map((row) => row.Sid))
  })

  it('Get a Recording: an array holding the row', async () => {
    const body = await output({ operation: 'GET_ENTITY', entityType: 'Recordings', entityId: GOOGLE.recording })
    const row = expectEntity(await world.call('GET', entityPath('Recordings', GOOGLE.recording)), 'Recordings', GOOGLE.recording)
    expect(body).toEqual({ connectorOutputPayload: [row] })
  })

  it('Delete a Call: no output; the call is gone', async () => {
    expect(await output({ operation: 'DELETE_ENTITY', entityType: 'Calls', entityId: GOOGLE.deletableCall })).toEqual({})
    expectRpcError(await world.call('GET', entityPath('Calls', GOOGLE.deletableCall)), 404, 'NOT_FOUND')
  })

  it('Create Feedback: {"Sid": the call\'s Sid}', async () => {
    const body = await output({ operation: 'CREATE_ENTITY', entityType: 'Feedback', connectorInputPayload: { Sid: GOOGLE.callWithoutFeedback, QualityScore: 5 } })
    expect(body).toEqual({ connectorOutputPayload: { Sid: GOOGLE.callWithoutFeedback } })
    expect(expectEntity(await world.call('GET', entityPath('Feedback', GOOGLE.callWithoutFeedback)), 'Feedback').QualityScore).toBe(5)
  })

  it('Create FeedbackSummary: {"Sid": "FS…"}', async () => {
    const body = await output({ operation: 'CREATE_ENTITY', entityType: 'FeedbackSummary', connectorInputPayload: { StartDate: '2014-06-01', EndDate: '2014-06-04' } })
    expect(body.connectorOutputPayload).toEqual({ Sid: expect.stringMatching(/^FS[0-9a-f]{32}$/) })
    expect(expectEntity(await world.call('GET', entityPath('FeedbackSummary', body.connectorOutputPayload.Sid)), 'FeedbackSummary').StartDate).toBe('2014-06-01')
  })

  it('Create a Message with the page\'s WhatsApp payload: {"Sid": "SM…"}', async () => {
    const payload = { To: 'whatsapp:+15005550006', Sender: 'whatsapp:+14155238886', Body: 'Message is sent from Google Cloud' }
    const body = await output({ operation: 'CREATE_ENTITY', entityType: 'Messages', connectorInputPayload: payload })
    expect(body.connectorOutputPayload).toEqual({ Sid: expect.stringMatching(/^SM[0-9a-f]{32}$/) })
    expect(expectEntity(await world.call('GET', entityPath('Messages', body.connectorOutputPayload.Sid)), 'Messages').Body).toBe(payload.Body)
  })

  it('Update a Message by entityId: {} as the page shows; the body is redacted', async () => {
    const body = await output({ operation: 'UPDATE_ENTITY', entityType: 'Messages', entityId: GOOGLE.message, connectorInputPayload: { Body: '' } })
    expect(body).toEqual({ connectorOutputPayload: {} })
    expect(expectEntity(await world.call('GET', entityPath('Messages', GOOGLE.message)), 'Messages').Body).toBe('')
  })

  it('Update a Message by filterClause, written as the page writes it (a bare Sid)', async () => {
    const other = expectEntityList(await world.call('GET', `${entityPath('Messages')}?pageSize=200&conditions=${encodeURIComponent("Status = 'delivered' AND Body != ''")}`), 'Messages')[0]!
    const sid = other.Sid as string
    const body = await output({ operation: 'UPDATE_ENTITY', entityType: 'Messages', filterClause: sid, connectorInputPayload: { Body: '' } })
    expect(body).toEqual({ connectorOutputPayload: {} })
    expect(expectEntity(await world.call('GET', entityPath('Messages', sid)), 'Messages').Body).toBe('')
  })

  it('Update IncomingPhoneNumbers and OutgoingCallerIds: {"Sid": …}; the name changed', async () => {
    for (const [entity, sid] of [['IncomingPhoneNumbers', GOOGLE.incomingPhoneNumber], ['OutgoingCallerIds', GOOGLE.outgoingCallerId]] as const) {
      const body = await output({ operation: 'UPDATE_ENTITY', entityType: entity, entityId: sid, connectorInputPayload: { Name: 'Renamed by a task' } })
      expect(body).toEqual({ connectorOutputPayload: { Sid: sid } })
      expect(expectEntity(await world.call('GET', entityPath(entity, sid)), entity).Name).toBe('Renamed by a task')
    }
  })
})

describe('the other operations and shapes', () => {
  it('CREATE_ENTITY of OutgoingCallerIds answers the validation request, with its code', async () => {
    const body = await output({ operation: 'CREATE_ENTITY', entityType: 'OutgoingCallerIds', connectorInputPayload: { PhoneNumber: '+14158675310', Name: 'Home' } })
    expect(body.connectorOutputPayload).toMatchObject({ PhoneNumber: '+14158675310', ValidationCode: expect.stringMatching(/^\d{6}$/) })
  })

  it('LIST_ENTITIES takes filterClause and listEntitiesSortByColumns', async () => {
    const body = await output({ operation: 'LIST_ENTITIES', entityType: 'Calls', filterClause: "Status = 'completed'", listEntitiesSortByColumns: ['StartTime'], listEntitiesPageSize: 200 })
    const rows = body.connectorOutputPayload as Array<Record<string, any>>
    expect(rows.length).toBeGreaterThan(1)
    expect(rows.every((row) => row.Status === 'completed')).toBe(true)
    const times = rows.map((row) => row.StartTime).filter((time) => time !== null).map((time) => Date.parse(time))
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })

  it('UPDATE_ENTITY by a filterClause matching several rows answers {"Sid"} for each', async () => {
    const sids = expectEntityList(await world.call('GET', `${entityPath('OutgoingCallerIds')}?pageSize=200`), 'OutgoingCallerIds').map((row) => row.Sid as string).slice(0, 2)
    const clause = `Sid IN ('${sids.join("', '")}')`
    const body = await output({ operation: 'UPDATE_ENTITY', entityType: 'OutgoingCallerIds', filterClause: clause, connectorInputPayload: { Name: 'Bulk' } })
    expect(body.connectorOutputPayload.map((row: { Sid: string }) => row.Sid).sort()).toEqual([...sids].sort())
  })

  it('DELETE_ENTITY by filterClause deletes every matching row', async () => {
    const before = expectEntityList(await world.call('GET', `${entityPath('Messages')}?pageSize=200&conditions=${encodeURIComponent("Status = 'failed'")}`), 'Messages')
    expect(before.length).toBeGreaterThan(0)
    expect(await output({ operation: 'DELETE_ENTITY', entityType: 'Messages', filterClause: "Status = 'failed'" })).toEqual({})
    expect(expectEntityList(await world.call('GET', `${entityPath('Messages')}?conditions=${encodeURIComponent("Status = 'failed'")}`), 'Messages')).toEqual([])
  })

  it('EXECUTE_QUERY answers the rows, at most 25 unless maxRows says otherwise', async () => {
    const body = await output({ operation: 'EXECUTE_QUERY', query: 'SELECT Sid, Status FROM Messages WHERE Status = ?', queryParameters: [{ dataType: 'VARCHAR', value: 'delivered' }] })
    expect(body.connectorOutputPayload.length).toBeGreaterThan(0)
    expect(body.connectorOutputPayload.length).toBeLessThanOrEqual(25)
    expect(body.connectorOutputPayload.every((row: Record<string, unknown>) => Object.keys(row).join() === 'Sid,Status' && row.Status === 'delivered')).toBe(true)
    expect((await output({ operation: 'EXECUTE_QUERY', query: 'SELECT Sid FROM Calls', maxRows: '3' })).connectorOutputPayload).toHaveLength(3)
  })

  it('EXECUTE_ACTION answers the action\'s results: SendMessage sends the message', async () => {
    const body = await output({ operation: 'EXECUTE_ACTION', actionName: 'SendMessage', connectorInputPayload: { To: '+15558675310', From: '+15005550006', Body: 'sent by a task' } })
    expect(body.connectorOutputPayload).toHaveLength(1)
    const sid = body.connectorOutputPayload[0].Sid as string
    expect(expectEntity(await world.call('GET', entityPath('Messages', sid)), 'Messages').Body).toBe('sent by a task')
  })

  it('EXECUTE_ACTION of HangupCall ends the call it names', async () => {
    const call = expectEntity(await world.call('POST', entityPath('Calls'), {
      fields: { To: '+14155550100', Sender: '+15005550006', Url: 'https://demo.twilio.com/docs/voice.xml' }
    }), 'Calls')
    world.clock.advance(3_000) // answered: in progress
    const body = await output({ operation: 'EXECUTE_ACTION', actionName: 'HangupCall', connectorInputPayload: { CallSid: call.Sid } })
    expect(body.connectorOutputPayload[0]).toMatchObject({ Sid: call.Sid, Status: 'completed' })
  })

  it('EXECUTE_ACTION of an unknown action answers 404 NOT_FOUND naming the actions', async () => {
    const answer = await withoutUpstream(world, () => task({ operation: 'EXECUTE_ACTION', actionName: 'SendFax', connectorInputPayload: {} }))
    expect(expectRpcError(answer, 404, 'NOT_FOUND').message).toContain('SendMessage')
  })

  it('takes connectorInputPayload as a JSON string too, and ignores the task\'s connection settings', async () => {
    const body = await output({
      operation: 'UPDATE_ENTITY',
      entityType: 'IncomingPhoneNumbers',
      entityId: GOOGLE.incomingPhoneNumber,
      connectorInputPayload: JSON.stringify({ Name: 'From a string' }),
      connectionName: 'projects/p/locations/us-central1/connections/twilio',
      authOverrideEnabled: false
    })
    expect(body).toEqual({ connectorOutputPayload: { Sid: GOOGLE.incomingPhoneNumber } })
  })

  it('makes a create happen once with an idempotency key', async () => {
    const input = { operation: 'CREATE_ENTITY', entityType: 'Messages', connectorInputPayload: { To: '+15558675310', Sender: '+15005550006', Body: 'once' } }
    world.clearUpstream()
    const first = await task(input, { 'idempotency-key': 'task-once-1' })
    const again = await task(input, { 'idempotency-key': 'task-once-1' })
    expect(first.status).toBe(200)
    expect(again.body).toEqual(first.body)
    expect(world.upstream().filter((request) => request.method === 'POST')).toHaveLength(1)
  })
})

describe('bad inputs answer 400 INVALID_ARGUMENT naming them, sending nothing', () => {
  it.each([
    ['no operation', { entityType: 'Messages' }, 'operation'],
    ['an unknown operation', { operation: 'LIST' }, 'operation'],
    ['an unknown input', { operation: 'LIST_ENTITIES', entityType: 'Messages', pageSize: 5 }, 'pageSize'],
    ['no entityType', { operation: 'GET_ENTITY', entityId: GOOGLE.message }, 'entityType'],
    ['no entityId for GET_ENTITY', { operation: 'GET_ENTITY', entityType: 'Messages' }, 'entityId'],
    ['both entityId and filterClause', { operation: 'DELETE_ENTITY', entityType: 'Calls', entityId: GOOGLE.deletableCall, filterClause: "Status = 'busy'" }, 'filterClause'],
    ['neither entityId nor filterClause', { operation: 'DELETE_ENTITY', entityType: 'Calls' }, 'entityId'],
    ['no payload for CREATE_ENTITY', { operation: 'CREATE_ENTITY', entityType: 'Messages' }, 'connectorInputPayload'],
    ['a payload string that is not JSON', { operation: 'CREATE_ENTITY', entityType: 'Messages', connectorInputPayload: '{"To":' }, 'connectorInputPayload'],
    ['two sort columns', { operation: 'LIST_ENTITIES', entityType: 'Messages', listEntitiesSortByColumns: ['DateSent', 'Sid'] }, 'listEntitiesSortByColumns'],
    ['no query for EXECUTE_QUERY', { operation: 'EXECUTE_QUERY' }, 'query'],
    ['no actionName for EXECUTE_ACTION', { operation: 'EXECUTE_ACTION' }, 'actionName'],
    ['a bad filterClause', { operation: 'LIST_ENTITIES', entityType: 'Messages', filterClause: 'Status = ' }, 'conditions']
  ])('%s', async (_case, input, field) => {
    const answer = await withoutUpstream(world, () => task(input))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer).join(' ')).toContain(field)
  })

  it('answers 404 NOT_FOUND for an unknown entityType', async () => {
    expectRpcError(await withoutUpstream(world, () => task({ operation: 'LIST_ENTITIES', entityType: 'Faxes' })), 404, 'NOT_FOUND')
  })
})
