/**
 * Create / update payloads → Twilio request parameters: what ajv cannot say about an input (Twilio's name aliases,
 * its one-of groups), and the split into form and path parameters.
 */
import type { FieldViolation } from '../errors.js'
import type { EntityDefinition, InputSchema } from './catalog.js'
import type { Fields } from './rows.js'

/**
 * Renames Twilio's own input names to the canonical ones (`From` → `Sender`, `FriendlyName` → `Name`). Giving both
 * names with different values is a violation; with equal values they are one field.
 */
export function canonicalInput (entity: EntityDefinition, fields: Fields): { fields: Fields, violations: FieldViolation[] } {
  const canonical: Fields = {}
  const violations: FieldViolation[] = []
  for (const [name, value] of Object.entries(fields)) {
    const target = entity.aliases.get(name)
    if (target === undefined) {
      if (!(name in canonical)) canonical[name] = value
    } else if (target in fields && !sameValue(fields[target], value)) {
      violations.push({ field: `fields.${name}`, description: `and fields.${target} name the same ${entity.name} field with different values` })
    } else {
      canonical[target] = value
    }
  }
  return { fields: canonical, violations }
}

function sameValue (a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Twilio's one-of groups the fields leave unsatisfied, e.g. a message needs one of Sender / MessagingServiceSid. */
export function missingOneOf (schema: InputSchema, fields: Fields): FieldViolation[] {
  return (schema['x-required-one-of'] ?? [])
    .filter((group) => !group.some((field) => fields[field] !== undefined))
    .map((group) => ({ field: 'fields', description: `needs one of ${group.join(', ')}` }))
}

export interface TwilioParams {
  /** Form parameters by Twilio's PascalCase name (`From`, `StatusCallback`). */
  form: Record<string, unknown>
  /** Values that go into the upstream path (`CallSid`). */
  path: Record<string, string>
}

/** Splits validated input fields into Twilio's form and path parameters. */
export function toTwilioParams (schema: InputSchema, fields: Fields): TwilioParams {
  const params: TwilioParams = { form: {}, path: {} }
  for (const [field, value] of Object.entries(fields)) {
    const property = schema.properties[field]
    if (!property || value === undefined) continue
    const name = property['x-twilio-param'] ?? field
    if (property['x-twilio-in'] === 'path') params.path[name] = String(value)
    else params.form[name] = value
  }
  return params
}
