/**
 * Fastify's schema compilers. Validators: strict ajv for request bodies (no coercion, every error reported),
 * coercing ajv for path and query parameters — except bodies whose content a service validates itself (entity
 * payloads, connections), for which Fastify only checks the envelope.
 */
import type { FastifySchemaCompiler } from 'fastify'
import fastJsonStringify from 'fast-json-stringify'
import { InvalidArgumentError } from '../errors.js'
import { BODY_AJV_OPTIONS, PARAMS_AJV_OPTIONS, createAjv } from './ajv.js'

type Schema = Record<string, unknown>

/** A check of a request body whose content a service validates itself (Fastify only checks its envelope). */
export type BodyCheck = (data: unknown) => { value: unknown } | { error: Error }

/**
 * @param serviceValidated request body schema ids → the envelope check Fastify applies to them; the services
 *   validate the content (the entity input validator, the connection validator), so the rules live in one place.
 */
export function buildValidatorCompilers (serviceValidated: ReadonlyMap<string, BodyCheck>): unknown {
  return (externalSchemas: Record<string, Schema>): FastifySchemaCompiler<Schema> => {
    const bodies = createAjv(BODY_AJV_OPTIONS)
    const parameters = createAjv(PARAMS_AJV_OPTIONS)
    for (const schema of Object.values(externalSchemas)) {
      bodies.addSchema(schema)
      parameters.addSchema(schema)
    }
    return ({ schema, httpPart }) => {
      if (httpPart === 'body') {
        const ref = typeof schema.$ref === 'string' ? schema.$ref.replace(/#$/, '') : undefined
        const check = ref === undefined ? undefined : serviceValidated.get(ref)
        return check ?? bodies.compile(schema)
      }
      return parameters.compile(schema)
    }
  }
}

/** An envelope check: the body must be a JSON object (with `required` keys). */
export function objectBody (what: string, required: string[] = []): BodyCheck {
  return (data) => {
    if (typeof data === 'object' && data !== null && !Array.isArray(data) && required.every((key) => key in data)) return { value: data }
    const example = required.length ? `{${required.map((key) => `"${key}": …`).join(', ')}}` : '{…}'
    return {
      error: new InvalidArgumentError(`The body must be ${what}, a JSON object of the form ${example}`,
        (required.length ? required : ['body']).map((field) => ({ field, description: required.length ? 'is required' : 'must be a JSON object' })))
    }
  }
}

/** Every shared schema `schema` references, directly or through other shared schemas. */
function referencedSchemas (schema: unknown, external: Record<string, Schema>, found: Record<string, Schema> = {}): Record<string, Schema> {
  if (Array.isArray(schema)) {
    for (const item of schema) referencedSchemas(item, external, found)
  } else if (typeof schema === 'object' && schema !== null) {
    for (const [key, value] of Object.entries(schema)) {
      if (key === '$ref' && typeof value === 'string') {
        const id = value.split('#')[0]!
        const target = external[id]
        if (target && !found[id]) {
          found[id] = target
          referencedSchemas(target, external, found)
        }
      } else {
        referencedSchemas(value, external, found)
      }
    }
  }
  return found
}

/**
 * Response serialisers (fast-json-stringify), compiled once per distinct response schema and given only the shared
 * schemas it references: every route answers errors with the same GoogleRpcStatus schema, and compiling it per
 * route with every shared schema made start-up take seconds.
 */
export function buildSerializerCompilers (): unknown {
  return (externalSchemas: Record<string, Schema>, options: Record<string, unknown> = {}) => {
    const compiled = new Map<string, (data: unknown) => string>()
    return ({ schema }: { schema: Schema }): ((data: unknown) => string) => {
      const key = JSON.stringify(schema)
      let serialize = compiled.get(key)
      if (!serialize) {
        serialize = fastJsonStringify(schema as never, { ...options, schema: referencedSchemas(schema, externalSchemas) as never }) as (data: unknown) => string
        compiled.set(key, serialize)
      }
      return serialize
    }
  }
}
