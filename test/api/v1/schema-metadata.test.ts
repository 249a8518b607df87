/**
 * A connection's schema metadata in the v1 API: `connectionSchemaMetadata` and its `:refresh` operation,
 * `runtimeEntitySchemas` and `runtimeActionSchemas` with v1's key names agreeing with the v2 entity types and actions,
 * the required filters, and 404 for unknown connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestGateway } from '../../helpers/gateway.js'
import {
  OPERATION_METADATA_TYPE, PARENT, SCHEMA_METADATA_TYPE, TIMESTAMP,
  connectionBody, connectionUrl, created, expectRpcError, operationNamePattern, violatedFields, startTestGateway, type Body
} from './support.js'

const ENTITIES = ['Recordings', 'Calls', 'Feedback', 'FeedbackSummary', 'Messages', 'IncomingPhoneNumbers', 'OutgoingCallerIds']
const ACTIONS = ['SendMessage', 'MakeCall', 'HangupCall', 'RedactMessage', 'AddOutgoingCallerIds', 'BuyPhoneNumber', 'ReleasePhoneNumber']
const CONNECTION = `${PARENT}/connections/schemas`

let gateway: TestGateway

beforeAll(async () => {
  gateway = await startTestGateway({ sandbox: true })
  expect((await created(gateway, 'schemas', connectionBody(gateway))).name).toBe(CONNECTION)
})
afterAll(async () => {
  await gateway.close()
})

const filterQuery = (filter: string): string => `filter=${encodeURIComponent(filter)}`

describe('connectionSchemaMetadata', () => {
  it('names the seven entities, the seven actions and its state', async () => {
    const answer = await gateway.call('GET', `${connectionUrl('schemas')}/connectionSchemaMetadata?alt=json`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({
      name: `${CONNECTION}/connectionSchemaMetadata`,
      entities: ENTITIES,
      actions: ACTIONS,
      updateTime: expect.stringMatching(TIMESTAMP),
      refreshTime: expect.stringMatching(TIMESTAMP),
      state: 'UPDATED'
    })
  })

  it(':refresh answers a finished Operation whose response is the ConnectionSchemaMetadata, stored like any other', async () => {
    const metadata = await gateway.call('GET', `${connectionUrl('schemas')}/connectionSchemaMetadata`)
    const answer = await gateway.call('POST', `${connectionUrl('schemas')}/connectionSchemaMetadata:refresh?alt=json`, {})
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body).toEqual({
      name: expect.stringMatching(operationNamePattern()),
      metadata: {
        '@type': OPERATION_METADATA_TYPE,
        createTime: expect.stringMatching(TIMESTAMP),
        endTime: expect.stringMatching(TIMESTAMP),
        target: `${CONNECTION}/connectionSchemaMetadata`,
        verb: 'refresh',
        requestedCancellation: false,
        apiVersion: 'v1'
      },
      done: true,
      response: { '@type': SCHEMA_METADATA_TYPE, ...metadata.body }
    })
    expect((await gateway.call('GET', `/v1/${answer.body.name as string}`)).body).toEqual(answer.body)
  })

  it(':refresh accepts a request without a body', async () => {
    const answer = await gateway.call('POST', `${connectionUrl('schemas')}/connectionSchemaMetadata:refresh`)
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body.done).toBe(true)
  })
})

describe('runtimeEntitySchemas', () => {
  it('answers one schema for entity="Messages", with v1 key names', async () => {
    const answer = await gateway.call('GET', `${connectionUrl('schemas')}/runtimeEntitySchemas?${filterQuery('entity="Messages"')}`)
    expect(answer.status).toBe(200)
    expect(Object.keys(answer.body).sort()).toEqual(['nextPageToken', 'runtimeEntitySchemas'])
    expect(answer.body.nextPageToken).toBe('')
    const [schema, ...rest] = answer.body.runtimeEntitySchemas as Body[]
    expect(rest).toEqual([])
    expect(schema!.entity).toBe('Messages')
    expect(schema!.operations).toEqual(expect.arrayContaining(['LIST', 'GET', 'CREATE']))
    for (const field of schema!.fields as Body[]) {
      expect(Object.keys(field)).toEqual(expect.arrayContaining(['field', 'dataType', 'key', 'readonly', 'nullable']))
      expect(field).not.toHaveProperty('name')
      expect(typeof field.field).toBe('string')
      expect(typeof field.readonly).toBe('boolean')
      expect(typeof field.nullable).toBe('boolean')
    }
    expect((schema!.fields as Body[]).filter((field) => field.key).map((field) => field.field)).toEqual(['Sid'])
  })

  it.each(ENTITIES)('agrees with the v2 entity type %s (names, types, keys, nullability, read-only, operations)', async (entity) => {
    const v1 = await gateway.call('GET', `${connectionUrl('schemas')}/runtimeEntitySchemas?${filterQuery(`entity="${entity}"`)}`)
    const v2 = await gateway.call('GET', `/v2/${CONNECTION}/entityTypes/${entity}`)
    expect(v1.status).toBe(200)
    expect(v2.status).toBe(200)
    const [schema] = v1.body.runtimeEntitySchemas as Body[]
    expect(schema!.entity).toBe(v2.body.name)
    expect(schema!.operations).toEqual(v2.body.operations)
    expect(schema!.jsonSchema).toEqual(v2.body.jsonSchema)
    expect((schema!.fields as Body[]).map((field) => [field.field, field.dataType, field.key, field.nullable, field.readonly]))
      .toEqual((v2.body.fields as Body[]).map((field) => [field.name, field.dataType, field.key, field.nullable, field.additionalDetails?.readOnly === true]))
  })

  it('answers an empty list for an entity the connector does not have', async () => {
    const answer = await gateway.call('GET', `${connectionUrl('schemas')}/runtimeEntitySchemas?${filterQuery('entity="Invoices"')}`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ runtimeEntitySchemas: [], nextPageToken: '' })
  })

  it('accepts spaces around the equals sign', async () => {
    const answer = await gateway.call('GET', `${connectionUrl('schemas')}/runtimeEntitySchemas?${filterQuery(' entity = "Calls" ')}`)
    expect(answer.body.runtimeEntitySchemas.map((schema: Body) => schema.entity)).toEqual(['Calls'])
  })
})

describe('runtimeActionSchemas', () => {
  it('answers one schema for action="SendMessage", with v1 key names (parameter, field)', async () => {
    const answer = await gateway.call('GET', `${connectionUrl('schemas')}/runtimeActionSchemas?${filterQuery('action="SendMessage"')}`)
    expect(answer.status).toBe(200)
    expect(answer.body.nextPageToken).toBe('')
    const [schema, ...rest] = answer.body.runtimeActionSchemas as Body[]
    expect(rest).toEqual([])
    expect(Object.keys(schema!).sort()).toEqual(['action', 'description', 'displayName', 'inputJsonSchema', 'inputParameters', 'resultJsonSchema', 'resultMetadata'])
    expect(schema!.action).toBe('SendMessage')
    const inputs = schema!.inputParameters as Body[]
    for (const input of inputs) {
      expect(Object.keys(input).sort()).toEqual(['dataType', 'description', 'jsonSchema', 'nullable', 'parameter'])
    }
    expect(inputs.find((input) => input.parameter === 'To')).toMatchObject({ dataType: 'VARCHAR', nullable: false })
    const results = schema!.resultMetadata as Body[]
    for (const result of results) expect(Object.keys(result).sort()).toEqual(['dataType', 'description', 'field', 'jsonSchema', 'nullable'])
    expect(results.find((result) => result.field === 'NumSegments')).toMatchObject({ dataType: 'INTEGER', nullable: true })
  })

  it.each(ACTIONS)('agrees with the v2 action %s (names, types, nullability, JSON schemas)', async (action) => {
    const v1 = await gateway.call('GET', `${connectionUrl('schemas')}/runtimeActionSchemas?${filterQuery(`action="${action}"`)}`)
    const v2 = await gateway.call('GET', `/v2/${CONNECTION}/actions/${action}`)
    expect(v1.status).toBe(200)
    expect(v2.status).toBe(200)
    const [schema] = v1.body.runtimeActionSchemas as Body[]
    expect([schema!.action, schema!.displayName, schema!.description]).toEqual([v2.body.name, v2.body.displayName, v2.body.description])
    expect([schema!.inputJsonSchema, schema!.resultJsonSchema]).toEqual([v2.body.inputJsonSchema, v2.body.resultJsonSchema])
    const facts = (items: Body[], key: string): unknown[] => items.map((item) => [item[key], item.dataType, item.nullable, item.description, item.jsonSchema])
    expect(facts(schema!.inputParameters, 'parameter')).toEqual(facts(v2.body.inputParameters, 'name'))
    expect(facts(schema!.resultMetadata, 'field')).toEqual(facts(v2.body.resultMetadata, 'name'))
  })

  it('adds both schemas as strings with schemaAsString=true', async () => {
    const answer = await gateway.call('GET', `${connectionUrl('schemas')}/runtimeActionSchemas?${filterQuery('action="HangupCall"')}&schemaAsString=true`)
    const [schema] = answer.body.runtimeActionSchemas as Body[]
    expect(JSON.parse(schema!.inputSchemaAsString)).toEqual(schema!.inputJsonSchema)
    expect(JSON.parse(schema!.resultSchemaAsString)).toEqual(schema!.resultJsonSchema)
  })

  it('answers an empty list for an action the connector does not have', async () => {
    const answer = await gateway.call('GET', `${connectionUrl('schemas')}/runtimeActionSchemas?${filterQuery('action="X"')}`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ runtimeActionSchemas: [], nextPageToken: '' })
  })
})

describe('the required filter', () => {
  it.each([
    ['runtimeEntitySchemas', undefined],
    ['runtimeEntitySchemas', ''],
    ['runtimeEntitySchemas', 'entity=Messages'],
    ['runtimeEntitySchemas', 'entity:"Messages"'],
    ['runtimeEntitySchemas', 'action="Messages"'],
    ['runtimeEntitySchemas', 'entity="Messages" OR entity="Calls"'],
    ['runtimeActionSchemas', undefined],
    ['runtimeActionSchemas', 'action=X'],
    ['runtimeActionSchemas', 'entity="Messages"']
  ])('%s with filter %j: 400 naming filter', async (collection, filter) => {
    const query = filter === undefined ? '' : `?${filterQuery(filter)}`
    const answer = await gateway.call('GET', `${connectionUrl('schemas')}/${collection}${query}`)
    expect(violatedFields(answer)).toEqual(['filter'])
  })
})

describe('an unknown connection', () => {
  it.each([
    ['GET', 'connectionSchemaMetadata'],
    ['POST', 'connectionSchemaMetadata:refresh'],
    ['GET', `runtimeEntitySchemas?${filterQuery('entity="Messages"')}`],
    ['GET', `runtimeActionSchemas?${filterQuery('action="X"')}`]
  ] as const)('%s …/%s: 404 NOT_FOUND', async (method, path) => {
    const answer = await gateway.call(method, `${connectionUrl('no-such-connection')}/${path}`, method === 'POST' ? {} : undefined)
    expectRpcError(answer, 404, 'NOT_FOUND')
  })

  it('…and a deleted one', async () => {
    await created(gateway, 'short-lived', connectionBody(gateway))
    expect((await gateway.call('DELETE', connectionUrl('short-lived'))).status).toBe(200)
    expectRpcError(await gateway.call('GET', `${connectionUrl('short-lived')}/connectionSchemaMetadata`), 404, 'NOT_FOUND')
  })
})
