/**
 * The seven entity types, read from their JSON Schemas under `schemas/` (derived from Twilio's OpenAPI spec by
 * `scripts/derive-schemas.ts`). Everything the gateway says about an entity — its fields, inputs, operations,
 * id format and deprecation — comes from these documents.
 */
import calls from '../../schemas/Calls.json' with { type: 'json' }
import feedback from '../../schemas/Feedback.json' with { type: 'json' }
import feedbackSummary from '../../schemas/FeedbackSummary.json' with { type: 'json' }
import incomingPhoneNumbers from '../../schemas/IncomingPhoneNumbers.json' with { type: 'json' }
import messages from '../../schemas/Messages.json' with { type: 'json' }
import outgoingCallerIds from '../../schemas/OutgoingCallerIds.json' with { type: 'json' }
import recordings from '../../schemas/Recordings.json' with { type: 'json' }

export const ENTITY_NAMES = [
  'Recordings', 'Calls', 'Feedback', 'FeedbackSummary', 'Messages', 'IncomingPhoneNumbers', 'OutgoingCallerIds'
] as const
export type EntityName = typeof ENTITY_NAMES[number]

/** Google's entity operations (`EntityType.operations`). */
export const OPERATIONS = ['LIST', 'GET', 'CREATE', 'UPDATE', 'DELETE'] as const
export type Operation = typeof OPERATIONS[number]

/**
 * A Twilio list filter that conditions on `field` are sent to (`param`, `param<`, `param>`), and how it matches:
 * `equals`, `address` (equals, but not for channel addresses such as `whatsapp:+1…`), `contains` or `day` (whole UTC
 * days). What Twilio returns is always refined by the gateway, so a filter only needs to return a superset.
 */
export interface PushDownFilter { field: string, param: string, match: 'equals' | 'address' | 'contains' | 'day' }

/** A JSON Schema property of an entity document, with the gateway's `x-` annotations. */
export interface PropertySchema {
  type?: string | string[]
  format?: string
  enum?: unknown[]
  pattern?: string
  description?: string
  readOnly?: boolean
  items?: PropertySchema
  additionalProperties?: boolean | PropertySchema
  /** Twilio's response field name (`date_created`). */
  'x-twilio-name'?: string
  /** Twilio's request parameter name (`From`). */
  'x-twilio-param'?: string
  /** `path` when the input travels in the upstream URL rather than the form body. */
  'x-twilio-in'?: 'path'
  /** Twilio's own names accepted as input aliases (`From` for `Sender`). */
  'x-aliases'?: string[]
  /** A Google data type that the JSON type alone cannot say (`DECIMAL`). */
  'x-data-type'?: string
  [keyword: string]: unknown
}

/** The JSON types a property allows (`type` may be one name or a list). */
export function typesOf (property: PropertySchema): string[] {
  return Array.isArray(property.type) ? property.type : property.type ? [property.type] : []
}

/** The schema of a create or update payload (`fields` of the request's Entity). */
export interface InputSchema {
  title: string
  description: string
  type: 'object'
  additionalProperties: false
  properties: Record<string, PropertySchema>
  required?: string[]
  /** Groups of which at least one field must be given (Twilio's `x-twilio.conditional`). */
  'x-required-one-of'?: string[][]
}

export interface EntitySchemaDocument {
  $id: string
  title: string
  description: string
  deprecated?: boolean
  type: 'object'
  'x-entity': {
    key: string
    idPattern: string
    operations: string[]
    defaultOrder?: string
    deprecation?: string
    pushDown?: PushDownFilter[]
    twilio: { spec: string, resource: string }
  }
  required: string[]
  properties: Record<string, PropertySchema>
  $defs: { Create?: InputSchema, Update?: InputSchema, CreateResult?: { title: string, type: 'object', properties: Record<string, PropertySchema> } }
}

/** One entity type as the gateway uses it. */
export interface EntityDefinition {
  name: EntityName
  document: EntitySchemaDocument
  operations: readonly Operation[]
  idPattern: RegExp
  /** The fields of a row, as List and Get return them. */
  fields: Record<string, PropertySchema>
  create?: InputSchema
  update?: InputSchema
  /** Fields of what Create answers when it is not a row (OutgoingCallerIds: the validation request). */
  createResult?: Record<string, PropertySchema>
  /** Input alias → canonical field name (`From` → `Sender`). */
  aliases: ReadonlyMap<string, string>
  /** The Twilio list filters conditions can use, by field. */
  pushDown: ReadonlyMap<string, PushDownFilter>
  deprecation?: string
}

const DOCUMENTS: Record<EntityName, unknown> = {
  Recordings: recordings,
  Calls: calls,
  Feedback: feedback,
  FeedbackSummary: feedbackSummary,
  Messages: messages,
  IncomingPhoneNumbers: incomingPhoneNumbers,
  OutgoingCallerIds: outgoingCallerIds
}

/** Alias → canonical name, from the `x-aliases` of the inputs' properties (`From` → `Sender`). */
export function aliasesOf (...inputs: Array<InputSchema | undefined>): Map<string, string> {
  const aliases = new Map<string, string>()
  for (const input of inputs) {
    for (const [field, property] of Object.entries(input?.properties ?? {})) {
      for (const alias of property['x-aliases'] ?? []) aliases.set(alias, field)
    }
  }
  return aliases
}

function define (name: EntityName, document: EntitySchemaDocument): EntityDefinition {
  const operations = document['x-entity'].operations.map((operation) => {
    if (!(OPERATIONS as readonly string[]).includes(operation)) throw new Error(`${name}: unknown operation ${operation}`)
    return operation as Operation
  })
  return {
    name,
    document,
    operations,
    idPattern: new RegExp(document['x-entity'].idPattern),
    fields: document.properties,
    create: document.$defs.Create,
    update: document.$defs.Update,
    createResult: document.$defs.CreateResult?.properties,
    aliases: aliasesOf(document.$defs.Create, document.$defs.Update),
    pushDown: new Map((document['x-entity'].pushDown ?? []).map((filter) => [filter.field, filter])),
    deprecation: document['x-entity'].deprecation
  }
}

export const ENTITIES: ReadonlyMap<EntityName, EntityDefinition> = new Map(
  ENTITY_NAMES.map((name) => [name, define(name, DOCUMENTS[name] as EntitySchemaDocument)])
)

/** The field a name stands for: a field name or one of Twilio's input aliases (`From`), either case-insensitive. */
export function fieldNamed (entity: EntityDefinition, name: string): string | undefined {
  const lower = name.toLowerCase()
  const field = Object.keys(entity.fields).find((known) => known.toLowerCase() === lower)
  if (field) return field
  for (const [alias, canonical] of entity.aliases) if (alias.toLowerCase() === lower) return canonical
  return undefined
}

export function isEntityName (name: string): name is EntityName {
  return ENTITIES.has(name as EntityName)
}

export function entity (name: EntityName): EntityDefinition {
  return ENTITIES.get(name)!
}
