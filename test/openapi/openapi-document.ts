/**
 * Shared by the OpenAPI tests: a gateway built only to serve `/openapi.json`, the document it publishes, and the
 * entity schemas under `schemas/` that the document must agree with (read from disk, independently of `src/`).
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { MemoryConnectionRegistry } from '../../src/connections/registry.js'
import { MemorySecretStore } from '../../src/secrets/secret-store.js'

export const ADMIN_TOKEN = 'openapi-test-admin-token-0123456789'

/** The connection prefix of every runtime path, as the document spells it. */
export const CONNECTION_TEMPLATE = '/v2/projects/{project}/locations/{location}/connections/{connection}'

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const
export type HttpMethod = typeof HTTP_METHODS[number]

export interface SchemaObject {
  $ref?: string
  type?: string | string[]
  format?: string
  properties?: Record<string, SchemaObject>
  required?: string[]
  items?: SchemaObject
  additionalProperties?: boolean | SchemaObject
  deprecated?: boolean
  readOnly?: boolean
  pattern?: string
  [keyword: string]: unknown
}

export interface MediaTypeObject { schema?: SchemaObject }
export interface ResponseObject { description: string, content?: Record<string, MediaTypeObject> }
export interface ParameterObject { name: string, in: string, required?: boolean, schema?: SchemaObject }
export type SecurityRequirement = Record<string, string[]>

export interface OperationObject {
  operationId?: string
  deprecated?: boolean
  tags?: string[]
  parameters?: ParameterObject[]
  requestBody?: { required?: boolean, content: Record<string, MediaTypeObject> }
  responses: Record<string, ResponseObject>
  security?: SecurityRequirement[]
}

export type PathItemObject = Partial<Record<HttpMethod, OperationObject>>

export interface OpenApiDocument {
  openapi: string
  info: { title: string, version: string }
  paths: Record<string, PathItemObject>
  components: {
    schemas: Record<string, SchemaObject>
    securitySchemes?: Record<string, { type: string, scheme?: string }>
  }
  security?: SecurityRequirement[]
  [key: string]: unknown
}

/** Builds the gateway (no connections: the document does not need any) and waits until it is ready. */
export async function startDocumentGateway (): Promise<FastifyInstance> {
  const app = await buildApp({
    adminToken: ADMIN_TOKEN,
    connections: new MemoryConnectionRegistry(),
    secrets: new MemorySecretStore(),
    pageTokenKey: randomBytes(32)
  })
  await app.ready()
  return app
}

/** `GET /openapi.json` without credentials, as a user's code generator fetches it. */
export async function fetchDocument (app: FastifyInstance): Promise<OpenApiDocument> {
  const response = await app.inject({ method: 'GET', url: '/openapi.json' })
  if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}: ${response.body}`)
  return response.json<OpenApiDocument>()
}

/** Every operation of the document with its path and method. */
export function operationsOf (document: OpenApiDocument): Array<{ path: string, method: HttpMethod, operation: OperationObject }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => {
      const operation = item[method]
      return operation ? [{ path, method, operation }] : []
    }))
}

/** The component a `#/components/schemas/<name>` reference names, or undefined for anything else. */
export function componentName (schema: SchemaObject | undefined): string | undefined {
  const match = /^#\/components\/schemas\/([^/]+)$/.exec(schema?.$ref ?? '')
  return match?.[1]
}

/** The JSON schema of a request body or response, as the document publishes it. */
export function jsonSchemaOf (part: { content?: Record<string, MediaTypeObject> } | undefined): SchemaObject | undefined {
  return part?.content?.['application/json']?.schema
}

// ---- schemas/<Entity>.json: the source of truth for the entities ----

export interface EntityInputSchema {
  properties: Record<string, SchemaObject>
  required?: string[]
  additionalProperties?: boolean
}

export interface EntitySchemaFile {
  name: string
  deprecated?: boolean
  'x-entity': { operations: string[], idPattern: string }
  required: string[]
  properties: Record<string, SchemaObject>
  $defs: { Create?: EntityInputSchema, Update?: EntityInputSchema, CreateResult?: { properties: Record<string, SchemaObject> } }
}

const SCHEMAS_DIR = new URL('../../schemas/', import.meta.url)

/** Every `schemas/<Entity>.json`, named by its file. */
export function readEntitySchemas (): EntitySchemaFile[] {
  return readdirSync(SCHEMAS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ ...JSON.parse(readFileSync(new URL(file, SCHEMAS_DIR), 'utf8')), name: file.slice(0, -'.json'.length) }))
}

/** Where each of Google's entity operations lives: on the collection or on one entity. */
export const OPERATION_ROUTES: Record<string, { method: HttpMethod, item: boolean }> = {
  LIST: { method: 'get', item: false },
  CREATE: { method: 'post', item: false },
  GET: { method: 'get', item: true },
  UPDATE: { method: 'patch', item: true },
  DELETE: { method: 'delete', item: true }
}

export function collectionPath (entity: string): string {
  return `${CONNECTION_TEMPLATE}/entityTypes/${entity}/entities`
}

export function itemPath (entity: string): string {
  return `${collectionPath(entity)}/{entityId}`
}
