/**
 * Validates create and update payloads against the entity's input schema — the one check every write goes
 * through, whether it comes from the v2 entity API or another route. Returns the payload with canonical field names.
 */
import type { ValidateFunction } from 'ajv'
import { InvalidArgumentError } from '../errors.js'
import { BODY_AJV_OPTIONS, createAjv, summarize, violationsFromAjv } from '../validation/ajv.js'
import type { EntityDefinition, InputSchema } from './catalog.js'
import { ENTITIES } from './catalog.js'
import { canonicalInput, missingOneOf } from './inputs.js'
import type { Fields } from './rows.js'

export type WriteOperation = 'CREATE' | 'UPDATE'

export class EntityInputValidator {
  readonly #validators = new Map<string, ValidateFunction>()

  constructor () {
    const ajv = createAjv(BODY_AJV_OPTIONS)
    for (const entity of ENTITIES.values()) {
      for (const [operation, schema] of [['CREATE', entity.create], ['UPDATE', entity.update]] as const) {
        if (schema) this.#validators.set(`${entity.name}:${operation}`, ajv.compile(schema))
      }
    }
  }

  /** Checks `fields` for a create or update of `entity`; throws INVALID_ARGUMENT naming every bad field at once. */
  parse (entity: EntityDefinition, operation: WriteOperation, fields: unknown): Fields {
    const schema = operation === 'CREATE' ? entity.create : entity.update
    const validate = this.#validators.get(`${entity.name}:${operation}`)
    if (!schema || !validate) throw new Error(`${entity.name} has no ${operation} schema`)
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw new InvalidArgumentError('fields must be an object of entity fields', [{ field: 'fields', description: 'must be an object' }])
    }
    const canonical = canonicalInput(entity, fields as Fields)
    const violations = [...canonical.violations]
    if (!validate(canonical.fields)) {
      violations.push(...violationsFromAjv(validate.errors, 'fields', (name) => unknownFieldReason(entity, operation, name)))
    }
    violations.push(...missingOneOf(schema, canonical.fields))
    if (operation === 'UPDATE' && Object.keys(fields).length === 0 && violations.length === 0) {
      violations.push({ field: 'fields', description: `must name at least one field to change: ${Object.keys(schema.properties).join(', ')}` })
    }
    if (violations.length) {
      throw new InvalidArgumentError(`Invalid ${entity.name} ${operation.toLowerCase()} payload: ${summarize(violations)}`, violations)
    }
    return canonical.fields
  }
}

function unknownFieldReason (entity: EntityDefinition, operation: WriteOperation, name: string): string {
  const accepts = (schema: InputSchema | undefined): boolean => schema?.properties[name] !== undefined
  if (operation === 'UPDATE' && accepts(entity.create)) return `can be set when ${entity.name} are created, not updated`
  if (operation === 'CREATE' && accepts(entity.update)) return `can be set when ${entity.name} are updated, not created`
  if (entity.fields[name]) return `is read-only in ${entity.name}`
  return `is not a field of ${entity.name}`
}
