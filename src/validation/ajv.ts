/**
 * The gateway's ajv set-up and the translation of ajv errors into `google.rpc.BadRequest` field violations.
 */
import AjvModule, { type ErrorObject, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FieldViolation } from '../errors.js'

// ajv and ajv-formats are CommonJS modules whose default export is the `default` property under NodeNext.
const Ajv = AjvModule.default
const addFormats = addFormatsModule.default
export type AjvInstance = InstanceType<typeof Ajv>

/** Annotation keywords the entity schemas carry (see `entities/catalog.ts`); ajv ignores them. */
const ANNOTATIONS = ['x-twilio-name', 'x-twilio-param', 'x-twilio-in', 'x-aliases', 'x-data-type', 'x-required-one-of', 'x-entity']

export function createAjv (options: Options): AjvInstance {
  const ajv = new Ajv({ strict: true, ...options })
  addFormats(ajv)
  for (const keyword of ANNOTATIONS) ajv.addKeyword({ keyword, schemaType: ['string', 'array', 'object', 'boolean'] })
  return ajv
}

/** Strict settings for request bodies: no type coercion, nothing silently removed, every problem reported. */
export const BODY_AJV_OPTIONS: Options = { coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: true }
/** Settings for path and query parameters, which arrive as strings. */
export const PARAMS_AJV_OPTIONS: Options = { coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false }

function fieldPath (root: string, instancePath: string, property?: string): string {
  const parts = instancePath.split('/').filter(Boolean).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (property !== undefined) parts.push(property)
  return [root, ...parts].filter(Boolean).join('.')
}

function describe (error: ErrorObject): string {
  switch (error.keyword) {
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`
    case 'pattern':
      return `must match the pattern ${String(error.params.pattern)}`
    case 'format':
      return `must be a valid ${String(error.params.format)}`
    case 'required':
      return 'is required'
    default:
      return error.message ?? 'is invalid'
  }
}

/**
 * Turns ajv errors into field violations named from `root` (e.g. `fields.QualityScore`). `unknownField` explains
 * a property the schema does not allow.
 */
export function violationsFromAjv (
  errors: ErrorObject[] | null | undefined,
  root: string,
  unknownField: (name: string) => string = () => 'is not a known field'
): FieldViolation[] {
  const violations: FieldViolation[] = []
  for (const error of errors ?? []) {
    if (error.keyword === 'additionalProperties') {
      const name = String(error.params.additionalProperty)
      violations.push({ field: fieldPath(root, error.instancePath, name), description: unknownField(name) })
    } else if (error.keyword === 'required') {
      violations.push({ field: fieldPath(root, error.instancePath, String(error.params.missingProperty)), description: 'is required' })
    } else {
      violations.push({ field: fieldPath(root, error.instancePath), description: describe(error) })
    }
  }
  return violations
}

export function summarize (violations: FieldViolation[]): string {
  return violations.map((violation) => `${violation.field} ${violation.description}`).join('; ')
}
