/**
 * `GET …/actions` and `GET …/actions/{action}`: the seven actions in both views, paging, Google's Action shape, inputs
 * and results that agree with the entity schemas under `schemas/` (SendMessage takes what a Messages create takes
 * and answers a Messages row), and 404s for unknown actions and connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionAt, entitySchema, expectRpcError, startWorld, violatedFields, withoutUpstream, type World } from '../support.js'
import { ACTION_NAMES, actionPath } from './support.js'

let world: World
beforeAll(async () => { world = await startWorld() })
afterAll(async () => { await world.close() })

type Body = Record<string, any>

const DATA_TYPES = new Set(['VARCHAR', 'INTEGER', 'DOUBLE', 'BOOLEAN', 'TIMESTAMP', 'DATE', 'ARRAY', 'STRUCT', 'DECIMAL', 'JAVA_OBJECT'])

/** Asserts Google's full Action shape; answers its parameters and results by name. */
function expectFullAction (action: Body): { inputs: Map<string, Body>, results: Map<string, Body> } {
  expect(Object.keys(action).sort()).toEqual(['description', 'displayName', 'inputJsonSchema', 'inputParameters', 'name', 'resultJsonSchema', 'resultMetadata'])
  expect(action.displayName).toMatch(/^[A-Z][a-z]+( [a-zA-Z]+)+$/)
  expect(action.description.length).toBeGreaterThan(30)
  for (const item of [...action.inputParameters, ...action.resultMetadata]) {
    expect(typeof item.name).toBe('string')
    expect(DATA_TYPES, `${action.name}.${item.name}: ${item.dataType}`).toContain(item.dataType)
    expect(typeof item.nullable).toBe('boolean')
    expect(typeof item.description).toBe('string')
    expect(item.jsonSchema).toMatchObject({ type: expect.any(Array), jdbcType: item.dataType })
  }
  for (const schema of [action.inputJsonSchema, action.resultJsonSchema]) expect(schema.type).toEqual(['object'])
  expect(Object.keys(action.inputJsonSchema.properties)).toEqual(action.inputParameters.map((item: Body) => item.name))
  expect(Object.keys(action.resultJsonSchema.properties)).toEqual(action.resultMetadata.map((item: Body) => item.name))
  return {
    inputs: new Map(action.inputParameters.map((item: Body) => [item.name, item])),
    results: new Map(action.resultMetadata.map((item: Body) => [item.name, item]))
  }
}

async function getAction (name: string): Promise<Body> {
  const answer = await world.call('GET', actionPath(name))
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body
}

describe('GET …/actions', () => {
  it('lists the seven actions with their schemas by default (ACTION_VIEW_FULL), on one page, without calling Twilio', async () => {
    const answer = await withoutUpstream(world, () => world.call('GET', actionPath()))
    expect(answer.status).toBe(200)
    expect(Object.keys(answer.body).sort()).toEqual(['actions', 'nextPageToken'])
    expect(answer.body.nextPageToken).toBe('')
    expect(answer.body.actions.map((action: Body) => action.name)).toEqual(ACTION_NAMES)
    for (const action of answer.body.actions) {
      expectFullAction(action)
      expect(action).toEqual(await getAction(action.name))
    }
    for (const view of ['ACTION_VIEW_FULL', 'ACTION_VIEW_UNSPECIFIED']) {
      expect((await world.call('GET', `${actionPath()}?view=${view}`)).body).toEqual(answer.body)
    }
  })

  it('answers names only with ACTION_VIEW_BASIC', async () => {
    const answer = await world.call('GET', `${actionPath()}?view=ACTION_VIEW_BASIC`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ actions: ACTION_NAMES.map((name) => ({ name })), nextPageToken: '' })
  })

  it('pages: pageSize 3 walks the seven actions in three pages, each exactly once', async () => {
    const seen: string[] = []
    let token = ''
    let pages = 0
    do {
      const answer = await world.call('GET', `${actionPath()}?view=ACTION_VIEW_BASIC&pageSize=3${token ? `&pageToken=${token}` : ''}`)
      expect(answer.status).toBe(200)
      seen.push(...answer.body.actions.map((action: Body) => action.name))
      token = answer.body.nextPageToken
      pages++
    } while (token)
    expect(pages).toBe(3)
    expect(seen).toEqual(ACTION_NAMES)
  })

  it.each([
    ['a page token it did not issue', 'pageToken=abc', 'pageToken'],
    ['a page token past the end', 'pageToken=7', 'pageToken'],
    ['an unknown view', 'view=ACTION_VIEW_HUGE', 'view'],
    ['a negative page size', 'pageSize=-1', 'pageSize']
  ])('refuses %s with 400 naming it', async (_case, query, field) => {
    const answer = await world.call('GET', `${actionPath()}?${query}`)
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual([field])
  })

  it('answers 404 for a connection that does not exist', async () => {
    expectRpcError(await world.call('GET', actionPath(undefined, connectionAt('nowhere').path)), 404, 'NOT_FOUND')
  })
})

describe('GET …/actions/{action}', () => {
  it('SendMessage takes exactly what a Messages create takes — names, requirements, Twilio\'s names — and answers a Messages row', async () => {
    const messages = entitySchema('Messages')
    const create = messages.$defs.Create!
    const action = await getAction('SendMessage')
    const { inputs, results } = expectFullAction(action)
    expect([...inputs.keys()]).toEqual(Object.keys(create.properties))
    expect([...inputs.values()].filter((input) => !input.nullable).map((input) => input.name)).toEqual(create.required)
    expect(inputs.get('Sender')).toMatchObject({ dataType: 'VARCHAR', nullable: true, additionalDetails: { aliases: ['From'], twilioParameter: 'From' } })
    expect(inputs.get('MediaUrl')).toMatchObject({ dataType: 'ARRAY', jsonSchema: { type: ['array'], items: { type: ['string'] } } })
    expect(inputs.get('MaxPrice')?.dataType).toBe('DOUBLE')
    expect(inputs.get('SendAt')?.dataType).toBe('TIMESTAMP')
    expect(action.inputJsonSchema).toMatchObject({ required: ['To'], additionalProperties: false })
    expect(action.inputJsonSchema.allOf).toEqual([
      { anyOf: [{ required: ['Sender'] }, { required: ['MessagingServiceSid'] }] },
      { anyOf: [{ required: ['Body'] }, { required: ['MediaUrl'] }, { required: ['ContentSid'] }] }
    ])
    expect([...results.keys()]).toEqual(Object.keys(messages.properties))
    expect(results.get('Sid')).toMatchObject({ dataType: 'VARCHAR', nullable: false })
    expect(results.get('NumSegments')).toMatchObject({ dataType: 'INTEGER', nullable: true })
    expect(results.get('DateCreated')?.dataType).toBe('TIMESTAMP')
    expect(action.resultJsonSchema.required).toEqual(Object.keys(messages.properties))
  })

  it('MakeCall, AddOutgoingCallerIds and BuyPhoneNumber take their entity\'s create fields; AddOutgoingCallerIds answers the validation request', async () => {
    for (const [name, entity] of [['MakeCall', 'Calls'], ['AddOutgoingCallerIds', 'OutgoingCallerIds'], ['BuyPhoneNumber', 'IncomingPhoneNumbers']] as const) {
      const schema = entitySchema(entity)
      const { inputs, results } = expectFullAction(await getAction(name))
      expect([...inputs.keys()], name).toEqual(Object.keys(schema.$defs.Create!.properties))
      expect([...results.keys()], name).toEqual(Object.keys((schema.$defs.CreateResult ?? schema).properties))
    }
    const { results } = expectFullAction(await getAction('AddOutgoingCallerIds'))
    expect([...results.keys()]).toEqual(expect.arrayContaining(['ValidationCode', 'PhoneNumber', 'CallSid']))
    expect((await getAction('BuyPhoneNumber')).inputJsonSchema.allOf).toEqual([{ anyOf: [{ required: ['PhoneNumber'] }, { required: ['AreaCode'] }] }])
  })

  it.each([
    ['HangupCall', 'CallSid', 'Calls'],
    ['RedactMessage', 'MessageSid', 'Messages']
  ] as const)('%s takes one required %s (a well-formed Sid, also as Twilio\'s name Sid) and answers the %s row', async (name, parameter, entity) => {
    const schema = entitySchema(entity)
    const action = await getAction(name)
    const { inputs, results } = expectFullAction(action)
    expect([...inputs.keys()]).toEqual([parameter])
    expect(inputs.get(parameter)).toMatchObject({
      dataType: 'VARCHAR', nullable: false, additionalDetails: { aliases: ['Sid'], twilioParameter: 'Sid' }, jsonSchema: { pattern: schema['x-entity'].idPattern }
    })
    expect(action.inputJsonSchema).toMatchObject({ required: [parameter], additionalProperties: false })
    expect([...results.keys()]).toEqual(Object.keys(schema.properties))
  })

  it('ReleasePhoneNumber takes PhoneNumberSid and answers {Sid, Released}', async () => {
    const action = await getAction('ReleasePhoneNumber')
    const { inputs, results } = expectFullAction(action)
    expect([...inputs.keys()]).toEqual(['PhoneNumberSid'])
    expect(inputs.get('PhoneNumberSid')?.jsonSchema.pattern).toBe(entitySchema('IncomingPhoneNumbers')['x-entity'].idPattern)
    expect(Object.fromEntries([...results].map(([name, item]) => [name, [item.dataType, item.nullable]]))).toEqual({
      Sid: ['VARCHAR', false],
      Released: ['BOOLEAN', false]
    })
  })

  it('answers the whole action in every view', async () => {
    const full = await getAction('MakeCall')
    for (const view of ['ACTION_SCHEMA_VIEW_UNSPECIFIED', 'ACTION_SCHEMA_VIEW_BASIC', 'ACTION_SCHEMA_VIEW_ENRICHED']) {
      expect((await world.call('GET', `${actionPath('MakeCall')}?view=${view}`)).body, view).toEqual(full)
    }
  })

  it('answers 404 NOT_FOUND naming the actions there are, with a hint for a wrong case', async () => {
    const unknown = expectRpcError(await world.call('GET', actionPath('CancelOrder')), 404, 'NOT_FOUND')
    expect(unknown.message).toMatch(/^Action CancelOrder not found/)
    for (const name of ACTION_NAMES) expect(unknown.message).toContain(name)
    const wrongCase = expectRpcError(await world.call('GET', actionPath('sendmessage')), 404, 'NOT_FOUND')
    expect(wrongCase.message).toContain('did you mean SendMessage?')
    expectRpcError(await world.call('GET', actionPath('SendMessage:execute')), 404, 'NOT_FOUND')
  })

  it('answers 404 for a connection that does not exist, even for a known action', async () => {
    const error = expectRpcError(await world.call('GET', actionPath('SendMessage', connectionAt('nowhere').path)), 404, 'NOT_FOUND')
    expect(error.message).toMatch(/^Connection .*nowhere not found/)
  })
})
