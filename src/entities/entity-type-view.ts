/**
 * Google's v2 `EntityType` for an entity definition: its fields (name, dataType, key, nullable, description),
 * its JSON schema in Google's dialect (`type` always an array, `jdbcType` on every property) and its operations.
 * Input-only fields (e.g. a call's `Url`) are listed too, marked `writeOnly`, so a workflow builder sees what a
 * create or update accepts. Each field's `additionalDetails` says whether conditions on it are pushed down to a Twilio
 * list filter (`filterPushDown`, `twilioFilter`); conditions on the others are evaluated by the gateway.
 */
import { typesOf, type EntityDefinition, type PropertySchema, type PushDownFilter } from './catalog.js'

export interface FieldView {
  name: string
  dataType: string
  key: boolean
  nullable: boolean
  description: string
  additionalDetails: Record<string, unknown>
}

export interface EntityTypeView {
  name: string
  fields?: FieldView[]
  jsonSchema?: Record<string, unknown>
  operations?: string[]
  metadata?: Record<string, Record<string, unknown>>
}

/** Google's `DataType` for a property. */
export function dataTypeOf (property: PropertySchema): string {
  if (property['x-data-type']) return property['x-data-type']
  const types = typesOf(property).filter((type) => type !== 'null')
  switch (types[0]) {
    case 'string':
      return property.format === 'date-time' ? 'TIMESTAMP' : property.format === 'date' ? 'DATE' : 'VARCHAR'
    case 'integer': return 'INTEGER'
    case 'number': return 'DOUBLE'
    case 'boolean': return 'BOOLEAN'
    case 'array': return 'ARRAY'
    case 'object': return 'STRUCT'
    default: return 'JAVA_OBJECT'
  }
}

/** The input-side facts of one field, for `additionalDetails`. */
interface Writability { createable: boolean, updatable: boolean, requiredOnCreate: boolean, aliases: string[], twilioParam?: string }

function writability (entity: EntityDefinition, field: string): Writability {
  const onCreate = entity.create?.properties[field]
  const onUpdate = entity.update?.properties[field]
  return {
    createable: onCreate !== undefined,
    updatable: onUpdate !== undefined,
    requiredOnCreate: entity.create?.required?.includes(field) ?? false,
    aliases: (onCreate ?? onUpdate)?.['x-aliases'] ?? [],
    twilioParam: (onCreate ?? onUpdate)?.['x-twilio-param']
  }
}

/** What a condition on the field sends Twilio: its list filter and how that filter matches (see query/push-down.ts). */
function pushDownDetails (entity: EntityDefinition, field: string): Record<string, unknown> {
  const filter = entity.pushDown.get(field)
  if (!filter) return { filterPushDown: false }
  return {
    filterPushDown: true,
    twilioFilter: filter.match === 'day' ? [filter.param, `${filter.param}<`, `${filter.param}>`] : [filter.param],
    twilioFilterMatch: PUSH_DOWN_MATCH[filter.match]
  }
}

const PUSH_DOWN_MATCH: Record<PushDownFilter['match'], string> = {
  equals: '= (exact)',
  address: '= (exact; a channel address such as whatsapp:+1… is filtered by the gateway)',
  contains: '= (Twilio matches part of the number; the gateway keeps exact matches)',
  day: '<, <=, =, >=, > (Twilio filters whole UTC days; the gateway keeps exact matches)'
}

/** Whether a property's value may be null (or has no type at all). */
export function nullableOf (property: PropertySchema): boolean {
  const types = typesOf(property)
  return types.length === 0 || types.includes('null')
}

/** A property in Google's JsonSchema dialect: `type` always an array, `jdbcType` its Google data type, no `x-` keywords. */
export function googleJsonSchema (property: PropertySchema, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const types = typesOf(property)
  if (types.length) out.type = types
  for (const keyword of ['format', 'enum', 'pattern', 'description', 'minimum', 'maximum'] as const) {
    if (property[keyword] !== undefined) out[keyword] = property[keyword]
  }
  if (property.items) out.items = googleJsonSchema(property.items)
  out.jdbcType = dataTypeOf(property)
  return { ...out, ...extra }
}

function inputOnlyFields (entity: EntityDefinition): Array<[string, PropertySchema]> {
  const seen = new Set(Object.keys(entity.fields))
  const inputs: Array<[string, PropertySchema]> = []
  for (const schema of [entity.create, entity.update]) {
    for (const [field, property] of Object.entries(schema?.properties ?? {})) {
      if (!seen.has(field)) {
        seen.add(field)
        inputs.push([field, property])
      }
    }
  }
  return inputs
}

export function entityTypeView (entity: EntityDefinition, view: 'BASIC' | 'FULL'): EntityTypeView {
  if (view === 'BASIC') return { name: entity.name }
  const key = entity.document['x-entity'].key
  const fields: FieldView[] = []
  const properties: Record<string, unknown> = {}
  const describe = (field: string, property: PropertySchema, writeOnly: boolean): void => {
    const input = writability(entity, field)
    const readOnly = property.readOnly === true
    fields.push({
      name: field,
      dataType: dataTypeOf(property),
      key: field === key,
      nullable: field !== key && (writeOnly ? !input.requiredOnCreate : nullableOf(property)),
      description: property.description ?? '',
      additionalDetails: {
        ...(property['x-twilio-name'] ? { twilioName: property['x-twilio-name'] } : {}),
        ...pushDownDetails(entity, field),
        ...(input.twilioParam ? { twilioParameter: input.twilioParam } : {}),
        ...(input.aliases.length ? { aliases: input.aliases } : {}),
        readOnly,
        writeOnly,
        createable: input.createable,
        updatable: input.updatable,
        requiredOnCreate: input.requiredOnCreate
      }
    })
    properties[field] = googleJsonSchema(property, readOnly ? { readOnly: true } : writeOnly ? { writeOnly: true } : {})
  }
  for (const [field, property] of Object.entries(entity.fields)) describe(field, property, false)
  for (const [field, property] of inputOnlyFields(entity)) describe(field, property, true)
  return {
    name: entity.name,
    fields,
    jsonSchema: { type: ['object'], description: entity.document.description, properties, required: [key] },
    operations: [...entity.operations],
    ...(entity.deprecation ? { metadata: { deprecation: { deprecated: true, message: entity.deprecation } } } : {})
  }
}
