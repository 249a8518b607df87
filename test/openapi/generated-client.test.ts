/**
 * A client generated from the gateway's OpenAPI document, as users generate one: openapi-typescript turns
 * `GET /openapi.json` into types, and `fixtures/client-usage.ts` uses them through openapi-fetch to call every
 * published entity operation with the payloads users send. The generated types and the usage must type-check
 * strictly; the calls the types must reject (`@ts-expect-error`) must be errors; and the client, run against the
 * gateway, must reach a route for every operation with payloads the gateway accepts.
 *
 * The generated files live in a git-ignored folder inside the project (`test/.generated/`), so that `openapi-fetch`
 * resolves from the project's node_modules, and are removed afterwards.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { FastifyInstance, InjectOptions } from 'fastify'
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, fetchDocument, operationsOf, startDocumentGateway, type OpenApiDocument } from './openapi-document.js'

const TIMEOUT_MS = 60_000
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const GENERATED_ROOT = join(ROOT, 'test', '.generated')
const GENERATED = join(GENERATED_ROOT, `openapi-client-${process.pid}-${randomUUID().slice(0, 8)}`)
const SCHEMA_FILE = join(GENERATED, 'schema.d.ts')
const USAGE_FILE = join(GENERATED, 'client-usage.ts')
/** The usage without its `@ts-expect-error` directives: type-checked in memory only, never written to disk. */
const PROBE_FILE = join(GENERATED, 'client-misuse-probe.ts')

const TEMPLATE = readFileSync(new URL('./fixtures/client-usage.ts', import.meta.url), 'utf8')
const NOCHECK = '// @ts-nocheck'
/** The template as it runs: its `@ts-nocheck` line blanked (line numbers stay those of the fixture). */
const USAGE_SOURCE = TEMPLATE.replace(/^\/\/ @ts-nocheck/, '// (copied from test/openapi/fixtures/client-usage.ts)')
const PROBE_SOURCE = USAGE_SOURCE.replaceAll('// @ts-expect-error', '// expected error:')
/** The misuse lines (0-based: the line after each `@ts-expect-error [TS<code>: <text>]`) and the error each must raise. */
const EXPECTED_ERRORS = USAGE_SOURCE.split('\n').flatMap((line, index) => {
  if (!line.trim().startsWith('// @ts-expect-error')) return []
  const tag = /\[TS(\d+): ([^\]]+)\]/.exec(line)
  if (!tag) throw new Error(`fixture line ${index + 1}: @ts-expect-error without a [TS<code>: <text>] tag`)
  return [{ line: index + 1, code: Number(tag[1]), text: tag[2]!, directive: line.trim() }]
})

const CONNECTION_NAME = 'projects/my-project/locations/us-central1/connections/twilio'

interface RecordedRequest { method: string, path: string, query: URLSearchParams, contentType: string | null, body: unknown }
interface Outcome { operationId: string, status: number, error?: { code: number, message: string, status: string } }
/** What `client-usage.ts` exports. */
interface UsageModule {
  gatewayClient (fetch: (request: Request) => Promise<Response>, token: string): unknown
  callEveryOperation (client: unknown): Promise<Outcome[]>
}

let app: FastifyInstance
let document: OpenApiDocument
let generatedTypes: string

/** Type-checks the generated types, the usage and (in memory) the probe with the project's strict options. */
function typeCheck (): { usage: readonly ts.Diagnostic[], probe: readonly ts.Diagnostic[] } {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile)
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'))
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT)
  const strictOptions: ts.CompilerOptions = {
    ...options,
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    // The generated types are a declaration file: check it too.
    skipLibCheck: false,
    noEmit: true,
    incremental: false,
    composite: false,
    sourceMap: false
  }
  const host = ts.createCompilerHost(strictOptions, true)
  const { fileExists, readFile, getSourceFile } = host
  const virtual = new Map([[PROBE_FILE, PROBE_SOURCE]])
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file)
  host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file)
  host.getSourceFile = (file, language, onError, shouldCreate) => {
    const text = virtual.get(file)
    return text === undefined ? getSourceFile.call(host, file, language, onError, shouldCreate) : ts.createSourceFile(file, text, language, true)
  }
  const program = ts.createProgram({ rootNames: [SCHEMA_FILE, USAGE_FILE, PROBE_FILE], options: strictOptions, host })
  const diagnosticsOf = (file: string): ts.Diagnostic[] => {
    const source = program.getSourceFile(file)
    if (!source) throw new Error(`${file} is not part of the program`)
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
  }
  const general = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]
  return { usage: [...general, ...diagnosticsOf(SCHEMA_FILE), ...diagnosticsOf(USAGE_FILE)], probe: diagnosticsOf(PROBE_FILE) }
}

function format (diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (file) => file,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => '\n'
  })
}

/** A `fetch` that hands openapi-fetch's requests to the gateway through `inject`, recording them. */
function injectingFetch (requests: RecordedRequest[]): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url)
    const text = request.body ? await request.text() : undefined
    requests.push({
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      contentType: request.headers.get('content-type'),
      body: text ? JSON.parse(text) : undefined
    })
    const headers: Record<string, string> = {}
    request.headers.forEach((value, key) => { headers[key] = value })
    const answer = await app.inject({
      method: request.method as InjectOptions['method'],
      url: url.pathname + url.search,
      headers,
      ...(text === undefined ? {} : { payload: text })
    })
    const responseHeaders = new Headers()
    for (const [key, value] of Object.entries(answer.headers)) {
      if (value !== undefined) responseHeaders.set(key, Array.isArray(value) ? value.join(', ') : String(value))
    }
    return new Response(answer.statusCode === 204 ? null : answer.body, { status: answer.statusCode, headers: responseHeaders })
  }
}

/** Matches a concrete path against a document path template (`…/{entityId}`). */
function matchesTemplate (path: string, template: string): boolean {
  const source = template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+')
  return new RegExp(`^${source}$`).test(path)
}

describe('a client generated from /openapi.json', () => {
  beforeAll(async () => {
    expect(TEMPLATE.startsWith(NOCHECK), 'the fixture must start with // @ts-nocheck').toBe(true)
    app = await startDocumentGateway()
    document = await fetchDocument(app)
    generatedTypes = astToString(await openapiTS(document as unknown as OpenAPI3, { silent: true }))
    mkdirSync(GENERATED, { recursive: true })
    // Types first, usage second (and removed in the reverse order): the usage never exists without its types.
    writeFileSync(SCHEMA_FILE, generatedTypes)
    writeFileSync(USAGE_FILE, USAGE_SOURCE)
  }, TIMEOUT_MS)

  afterAll(async () => {
    rmSync(USAGE_FILE, { force: true })
    rmSync(GENERATED, { recursive: true, force: true })
    try {
      rmdirSync(GENERATED_ROOT) // only when no other run uses it
    } catch {}
    await app?.close()
  })

  it('is typed per entity, not loosely', () => {
    expect(generatedTypes).toMatch(/export interface paths \{/)
    expect(generatedTypes).toContain('"/v2/projects/{project}/locations/{location}/connections/{connection}/entityTypes/Messages/entities"')
    expect(generatedTypes).toMatch(/MessagesCreateRequest: \{\s*fields: components\["schemas"\]\["MessagesCreate"\];/)
    expect(generatedTypes).toMatch(/\bSid: string;/)
  })

  it('type-checks strictly with every entity operation and action called, and rejects each misuse', { timeout: TIMEOUT_MS }, () => {
    const { usage, probe } = typeCheck()
    // Compared as text, so that a failure shows TypeScript's messages with file and line.
    expect(format(usage), 'TypeScript diagnostics of the generated types and the usage').toBe('')

    // Without their @ts-expect-error, exactly the misuse lines are errors, each the one its tag names: the check
    // above is not vacuous, and each misuse fails for the reason it states.
    expect(EXPECTED_ERRORS.length).toBeGreaterThanOrEqual(15)
    const found = probe.map((diagnostic) => ({
      line: diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line : -1,
      code: diagnostic.code,
      message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    }))
    const shown = `diagnostics without the directives:\n${format(probe)}`
    expect([...new Set(found.map((error) => error.line))].sort((a, b) => a - b), shown).toEqual(EXPECTED_ERRORS.map((expected) => expected.line))
    const unmet = EXPECTED_ERRORS.filter((expected) =>
      !found.some((error) => error.line === expected.line && error.code === expected.code && error.message.includes(expected.text)))
    expect(unmet.map((expected) => `fixture line ${expected.line + 1}: ${expected.directive}`), shown).toEqual([])
  })

  it('reaches a route for every entity operation and action, with payloads the gateway accepts', { timeout: TIMEOUT_MS }, async () => {
    const usage = await import(/* @vite-ignore */ pathToFileURL(USAGE_FILE).href) as UsageModule
    const requests: RecordedRequest[] = []
    const outcomes = await usage.callEveryOperation(usage.gatewayClient(injectingFetch(requests), ADMIN_TOKEN))

    const published = new Map(operationsOf(document)
      .filter(({ path }) => (path.includes('/entityTypes/') && path.includes('/entities')) || path.includes('/actions'))
      .map(({ path, method, operation }) => [operation.operationId ?? '', { path, method }]))
    expect(outcomes.map((outcome) => outcome.operationId).sort()).toEqual([...published.keys()].sort())
    expect(requests).toHaveLength(outcomes.length)

    outcomes.forEach((outcome, index) => {
      const request = requests[index]!
      const operation = published.get(outcome.operationId)!
      expect(`${request.method} ${request.path}`, outcome.operationId).toSatisfy((sent: string) =>
        sent.startsWith(`${operation.method.toUpperCase()} `) && matchesTemplate(request.path, operation.path))
      if ((request.method === 'POST' || request.method === 'PATCH') && !outcome.operationId.startsWith('delete')) {
        expect(request.contentType, outcome.operationId).toMatch(/^application\/json/)
        expect(request.body, outcome.operationId).toMatchObject(request.path.includes('/actions/') ? { parameters: expect.any(Object) } : { fields: expect.any(Object) })
      }
      // Routing, authentication and input validation passed: the gateway only misses the (unregistered) connection.
      expect({ operationId: outcome.operationId, status: outcome.status, error: outcome.error }).toEqual({
        operationId: outcome.operationId,
        status: 404,
        error: { code: 404, status: 'NOT_FOUND', message: `Connection ${CONNECTION_NAME} not found`, details: expect.any(Array) }
      })
    })
    const listMessages = requests[outcomes.findIndex((outcome) => outcome.operationId === 'listMessages')]
    expect(listMessages?.query.get('pageSize')).toBe('50')

    // Control: the gateway checks ids and payloads before it looks the connection up, so the 404s above mean that
    // the ids and payloads passed; the same calls with a bad payload or id answer 400.
    const messages = `/v2/${CONNECTION_NAME}/entityTypes/Messages/entities`
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const missingTo = await app.inject({ method: 'POST', url: messages, headers, payload: { fields: { Sender: '+15017122661', Body: 'Hi' } } })
    expect([missingTo.statusCode, missingTo.json().error.status]).toEqual([400, 'INVALID_ARGUMENT'])
    const badId = await app.inject({ method: 'GET', url: `${messages}/CA0000`, headers })
    expect([badId.statusCode, badId.json().error.status]).toEqual([400, 'INVALID_ARGUMENT'])
  })
})
