/**
 * The OpenAPI 3.1 document at `GET /openapi.json`: valid, one concrete path per entity operation (and none for an
 * operation an entity lacks), typed per entity through named components, with the field names users see.
 * The entities' operations and fields are read from `schemas/<Entity>.json`, the source of truth.
 */
import { Validator } from '@seriousme/openapi-schema-validator'
import Ajv2020Module from 'ajv/dist/2020.js'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  collectionPath, componentName, CONNECTION_TEMPLATE, fetchDocument, itemPath, jsonSchemaOf, OPERATION_ROUTES, operationsOf,
  readEntitySchemas, startDocumentGateway, type EntitySchemaFile, type OpenApiDocument, type SchemaObject
} from './openapi-document.js'

const Ajv2020 = Ajv2020Module.default

const ENTITY_NAMES = ['Calls', 'Feedback', 'FeedbackSummary', 'IncomingPhoneNumbers', 'Messages', 'OutgoingCallerIds', 'Recordings']
const SCHEMAS = readEntitySchemas()

let app: FastifyInstance
let document: OpenApiDocument

beforeAll(async () => {
  app = await startDocumentGateway()
  document = await fetchDocument(app)
})
afterAll(async () => { await app?.close() })

function schemaFile (name: string): EntitySchemaFile {
  const found = SCHEMAS.find((schema) => schema.name === name)
  if (!found) throw new Error(`schemas/${name}.json not found`)
  return found
}

function component (name: string): SchemaObject {
  const found = document.components.schemas[name]
  if (!found) throw new Error(`component ${name} is not in the document (components: ${Object.keys(document.components.schemas).join(', ')})`)
  return found
}

/** Resolves a local reference (`#/a/b~1c`) in the document; throws when it leads nowhere. */
function resolveRef (root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) throw new Error(`${ref} is not a local reference`)
  let node = root
  for (const token of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~')
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) throw new Error(`${ref} does not resolve (at ${key})`)
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

/** Every `$ref` anywhere in a JSON value, with where it was found. */
function refsIn (value: unknown, at = '#'): Array<{ at: string, ref: string }> {
  if (Array.isArray(value)) return value.flatMap((item, index) => refsIn(item, `${at}/${index}`))
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, child]) =>
    key === '$ref' && typeof child === 'string' ? [{ at, ref: child }] : refsIn(child, `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`))
}

/** Components reachable (through `$ref`s) from the given operations. */
function componentsReachedBy (operations: unknown[]): Set<string> {
  const reached = new Set<string>()
  const pending = operations.flatMap((operation) => refsIn(operation).map(({ ref }) => ref))
  for (let ref = pending.pop(); ref !== undefined; ref = pending.pop()) {
    const name = componentName({ $ref: ref })
    if (!name || reached.has(name)) continue
    reached.add(name)
    pending.push(...refsIn(component(name)).map((found) => found.ref))
  }
  return reached
}

async function validate (candidate: unknown): Promise<{ valid: boolean, errors?: unknown }> {
  return new Validator().validate(structuredClone(candidate) as Record<string, unknown>)
}

describe('GET /openapi.json', () => {
  it('is served without a token, as JSON', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.json()).toMatchObject({ openapi: '3.1.0', info: { title: expect.any(String), version: expect.any(String) } })
  })

  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(document))
    expect(result.errors, `validation errors: ${JSON.stringify(result.errors, null, 2)}`).toBeUndefined()
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('fails that validation when the document is broken (the check is real)', async () => {
    const messagesList = structuredClone(document)
    const response = messagesList.paths[collectionPath('Messages')]?.get?.responses['200']
    const schema = jsonSchemaOf(response)
    if (!schema) throw new Error('the Messages list has no 200 JSON schema')
    schema.$ref = '#/components/schemas/NoSuchComponent'
    const brokenRef = await validate(messagesList)
    expect(brokenRef.valid).toBe(false)
    expect(JSON.stringify(brokenRef.errors)).toContain('NoSuchComponent')

    const { info: _info, ...withoutInfo } = document
    const missingInfo = await validate(withoutInfo)
    expect(missingInfo.valid).toBe(false)
    expect(JSON.stringify(missingInfo.errors)).toContain('info')

    const wrongResponses = structuredClone(document)
    const operation = wrongResponses.paths[itemPath('Messages')]?.get
    if (!operation) throw new Error('no GET on the Messages item path')
    operation.responses = 'none' as never
    expect((await validate(wrongResponses)).valid).toBe(false)
  })

  it('has component schemas that are valid JSON Schema 2020-12 (the OpenAPI 3.1 dialect)', () => {
    // The OpenAPI validator does not look inside Schema Objects; the 2020-12 meta-schema does.
    const ajv = new Ajv2020({ strict: false, validateFormats: false })
    const invalid = Object.entries(document.components.schemas)
      .filter(([, schema]) => !ajv.validateSchema(schema))
      .map(([name]) => `${name}: ${ajv.errorsText(ajv.errors)}`)
    expect(invalid).toEqual([])

    const broken = structuredClone(component('Messages'))
    broken.properties = { ...broken.properties, NumSegments: { type: 'int' } }
    expect(ajv.validateSchema(broken)).toBe(false)
  })

  it('has only references that resolve', () => {
    const refs = refsIn(document)
    expect(refs.length).toBeGreaterThan(100)
    const unresolved = refs.filter(({ ref }) => {
      try {
        resolveRef(document, ref)
        return false
      } catch {
        return true
      }
    })
    expect(unresolved).toEqual([])
    expect(() => resolveRef(document, '#/components/schemas/NoSuchComponent')).toThrow(/does not resolve/)
  })
})

describe('entity paths', () => {
  it('covers exactly the entities of schemas/', () => {
    expect(SCHEMAS.map((schema) => schema.name)).toEqual(ENTITY_NAMES)
    const published = new Set(Object.keys(document.paths)
      .map((path) => /\/entityTypes\/([^/]+)\/entities/.exec(path)?.[1])
      .filter((name) => name !== undefined))
    expect([...published].sort()).toEqual(ENTITY_NAMES)
  })

  it.each(ENTITY_NAMES)('publishes for %s exactly the operations of its x-entity.operations', (name) => {
    const expected = schemaFile(name)['x-entity'].operations.map((operation) => {
      const route = OPERATION_ROUTES[operation]
      if (!route) throw new Error(`${name}: unknown operation ${operation}`)
      return `${route.method.toUpperCase()} ${route.item ? itemPath(name) : collectionPath(name)}`
    })
    // Bulk changes come with Update and Delete.
    for (const [operation, verb] of [['UPDATE', 'updateEntitiesWithConditions'], ['DELETE', 'deleteEntitiesWithConditions']] as const) {
      if (schemaFile(name)['x-entity'].operations.includes(operation)) expected.push(`POST ${collectionPath(name)}:${verb}`)
    }
    const published = operationsOf(document)
      .filter(({ path }) => path.startsWith(`${CONNECTION_TEMPLATE}/entityTypes/${name}/`))
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`)
    expect(published.sort()).toEqual(expected.sort())
  })

  it('publishes no operation an entity does not support', () => {
    expect(document.paths[itemPath('Feedback')]?.delete).toBeUndefined()
    expect(document.paths[itemPath('Feedback')]?.get).toBeDefined()
    expect(document.paths[collectionPath('FeedbackSummary')]?.get).toBeUndefined()
    expect(document.paths[itemPath('FeedbackSummary')]?.patch).toBeUndefined()
    expect(document.paths[itemPath('FeedbackSummary')]?.delete).toBeDefined()
    // The generic `{entityType}` routes that answer unknown types and unsupported operations stay out of it.
    expect(Object.keys(document.paths).filter((path) => path.includes('{entityType}/entities'))).toEqual([])
  })

  it.each(ENTITY_NAMES)('types the path and query parameters of %s', (name) => {
    const idPattern = schemaFile(name)['x-entity'].idPattern
    for (const { path, operation } of operationsOf(document).filter(({ path }) => path.includes(`/entityTypes/${name}/`))) {
      const parameters = operation.parameters ?? []
      const pathNames = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1])
      expect(parameters.filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name).sort()).toEqual(pathNames.sort())
      for (const parameter of parameters.filter((candidate) => candidate.in === 'path')) expect(parameter.required).toBe(true)
      const entityId = parameters.find((parameter) => parameter.name === 'entityId')
      if (path.endsWith('{entityId}')) expect(entityId?.schema).toMatchObject({ type: 'string', pattern: idPattern })
    }
    const list = document.paths[collectionPath(name)]?.get
    if (list) {
      const query = Object.fromEntries((list.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => [parameter.name, parameter.schema]))
      expect(query.pageSize).toMatchObject({ type: 'integer' })
      expect(query.pageToken).toMatchObject({ type: 'string' })
    }
  })
})

describe('entity components', () => {
  it.each(ENTITY_NAMES)('%s: bodies and 200 answers reference the entity\'s own components', (name) => {
    const file = schemaFile(name)
    const operations = new Set(file['x-entity'].operations)
    const collection = document.paths[collectionPath(name)]
    const item = document.paths[itemPath(name)]
    const fieldsOf = (envelope: string): string | undefined => componentName(component(envelope).properties?.fields)

    if (operations.has('LIST')) {
      expect(componentName(jsonSchemaOf(collection?.get?.responses['200']))).toBe(`${name}List`)
      const list = component(`${name}List`)
      expect(list.required).toEqual(expect.arrayContaining(['entities', 'nextPageToken']))
      expect(componentName(list.properties?.entities?.items)).toBe(`${name}Entity`)
    }
    if (operations.has('CREATE')) {
      const create = collection?.post
      expect(create?.requestBody?.required).toBe(true)
      expect(componentName(jsonSchemaOf(create?.requestBody))).toBe(`${name}CreateRequest`)
      expect(component(`${name}CreateRequest`).required).toContain('fields')
      expect(fieldsOf(`${name}CreateRequest`)).toBe(`${name}Create`)
      const answer = file.$defs.CreateResult ? `${name}CreateResultEntity` : `${name}Entity`
      expect(componentName(jsonSchemaOf(create?.responses['200']))).toBe(answer)
      expect(fieldsOf(answer)).toBe(file.$defs.CreateResult ? `${name}CreateResult` : name)
    }
    if (operations.has('GET')) expect(componentName(jsonSchemaOf(item?.get?.responses['200']))).toBe(`${name}Entity`)
    if (operations.has('UPDATE')) {
      const update = item?.patch
      expect(update?.requestBody?.required).toBe(true)
      expect(componentName(jsonSchemaOf(update?.requestBody))).toBe(`${name}UpdateRequest`)
      expect(fieldsOf(`${name}UpdateRequest`)).toBe(`${name}Update`)
      expect(componentName(jsonSchemaOf(update?.responses['200']))).toBe(`${name}Entity`)
    }
    if (operations.has('DELETE')) expect(componentName(jsonSchemaOf(item?.delete?.responses['200']))).toBe('Empty')

    expect(component(`${name}Entity`).required).toContain('fields')
    expect(fieldsOf(`${name}Entity`)).toBe(name)
  })

  it('answers an OutgoingCallerIds create with the validation request, not a row', () => {
    const create = document.paths[collectionPath('OutgoingCallerIds')]?.post
    expect(componentName(jsonSchemaOf(create?.responses['200']))).toBe('OutgoingCallerIdsCreateResultEntity')
    expect(componentName(component('OutgoingCallerIdsCreateResultEntity').properties?.fields)).toBe('OutgoingCallerIdsCreateResult')
    expect(Object.keys(component('OutgoingCallerIdsCreateResult').properties ?? {})).toEqual(expect.arrayContaining(['ValidationCode', 'PhoneNumber', 'CallSid']))
  })

  it.each(ENTITY_NAMES)('%s: rows, create and update inputs have the fields of schemas/', (name) => {
    const file = schemaFile(name)
    const row = component(name)
    expect(Object.keys(row.properties ?? {})).toEqual(Object.keys(file.properties))
    // Every row field is always present in answers (null when Twilio has no value), so all are required.
    expect(row.required).toEqual(Object.keys(file.properties))
    for (const [kind, input] of [['Create', file.$defs.Create], ['Update', file.$defs.Update]] as const) {
      if (!input) {
        expect(document.components.schemas[`${name}${kind}`]).toBeUndefined()
        continue
      }
      const published = component(`${name}${kind}`)
      const aliases = Object.values(input.properties).flatMap((property: any) => property['x-aliases'] ?? [])
      expect(Object.keys(published.properties ?? {}).sort()).toEqual([...Object.keys(input.properties), ...aliases].sort())
      expect(published.required).toEqual(input.required)
      expect(published.additionalProperties).toBe(false)
      // The one-of groups the gateway enforces are published as anyOf, aliases included.
      const groups: string[][] = (input as any)['x-required-one-of'] ?? []
      expect(((published as any).allOf ?? []).length).toBe(groups.length)
      groups.forEach((group, index) => {
        const published = ((component(`${name}${kind}`) as any).allOf[index].anyOf as Array<{ required: string[] }>).map((branch) => branch.required[0])
        for (const field of group) expect(published).toContain(field)
      })
    }
  })

  it('gives every operation a unique operationId', () => {
    const ids = operationsOf(document).map(({ path, method, operation }) => operation.operationId ?? `(none: ${method} ${path})`)
    expect(ids.filter((id) => id.startsWith('(none'))).toEqual([])
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([])
    expect(ids).toEqual(expect.arrayContaining(['listMessages', 'createMessages', 'getMessages', 'updateMessages', 'deleteMessages']))
  })

  it('answers errors (4XX, 5XX) with GoogleRpcStatus on every operation', () => {
    const operations = operationsOf(document)
    expect(operations.length).toBeGreaterThanOrEqual(32)
    for (const { path, method, operation } of operations) {
      for (const status of ['4XX', '5XX']) {
        expect(componentName(jsonSchemaOf(operation.responses[status])), `${method} ${path} ${status}`).toBe('GoogleRpcStatus')
      }
    }
    const status = component('GoogleRpcStatus')
    expect(status.required).toEqual(['error'])
    expect(status.properties?.error?.required).toEqual(['code', 'message', 'status', 'details'])
    expect(status.properties?.error?.properties?.code?.type).toBe('integer')
  })

  it('requires the bearer token on every runtime operation', () => {
    const schemes = document.components.securitySchemes ?? {}
    const bearer = Object.entries(schemes).filter(([, scheme]) => scheme.type === 'http' && scheme.scheme?.toLowerCase() === 'bearer').map(([key]) => key)
    expect(bearer).toHaveLength(1)
    const runtime = operationsOf(document).filter(({ path }) => path.startsWith('/v2/'))
    expect(runtime.length).toBeGreaterThanOrEqual(32)
    for (const { path, method, operation } of runtime) {
      const effective = operation.security ?? document.security ?? []
      // Every alternative requirement must include the bearer scheme: none may let a caller in without it.
      expect(effective.length, `${method} ${path} has no security requirement`).toBeGreaterThan(0)
      for (const requirement of effective) expect(Object.keys(requirement), `${method} ${path}`).toContain(bearer[0])
    }
  })

  it('marks the Feedback and FeedbackSummary operations, and only them, deprecated', () => {
    const deprecatedEntities = SCHEMAS.filter((schema) => schema.deprecated === true).map((schema) => schema.name)
    expect(deprecatedEntities).toEqual(['Feedback', 'FeedbackSummary'])
    for (const { path, method, operation } of operationsOf(document).filter(({ path }) => path.includes('/entityTypes/') && path.includes('/entities'))) {
      const entity = /\/entityTypes\/([^/]+)\//.exec(path)?.[1] ?? ''
      expect(operation.deprecated === true, `${method} ${path}`).toBe(deprecatedEntities.includes(entity))
    }
  })

  it('marks every component only the Feedback and FeedbackSummary operations use deprecated, and no other', () => {
    const entityOperations = operationsOf(document).filter(({ path }) => /\/entityTypes\/[A-Za-z]+\/entities/.test(path))
    const deprecatedUse = componentsReachedBy(entityOperations.filter(({ operation }) => operation.deprecated).map(({ operation }) => operation))
    const currentUse = componentsReachedBy(entityOperations.filter(({ operation }) => !operation.deprecated).map(({ operation }) => operation))
    const deprecatedOnly = [...deprecatedUse].filter((name) => !currentUse.has(name)).sort()
    expect(deprecatedOnly).toEqual(expect.arrayContaining([
      'Feedback', 'FeedbackCreate', 'FeedbackCreateRequest', 'FeedbackEntity', 'FeedbackList', 'FeedbackUpdate', 'FeedbackUpdateRequest',
      'FeedbackSummary', 'FeedbackSummaryCreate', 'FeedbackSummaryCreateRequest', 'FeedbackSummaryEntity'
    ]))
    expect(deprecatedOnly.filter((name) => component(name).deprecated !== true), 'components of deprecated entities without deprecated: true').toEqual([])
    expect([...currentUse].filter((name) => component(name).deprecated === true), 'components of current entities marked deprecated').toEqual([])
  })
})

describe('action paths', () => {
  const ACTIONS = ['SendMessage', 'MakeCall', 'HangupCall', 'RedactMessage', 'AddOutgoingCallerIds', 'BuyPhoneNumber', 'ReleasePhoneNumber']
  const CREATING = ['SendMessage', 'MakeCall', 'AddOutgoingCallerIds', 'BuyPhoneNumber']
  const executePath = (name: string): string => `${CONNECTION_TEMPLATE}/actions/${name}:execute`
  const parametersOf = (name: string): string | undefined => componentName(component(`${name}Request`).properties?.parameters)
  const resultsOf = (name: string): string | undefined => componentName(component(`${name}Response`).properties?.results?.items)

  it('publishes the actions list, one action, and one execute path per action, and no other action path', () => {
    const published = operationsOf(document).filter(({ path }) => path.includes('/actions')).map(({ path, method, operation }) => [method, path, operation.operationId])
    expect(published).toEqual([
      ['get', `${CONNECTION_TEMPLATE}/actions`, 'listActions'],
      ['get', `${CONNECTION_TEMPLATE}/actions/{action}`, 'getAction'],
      ...ACTIONS.map((name) => ['post', executePath(name), `execute${name}`])
    ])
    expect(componentName(jsonSchemaOf(document.paths[`${CONNECTION_TEMPLATE}/actions`]?.get?.responses['200']))).toBe('ListActionsResponse')
    expect(componentName(jsonSchemaOf(document.paths[`${CONNECTION_TEMPLATE}/actions/{action}`]?.get?.responses['200']))).toBe('Action')
  })

  it.each(ACTIONS)('types %s:execute: a required ExecuteActionRequest body with its parameters, and its result rows', (name) => {
    const execute = document.paths[executePath(name)]?.post
    expect(execute?.requestBody?.required).toBe(true)
    expect(componentName(jsonSchemaOf(execute?.requestBody))).toBe(`${name}Request`)
    expect(component(`${name}Request`).required).toEqual(['parameters'])
    expect(componentName(jsonSchemaOf(execute?.responses['200']))).toBe(`${name}Response`)
    expect(component(`${name}Response`).required).toEqual(['results'])
    expect(component(`${name}Response`).properties?.results?.type).toBe('array')
    const query = (execute?.parameters ?? []).filter((parameter) => parameter.in !== 'path').map((parameter) => parameter.name).sort()
    expect(query, 'the idempotency key, on creating actions only').toEqual(CREATING.includes(name) ? ['idempotency-key', 'requestId'] : [])
  })

  it('types the actions that wrap an entity create as that create: its input and its answer', () => {
    expect(ACTIONS.map((name) => [name, parametersOf(name), resultsOf(name)])).toEqual([
      ['SendMessage', 'MessagesCreate', 'Messages'],
      ['MakeCall', 'CallsCreate', 'Calls'],
      ['HangupCall', 'HangupCallParameters', 'Calls'],
      ['RedactMessage', 'RedactMessageParameters', 'Messages'],
      ['AddOutgoingCallerIds', 'OutgoingCallerIdsCreate', 'OutgoingCallerIdsCreateResult'],
      ['BuyPhoneNumber', 'IncomingPhoneNumbersCreate', 'IncomingPhoneNumbers'],
      ['ReleasePhoneNumber', 'ReleasePhoneNumberParameters', 'ReleasePhoneNumberResult']
    ])
  })

  it('types the Sid-taking actions\' parameters: the Sid of the right kind, required, Sid accepted for it', () => {
    for (const [name, parameter, entity] of [['HangupCall', 'CallSid', 'Calls'], ['RedactMessage', 'MessageSid', 'Messages'], ['ReleasePhoneNumber', 'PhoneNumberSid', 'IncomingPhoneNumbers']]) {
      const parameters = component(`${name}Parameters`)
      const pattern = schemaFile(entity!)['x-entity'].idPattern
      expect(parameters.required, name).toEqual([parameter])
      expect(parameters.additionalProperties, name).toBe(false)
      expect(parameters.properties?.[parameter!], name).toMatchObject({ type: 'string', pattern })
      expect(parameters.properties?.Sid?.description, name).toMatch(new RegExp(`^Twilio's name for ${parameter}`))
    }
    expect(component('ReleasePhoneNumberResult')).toMatchObject({ required: ['Sid', 'Released'], properties: { Released: { type: 'boolean' } } })
  })
})

describe('entity fields as users see them', () => {
  it('names the Messages sender Sender, not Twilio\'s From, which inputs accept only as an alias', () => {
    expect(Object.keys(component('Messages').properties ?? {})).toContain('Sender')
    expect(Object.keys(component('Messages').properties ?? {})).not.toContain('From')
    expect(Object.keys(component('Calls').properties ?? {})).toContain('Sender')
    const create = component('MessagesCreate').properties ?? {}
    expect(create.Sender).toBeDefined()
    expect(create.From?.description).toMatch(/^Twilio's name for Sender; give one or the other/)
  })

  it('names the phone numbers\' friendly name Name, not FriendlyName, which inputs accept only as an alias', () => {
    for (const name of ['IncomingPhoneNumbers', 'OutgoingCallerIds']) {
      expect(Object.keys(component(name).properties ?? {}), name).toContain('Name')
      expect(Object.keys(component(name).properties ?? {}), name).not.toContain('FriendlyName')
    }
    for (const name of ['IncomingPhoneNumbersCreate', 'IncomingPhoneNumbersUpdate', 'OutgoingCallerIdsUpdate']) {
      const properties = component(name).properties ?? {}
      expect(properties.Name, name).toBeDefined()
      expect(properties.FriendlyName?.description, name).toMatch(/^Twilio's name for Name/)
    }
  })

  it.each(ENTITY_NAMES)('%s: Sid is a required string and DateCreated a date-time', (name) => {
    const row = component(name)
    expect(row.required).toContain('Sid')
    expect(row.properties?.Sid?.type).toBe('string')
    const dateCreated = row.properties?.DateCreated
    expect(dateCreated?.format).toBe('date-time')
    expect([dateCreated?.type].flat()).toContain('string')
  })

  it('types Twilio\'s numeric strings as numbers (NumSegments is an integer)', () => {
    const numSegments = component('Messages').properties?.NumSegments
    expect([numSegments?.type].flat()).toContain('integer')
    expect([numSegments?.type].flat()).not.toContain('string')
    expect([component('Messages').properties?.Price?.type].flat()).toContain('number')
    expect([component('Feedback').properties?.QualityScore?.type].flat()).toContain('integer')
    expect(component('FeedbackCreate').properties?.QualityScore?.type).toBe('integer')
  })

  it('keeps read-only fields out of create inputs', () => {
    const create = Object.keys(component('MessagesCreate').properties ?? {})
    const readOnly = Object.entries(component('Messages').properties ?? {}).filter(([, property]) => property.readOnly).map(([field]) => field)
    expect(readOnly).toEqual(expect.arrayContaining(['DateCreated', 'NumSegments']))
    expect(create.filter((field) => readOnly.includes(field))).toEqual([])
  })
})
