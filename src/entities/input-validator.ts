/**
 * Validates write payloads against their input schemas — the one check every write goes through, whether it comes
 * from the v2 entity API, an action or another route. Answers the payload with canonical field names.
 */
import type { ValidateFunction } from 'ajv'
import type { FieldViolation } from '../errors.js'
import { InvalidArgumentError } from '../errors.js'
import { BODY_AJV_OPTIONS, createAjv, summarize, violationsFromAjv } from '../validation/ajv.js'
import type { EntityDefinition, InputSchema } from './catalog.js'
import { ENTITIES } from './catalog.js'
import { canonicalInput, missingOneOf, type InputNaming } from './inputs.js'
import type { Fields } from './rows.js'

export type WriteOperation = 'CREATE' | 'UPDATE'

/** An input schema with its compiled ajv check and its alias → canonical name map. */
export interface CompiledInput {
  schema: InputSchema
  validate: ValidateFunction
  aliases: ReadonlyMap<string, string>
}

/** How a check names and explains what it refuses. */
export interface InputCheckNaming extends InputNaming {
  /** Why a name the schema does not have is refused (`is read-only in Messages`). */
  unknownReason: (name: string) => string
}

/**
 * Checks a payload against an input: an object, Twilio's aliases renamed (both names with different values refused),
 * the schema (ajv) and its one-of groups. Answers the canonical payload and every violation at once.
 */
export function checkInput (input: CompiledInput, payload: unknown, naming: InputCheckNaming): { fields: Fields, violations: FieldViolation[] } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { fields: {}, violations: [{ field: naming.root, description: 'must be an object' }] }
  }
  const canonical = canonicalInput(input.aliases, payload as Fields, naming)
  const violations = [...canonical.violations]
  if (!input.validate(canonical.fields)) {
    violations.push(...violationsFromAjv(input.validate.errors, naming.root, naming.unknownReason))
  }
  violations.push(...missingOneOf(input.schema, canonical.fields, naming.root))
  return { fields: canonical.fields, violations }
}

/** Compiles input schemas with the gateway's strict body settings. */
export function inputCompiler (): (schema: InputSchema, aliases: ReadonlyMap<string, string>) => CompiledInput {
  const ajv = createAjv(BODY_AJV_OPTIONS)
  return (schema, aliases) => ({ schema, validate: ajv.compile(schema), aliases })
}

export class EntityInputValidator {
  readonly #inputs = new Map<string, CompiledInput>()

  constructor () {
    const compile = inputCompiler()
    for (const entity of ENTITIES.values()) {
      for (const [operation, schema] of [['CREATE', entity.create], ['UPDATE', entity.update]] as const) {
        if (schema) this.#inputs.set(`${entity.name}:${operation}`, compile(schema, entity.aliases))
      }
    }
  }

  /** Checks `fields` for a create or update of `entity`; throws INVALID_ARGUMENT naming every bad field at once. */
  parse (entity: EntityDefinition, operation: WriteOperation, fields: unknown): Fields {
    const input = this.#inputs.get(`${entity.name}:${operation}`)
    if (!input) throw new Error(`${entity.name} has no ${operation} schema`)
    const checked = checkInput(input, fields, {
      root: 'fields',
      noun: `${entity.name} field`,
      unknownReason: (name) => unknownFieldReason(entity, operation, name)
    })
    const violations = checked.violations
    if (operation === 'UPDATE' && violations.length === 0 && Object.keys(checked.fields).length === 0) {
      violations.push({ field: 'fields', description: `must name at least one field to change: ${Object.keys(input.schema.properties).join(', ')}` })
    }
    if (violations.length) {
      throw new InvalidArgumentError(`Invalid ${entity.name} ${operation.toLowerCase()} payload: ${summarize(violations)}`, violations)
    }
    return checked.fields
  }
}

function unknownFieldReason (entity: EntityDefinition, operation: WriteOperation, name: string): string {
  const accepts = (schema: InputSchema | undefined): boolean => schema?.properties[name] !== undefined
  if (operation === 'UPDATE' && accepts(entity.create)) return `can be set when ${entity.name} are created, not updated`
  if (operation === 'CREATE' && accepts(entity.update)) return `can be set when ${entity.name} are updated, not created`
  if (entity.fields[name]) return `is read-only in ${entity.name}`
  return `is not a field of ${entity.name}`
}
