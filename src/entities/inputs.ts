/**
 * Create / update payloads → Twilio request parameters. Types are checked by ajv against the entity's input
 * schema before these run; what ajv cannot say (aliases, one-of groups) is checked here.
 */
import { InvalidArgumentError } from '../errors.js'
import type { EntityDefinition, InputSchema } from './catalog.js'
import type { Fields } from './rows.js'

/**
 * Renames Twilio's own input names to the canonical ones (`From` → `Sender`, `FriendlyName` → `Name`). Giving both
 * names with different values is refused; with equal values they are one field.
 */
export function canonicalInput (entity: EntityDefinition, fields: Fields): Fields {
  const canonical: Fields = {}
  for (const [name, value] of Object.entries(fields)) {
    const target = entity.aliases.get(name)
    if (target === undefined) {
      if (!(name in canonical)) canonical[name] = value
      continue
    }
    if (target in fields && !sameValue(fields[target], value)) {
      throw new InvalidArgumentError(`fields.${name} and fields.${target} name the same ${entity.name} field with different values`, [
        { field: `fields.${name}`, description: `alias of ${target}, which is also given with a different value` }
      ])
    }
    canonical[target] = value
  }
  return canonical
}

function sameValue (a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Enforces Twilio's one-of groups, e.g. a message needs one of Sender / MessagingServiceSid. */
export function checkRequiredOneOf (schema: InputSchema, fields: Fields): void {
  const violations = (schema['x-required-one-of'] ?? [])
    .filter((group) => !group.some((field) => fields[field] !== undefined))
    .map((group) => ({ field: 'fields', description: `one of ${group.join(', ')} is required` }))
  if (violations.length) {
    throw new InvalidArgumentError(`${schema.title} is missing ${violations.map((v) => v.description.replace(' is required', '')).join('; ')}`, violations)
  }
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
