/** Schema discovery: `GET …/entityTypes` (views, paging) and `GET …/entityTypes/{t}` (fields, JSON schema, operations). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SANDBOX_PATH } from '../../helpers/gateway.js'
import { ENTITY_NAMES, entitySchema, expectRpcError, startWorld, violatedFields, type EntityName, type World } from './support.js'

let world: World
beforeAll(async () => { world = await startWorld({ sandbox: { seed: { calls: 5, messages: 5 } } }) })
afterAll(async () => { await world.close() })

const types = (query = ''): string => `${SANDBOX_PATH}/entityTypes${query}`

interface FieldView { name: string, dataType: string, key: boolean, nullable: boolean, description: string, additionalDetails: Record<string, unknown> }
interface EntityTypeView { name: string, fields: FieldView[], jsonSchema: { type: string[], properties: Record<string, any>, required: string[] }, operations: string[], metadata?: any }

const inputOnly = (entity: EntityName): string[] => {
  const schema = entitySchema(entity)
  const inputs = new Set([...Object.keys(schema.$defs.Create?.properties ?? {}), ...Object.keys(schema.$defs.Update?.properties ?? {})])
  return [...inputs].filter((field) => !(field in schema.properties))
}

/** Checks one FULL entity type against its schema file. */
function expectFullType (type: EntityTypeView, entity: EntityName): void {
  const schema = entitySchema(entity)
  expect(type.name).toBe(entity)
  expect(type.operations).toEqual(schema['x-entity'].operations)
  const names = type.fields.map((field) => field.name)
  expect(names).toEqual([...Object.keys(schema.properties), ...inputOnly(entity)])
  expect(type.fields.filter((field) => field.key).map((field) => field.name)).toEqual(['Sid'])
  for (const field of type.fields) {
    expect(typeof field.dataType).toBe('string')
    expect(typeof field.nullable).toBe('boolean')
    expect(typeof field.description).toBe('string')
  }
  expect(type.fields.find((field) => field.name === 'Sid')?.nullable).toBe(false)
  expect(type.jsonSchema.type).toEqual(['object'])
  expect(type.jsonSchema.required).toEqual(['Sid'])
  expect(Object.keys(type.jsonSchema.properties)).toEqual(names)
  for (const field of type.fields) {
    const property = type.jsonSchema.properties[field.name]
    expect(property.jdbcType, `${entity}.${field.name}`).toBe(field.dataType)
    if ('type' in property) expect(Array.isArray(property.type), `${entity}.${field.name} type is an array`).toBe(true)
  }
  if (schema['x-entity'].deprecation) {
    expect(type.metadata).toEqual({ deprecation: { deprecated: true, message: schema['x-entity'].deprecation } })
  } else {
    expect(type.metadata).toBeUndefined()
  }
}

describe('GET …/entityTypes', () => {
  it('answers the seven types with fields, Google-dialect JSON schema and operations by default', async () => {
    const answer = await world.call('GET', types())
    expect(answer.status).toBe(200)
    expect(answer.body.nextPageToken).toBe('')
    const listed = answer.body.types as EntityTypeView[]
    expect(listed.map((type) => type.name).sort()).toEqual([...ENTITY_NAMES].sort())
    for (const type of listed) expectFullType(type, type.name as EntityName)
  })

  it('answers the same with view=ENTITY_TYPE_VIEW_FULL', async () => {
    const full = await world.call('GET', types('?view=ENTITY_TYPE_VIEW_FULL'))
    const byDefault = await world.call('GET', types())
    expect(full.status).toBe(200)
    expect(full.body).toEqual(byDefault.body)
  })

  it('answers names only with view=ENTITY_TYPE_VIEW_BASIC', async () => {
    const answer = await world.call('GET', types('?view=ENTITY_TYPE_VIEW_BASIC'))
    expect(answer.status).toBe(200)
    expect(answer.body.types).toEqual(ENTITY_NAMES.map((name) => ({ name })))
    expect(answer.body.nextPageToken).toBe('')
  })

  it('refuses a view that is not one of Google\'s values', async () => {
    const answer = await world.call('GET', types('?view=EVERYTHING'))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
    expect(violatedFields(answer)).toEqual(['view'])
  })

  it('pages over the seven types with pageSize and pageToken, each type exactly once', async () => {
    const seen: string[] = []
    const pageSizes: number[] = []
    let token = ''
    for (let page = 0; page < 10; page++) {
      const answer = await world.call('GET', types(`?view=ENTITY_TYPE_VIEW_BASIC&pageSize=3${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`))
      expect(answer.status).toBe(200)
      pageSizes.push(answer.body.types.length)
      seen.push(...answer.body.types.map((type: { name: string }) => type.name))
      token = answer.body.nextPageToken
      if (token === '') break
    }
    expect(pageSizes).toEqual([3, 3, 1])
    expect(seen).toEqual([...ENTITY_NAMES])
  })

  it('refuses a page token it did not issue', async () => {
    for (const token of ['abc', '99', '-1']) {
      const answer = await world.call('GET', types(`?pageToken=${token}`))
      expectRpcError(answer, 400, 'INVALID_ARGUMENT')
      expect(violatedFields(answer)).toEqual(['pageToken'])
    }
  })

  it('answers 404 NOT_FOUND for an unknown connection', async () => {
    const answer = await world.call('GET', '/v2/projects/p/locations/l/connections/nowhere/entityTypes')
    expect(expectRpcError(answer, 404, 'NOT_FOUND').message).toContain('projects/p/locations/l/connections/nowhere')
  })
})

describe('GET …/entityTypes/{entityType}', () => {
  it.each(ENTITY_NAMES)('describes %s exactly as its schema says', async (entity) => {
    const answer = await world.call('GET', types(`/${entity}`))
    expect(answer.status).toBe(200)
    expectFullType(answer.body as EntityTypeView, entity)
  })

  it('types each field with Google\'s data types', async () => {
    const fieldsOf = async (entity: EntityName): Promise<Map<string, FieldView>> =>
      new Map(((await world.call('GET', types(`/${entity}`))).body.fields as FieldView[]).map((field) => [field.name, field]))
    const calls = await fieldsOf('Calls')
    const numbers = await fieldsOf('IncomingPhoneNumbers')
    const feedback = await fieldsOf('Feedback')
    const summary = await fieldsOf('FeedbackSummary')
    const expected: Array<[Map<string, FieldView>, string, string]> = [
      [calls, 'Sid', 'VARCHAR'],
      [calls, 'Sender', 'VARCHAR'],
      [calls, 'DateCreated', 'TIMESTAMP'],
      [calls, 'Duration', 'INTEGER'],
      [calls, 'Price', 'DECIMAL'],
      [calls, 'SubresourceUris', 'STRUCT'],
      [numbers, 'Beta', 'BOOLEAN'],
      [numbers, 'Capabilities', 'STRUCT'],
      [feedback, 'Issues', 'ARRAY'],
      [feedback, 'QualityScore', 'INTEGER'],
      [summary, 'QualityScoreAverage', 'DOUBLE'],
      [summary, 'IncludeSubaccounts', 'BOOLEAN']
    ]
    for (const [fields, name, dataType] of expected) expect(fields.get(name)?.dataType, name).toBe(dataType)
  })

  it('marks only Sid as the key, and nullable everything Twilio may leave empty', async () => {
    const fields = (await world.call('GET', types('/Messages'))).body.fields as FieldView[]
    expect(fields.find((field) => field.name === 'Sid')).toMatchObject({ key: true, nullable: false })
    expect(fields.find((field) => field.name === 'DateSent')).toMatchObject({ key: false, nullable: true, dataType: 'TIMESTAMP' })
    expect(fields.find((field) => field.name === 'Body')?.description.length).toBeGreaterThan(0)
  })

  it('lists input-only fields such as Calls\' Url as writeOnly', async () => {
    const type = (await world.call('GET', types('/Calls'))).body as EntityTypeView
    const url = type.fields.find((field) => field.name === 'Url')
    expect(url).toMatchObject({ dataType: 'VARCHAR', key: false, nullable: true })
    expect(url?.additionalDetails).toMatchObject({ writeOnly: true, readOnly: false, createable: true, updatable: true })
    expect(type.jsonSchema.properties.Url).toMatchObject({ type: ['string'], format: 'uri', writeOnly: true, jdbcType: 'VARCHAR' })
    expect(type.fields.find((field) => field.name === 'Duration')?.additionalDetails).toMatchObject({ readOnly: true, writeOnly: false })
    expect(type.jsonSchema.properties.Duration).toMatchObject({ type: ['integer', 'null'], readOnly: true, jdbcType: 'INTEGER' })
  })

  it('names the aliases Twilio\'s own input names provide', async () => {
    const type = (await world.call('GET', types('/Messages'))).body as EntityTypeView
    expect(type.fields.find((field) => field.name === 'Sender')?.additionalDetails).toMatchObject({ aliases: ['From'], createable: true })
  })

  it('says which fields conditions push down to a Twilio list filter, and how it matches', async () => {
    const details = async (entity: string): Promise<Map<string, Record<string, unknown>>> => {
      const type = (await world.call('GET', types(`/${entity}`))).body as EntityTypeView
      return new Map(type.fields.map((field) => [field.name, field.additionalDetails]))
    }
    const messages = await details('Messages')
    expect(messages.get('DateSent')).toMatchObject({ filterPushDown: true, twilioFilter: ['DateSent', 'DateSent<', 'DateSent>'] })
    expect(messages.get('DateSent')?.twilioFilterMatch).toContain('whole UTC days')
    expect(messages.get('Sender')).toMatchObject({ filterPushDown: true, twilioFilter: ['From'] })
    expect(messages.get('Body')).toEqual(expect.objectContaining({ filterPushDown: false }))
    expect(messages.get('Body')).not.toHaveProperty('twilioFilter')
    const pushed = async (entity: string): Promise<string[]> =>
      [...(await details(entity))].filter(([, detail]) => detail.filterPushDown === true).map(([name]) => name).sort()
    expect(await pushed('Calls')).toEqual(['EndTime', 'ParentCallSid', 'Sender', 'StartTime', 'Status', 'To'])
    expect(await pushed('Recordings')).toEqual(['CallSid', 'ConferenceSid', 'DateCreated'])
    expect(await pushed('IncomingPhoneNumbers')).toEqual(['Name', 'Origin', 'PhoneNumber'])
    expect(await pushed('OutgoingCallerIds')).toEqual(['Name', 'PhoneNumber'])
    expect(await pushed('FeedbackSummary')).toEqual([])
  })

  it('marks Feedback and FeedbackSummary as deprecated, with the retirement note', async () => {
    for (const entity of ['Feedback', 'FeedbackSummary'] as const) {
      const type = (await world.call('GET', types(`/${entity}`))).body as EntityTypeView
      expect(type.metadata.deprecation.deprecated).toBe(true)
      expect(type.metadata.deprecation.message).toMatch(/Twilio retired the Call Feedback API/)
    }
    expect(((await world.call('GET', types('/Feedback'))).body as EntityTypeView).operations).toEqual(['LIST', 'GET', 'CREATE', 'UPDATE'])
    expect(((await world.call('GET', types('/FeedbackSummary'))).body as EntityTypeView).operations).toEqual(['GET', 'CREATE', 'DELETE'])
  })

  it('answers 404 NOT_FOUND for an unknown entity type, with a hint for a wrong case', async () => {
    const unknown = await world.call('GET', types('/Faxes'))
    expect(expectRpcError(unknown, 404, 'NOT_FOUND').message).toContain('Faxes')
    const wrongCase = await world.call('GET', types('/messages'))
    expect(expectRpcError(wrongCase, 404, 'NOT_FOUND').message).toMatch(/did you mean Messages\?/)
    const entities = await world.call('GET', types('/messages/entities'))
    expect(expectRpcError(entities, 404, 'NOT_FOUND').message).toMatch(/did you mean Messages\?/)
  })

  it('answers 404 NOT_FOUND for an unknown connection', async () => {
    const answer = await world.call('GET', '/v2/projects/p/locations/l/connections/nowhere/entityTypes/Messages')
    expect(expectRpcError(answer, 404, 'NOT_FOUND').message).toContain('connections/nowhere')
  })

  it('never calls Twilio', () => {
    expect(world.upstream()).toEqual([])
  })
})
