/**
 * Create / update / action payloads → Twilio request parameters: what ajv cannot say about an input (Twilio's name
 * aliases, its one-of groups), and the split into form and path parameters.
 */
import type { FieldViolation } from '../errors.js'
import type { InputSchema } from './catalog.js'
import type { Fields } from './rows.js'

/** How the names of a payload are spelled in violations: `fields.From`, `parameters.CallSid`. */
export interface InputNaming {
  /** Where the payload sits in the request (`fields`, `parameters`). */
  root: string
  /** What one of its names is, for messages (`Messages field`, `SendMessage parameter`). */
  noun: string
}

/**
 * Renames Twilio's own input names to the canonical ones (`From` → `Sender`, `FriendlyName` → `Name`). Giving both
 * names with different values is a violation; with equal values they are one field.
 */
export function canonicalInput (aliases: ReadonlyMap<string, string>, fields: Fields, naming: InputNaming): { fields: Fields, violations: FieldViolation[] } {
  const canonical: Fields = {}
  const violations: FieldViolation[] = []
  for (const [name, value] of Object.entries(fields)) {
    const target = aliases.get(name)
    if (target === undefined) {
      if (!Object.hasOwn(canonical, name)) canonical[name] = value
    } else if (Object.hasOwn(fields, target) && !sameValue(fields[target], value)) {
      violations.push({ field: `${naming.root}.${name}`, description: `and ${naming.root}.${target} name the same ${naming.noun} with different values` })
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
export function missingOneOf (schema: InputSchema, fields: Fields, root: string): FieldViolation[] {
  return (schema['x-required-one-of'] ?? [])
    .filter((group) => !group.some((field) => fields[field] !== undefined))
    .map((group) => ({ field: root, description: `needs one of ${group.join(', ')}` }))
}

/**
 * The one-of groups of an input spelled out in JSON Schema (`allOf` of `anyOf` of `required`), for publishing;
 * `namesOf` gives the names a field may be sent under (with its aliases, where those are properties too).
 */
export function oneOfGroupsSchema (schema: InputSchema, namesOf: (field: string) => string[] = (field) => [field]): { allOf?: unknown[] } {
  const groups = schema['x-required-one-of'] ?? []
  return groups.length ? { allOf: groups.map((group) => ({ anyOf: group.flatMap(namesOf).map((name) => ({ required: [name] })) })) } : {}
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
