// terraform/ checked without Terraform providers (none can be downloaded here, so `terraform validate` cannot
// run): every resource, data source, argument, nested block and attribute reference is checked against the
// Google provider's schema as published in @cdktf/provider-google (and random_password against
// @cdktf/provider-random when installed, else a hand-written copy), and the facts the gateway depends on are
// asserted on the parsed HCL.

import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { randomFallback } from './random-fallback.js'
import { checkConfiguration, parseHcl, type SchemaSource, type TerraformFile } from './tf-check.js'
import { loadProviderPackage, type ProviderPackage } from './tf-schema.js'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const terraformDir = path.join(repoRoot, 'terraform')

type Json = Record<string, unknown>

let google: ProviderPackage
let sources: SchemaSource[]
let files: TerraformFile[]

function tfFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === '.terraform') return []
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return tfFiles(full)
    return entry.name.endsWith('.tf') ? [full] : []
  })
}

beforeAll(async () => {
  const loaded = loadProviderPackage('google', '@cdktf/provider-google')
  if (!loaded) throw new Error('@cdktf/provider-google is not installed (npm ci)')
  google = loaded
  sources = [google, loadProviderPackage('random', '@cdktf/provider-random') ?? randomFallback]
  files = await Promise.all(
    tfFiles(terraformDir).map(async (file) => {
      const relative = path.relative(repoRoot, file).split(path.sep).join('/')
      return { path: relative, json: await parseHcl(relative, readFileSync(file, 'utf8')) }
    })
  )
})

/** Checks HCL snippets as if they were the files of one directory `snippet/` (plus, optionally, terraform/ too). */
async function check(snippets: Record<string, string>, withRepo = false): Promise<string[]> {
  const parsed = await Promise.all(
    Object.entries(snippets).map(async ([name, text]) => ({ path: `snippet/${name}`, json: await parseHcl(name, text) }))
  )
  return checkConfiguration(withRepo ? [...files, ...parsed] : parsed, sources)
}

function file(relative: string): Json {
  const found = files.find((f) => f.path === relative)
  if (!found) throw new Error(`${relative} was not parsed`)
  return found.json
}

/** json.a.b[0].c…: object keys, and array indexes as numbers; throws on a missing step so a test says which. */
function at(json: unknown, ...steps: (string | number)[]): unknown {
  let current = json
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(current) || current.length <= step) throw new Error(`no [${step}] at ${steps.join('.')}`)
      current = current[step]
    } else {
      if (typeof current !== 'object' || current === null || !(step in current)) throw new Error(`no "${step}" in ${steps.join('.')}`)
      current = (current as Json)[step]
    }
  }
  return current
}

function resource(relative: string, type: string, name: string): Json {
  return at(file(relative), 'resource', type, name, 0) as Json
}

function variableDefault(relative: string, name: string): unknown {
  return at(file(relative), 'variable', name, 0, 'default')
}

/** The regex literal inside a variable's `can(regex("…", var.x))` validation. */
function validationRegex(relative: string, name: string): RegExp {
  const validations = at(file(relative), 'variable', name, 0, 'validation') as Json[]
  for (const validation of validations) {
    const m = /regex\("((?:[^"\\]|\\.)*)", var\./.exec(String(validation.condition))
    if (m?.[1] !== undefined) return new RegExp(JSON.parse(`"${m[1]}"`) as string)
  }
  throw new Error(`variable ${name} has no regex validation`)
}

/** Does version satisfy a constraint such as ">= 6.50.0, < 8.0.0"? (Only the operators used here.) */
function satisfies(version: string, constraint: string): boolean {
  const parse = (v: string): number[] => v.split('.').map((n) => Number(n))
  const compare = (a: number[], b: number[]): number => {
    for (let i = 0; i < 3; i += 1) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0)
    return 0
  }
  return constraint.split(',').every((part) => {
    const m = /^\s*(>=|<=|>|<|=|~>)?\s*([\d.]+)\s*$/.exec(part)
    if (!m) throw new Error(`constraint not understood: ${part}`)
    const c = compare(parse(version), parse(m[2] ?? ''))
    switch (m[1] ?? '=') {
      case '>=': return c >= 0
      case '<=': return c <= 0
      case '>': return c > 0
      case '<': return c < 0
      case '=': return c === 0
      default: throw new Error(`operator ${m[1]} not handled`)
    }
  })
}

const MODULE = 'terraform/modules/twilio-connection'
const EXAMPLE = 'terraform/examples/local/main.tf'
const DEPLOY = 'terraform/deploy/cloud-run'

describe('terraform/ against the published provider schemas', () => {
  it('parses every .tf file of the module, the local example and the Cloud Run deployment', () => {
    expect(files.map((f) => f.path).sort()).toEqual(
      expect.arrayContaining([
        `${MODULE}/main.tf`, `${MODULE}/variables.tf`, `${MODULE}/outputs.tf`, `${MODULE}/versions.tf`,
        EXAMPLE,
        `${DEPLOY}/main.tf`, `${DEPLOY}/variables.tf`, `${DEPLOY}/outputs.tf`, `${DEPLOY}/versions.tf`
      ])
    )
  })

  it('uses only resource types, arguments, blocks and attributes the providers have', () => {
    expect(checkConfiguration(files, sources)).toEqual([])
  })

  it('the HCL shown in the READMEs (terraform/**/README.md and README.md) uses only what the providers have', async () => {
    const readmes = [
      ...readdirSync(terraformDir, { recursive: true, encoding: 'utf8' })
        .filter((f) => path.basename(f) === 'README.md')
        .map((f) => path.join(terraformDir, f)),
      path.join(repoRoot, 'README.md')
    ]
    const snippets: TerraformFile[] = []
    for (const readme of readmes) {
      const relative = path.relative(repoRoot, readme).split(path.sep).join('/')
      const blocks = [...readFileSync(readme, 'utf8').matchAll(/```hcl\n([\s\S]*?)```/g)]
      for (const [index, block] of blocks.entries()) {
        const name = `${relative}#hcl-${index + 1}`
        snippets.push({ path: name, json: await parseHcl(name, block[1] ?? '') })
      }
    }
    expect(snippets.filter((s) => s.path.startsWith('terraform/')).length).toBeGreaterThanOrEqual(5)
    expect(checkConfiguration(snippets, sources, { snippets: true })).toEqual([])
  })

  it('is checked against google provider 6.50.0, which every required_providers constraint admits', () => {
    expect(google.providerVersion).toMatch(/^\d+\.\d+\.\d+$/)
    const constraints = files.flatMap((f) =>
      ((f.json.terraform ?? []) as Json[]).flatMap((t) =>
        ((t.required_providers ?? []) as Json[]).map((rp) => ({ file: f.path, google: (rp.google as Json | undefined)?.version }))
      )
    )
    expect(constraints.length).toBeGreaterThanOrEqual(3)
    for (const { file: where, google: constraint } of constraints) {
      expect(typeof constraint, where).toBe('string')
      expect(satisfies(google.providerVersion, String(constraint)), `${where}: ${String(constraint)}`).toBe(true)
    }
  })
})

describe('the random provider schema', () => {
  const installed = loadProviderPackage('random', '@cdktf/provider-random')

  it.skipIf(installed === undefined)('hand-written random_password matches @cdktf/provider-random when it is installed', () => {
    const shape = (source: SchemaSource): unknown => {
      const schema = source.resource('random_password')
      if (!schema) throw new Error(`${source.provider}: no random_password`)
      return {
        arguments: [...schema.config.attributes.values()].map((a) => [a.name, a.required, a.typeText.replace(/\s+/g, ' ')]).sort(),
        blocks: [...schema.config.blocks.keys()],
        readable: [...schema.readable.attributes.keys()].sort()
      }
    }
    if (installed) expect(shape(randomFallback)).toEqual(shape(installed))
  })
})

describe('the checker catches what terraform plan would refuse', () => {
  const connection = (inner: string): string => `
resource "google_integration_connectors_connection" "c" {
  name              = "twilio-1"
  location          = "us-central1"
  connector_version = "projects/p/locations/global/providers/twilio/connectors/twilio/versions/1"
${inner}
}
`
  const where = 'snippet/main.tf: resource "google_integration_connectors_connection" "c"'

  it('a misspelt argument, with the right name suggested', async () => {
    const problems = await check({
      'main.tf': `
resource "google_integration_connectors_connection" "c" {
  name              = "twilio-1"
  location          = "us-central1"
  connecter_version = "projects/p/locations/global/providers/twilio/connectors/twilio/versions/1"
}
`
    })
    expect(problems).toEqual([
      `${where}: unsupported argument "connecter_version" (did you mean "connector_version"?)`,
      `${where}: missing required argument "connector_version"`
    ])
  })

  it('a block in the wrong place, with where it belongs', async () => {
    expect(await check({ 'main.tf': connection('  destination {\n    host = "proxy.example.com"\n    port = 3128\n  }') })).toEqual([
      `${where}: unsupported block "destination"; "destination" belongs in destination_config, eventing_config.registration_destination_config`
    ])
  })

  it('a misspelt argument deep inside a dynamic block', async () => {
    const problems = await check({
      'main.tf': connection(`
  dynamic "config_variable" {
    for_each = { region = "ie1" }
    content {
      key = config_variable.key
      secret_value {
        secret_versoin = "projects/p/secrets/s/versions/1"
      }
    }
  }`)
    })
    expect(problems).toEqual([
      `${where}: dynamic "config_variable" content: secret_value: unsupported argument "secret_versoin" (did you mean "secret_version"?)`,
      `${where}: dynamic "config_variable" content: secret_value: missing required argument "secret_version"`
    ])
  })

  it('a dynamic block for something that is not a block', async () => {
    expect(await check({ 'main.tf': connection('  dynamic "labels" {\n    for_each = {}\n    content {}\n  }') })).toEqual([
      `${where}: dynamic "labels": "labels" is an argument, not a block; dynamic generates blocks only`
    ])
  })

  it('a block written as an argument, an argument written as a block, and two blocks where one goes', async () => {
    const problems = await check({
      'main.tf': connection(`
  auth_config = {
    auth_type = "USER_PASSWORD"
  }
  suspended {
  }
  node_config {
    min_node_count = 1
  }
  node_config {
    min_node_count = 2
  }`)
    })
    expect(problems).toEqual([
      `${where}: "auth_config" is a block, not an argument: write auth_config { … }`,
      `${where}: at most one "node_config" block is allowed, found 2`,
      `${where}: "suspended" is an argument, not a block: write suspended = …`
    ])
  })

  it('a literal of the wrong kind and a missing required nested argument', async () => {
    const problems = await check({
      'main.tf': connection(`
  description = ["not", "a", "string"]
  auth_config {
    user_password {
      username = "AC00000000000000000000000000000000"
    }
  }`)
    })
    expect(problems).toEqual([
      `${where}: auth_config: missing required argument "auth_type"`,
      `${where}: argument "description": expects a string`
    ])
  })

  it('an unknown resource type, provider argument, meta-argument misuse and lifecycle key', async () => {
    const problems = await check({
      'main.tf': `
provider "google" {
  integration_connector_custom_endpoint = "http://127.0.0.1:8080/v1/"
}
resource "google_integration_connector_connection" "c" {
}
resource "google_secret_manager_secret" "s" {
  count     = 1
  for_each  = toset(["a"])
  secret_id = "s"
  replication {
    auto {}
  }
  lifecycle {
    ignore_changes        = [lables]
    create_before_destory = true
  }
}
`
    })
    expect(problems).toEqual([
      'snippet/main.tf: provider "google": unsupported argument "integration_connector_custom_endpoint" (did you mean "integration_connectors_custom_endpoint"?)',
      'snippet/main.tf: resource "google_integration_connector_connection" "c": the google provider has no resource type "google_integration_connector_connection" (did you mean "google_integration_connectors_connection"?)',
      'snippet/main.tf: resource "google_secret_manager_secret" "s": "count" and "for_each" cannot both be set',
      'snippet/main.tf: resource "google_secret_manager_secret" "s": lifecycle: unsupported argument "create_before_destory" (did you mean "create_before_destroy"?)',
      'snippet/main.tf: resource "google_secret_manager_secret" "s": lifecycle: ignore_changes names "lables", which google_secret_manager_secret does not have'
    ])
  })

  it('references to attributes a resource does not export, at any depth, and to undeclared things', async () => {
    const problems = await check({
      'main.tf': `
${connection('')}
resource "google_cloud_run_v2_service" "gateway" {
  name     = "g"
  location = "us-central1"
  template {
    containers {
      image = "x"
    }
  }
}
resource "random_password" "p" {
  lenght = 32
}
output "url" {
  value = "\${google_cloud_run_v2_service.gateway.url}/v1/"
}
output "state" {
  value = google_integration_connectors_connection.c.status[0].stat
}
output "ok" {
  value = [google_integration_connectors_connection.c.status[0].state, google_cloud_run_v2_service.gateway.template[0].containers[0].image, random_password.p.result]
}
output "undeclared" {
  value = "\${var.nope}-\${local.nope}-\${google_sql_user.nope.name}"
}
`
    })
    expect(problems).toEqual([
      'snippet/main.tf: resource "random_password" "p": unsupported argument "lenght" (did you mean "length"?)',
      'snippet/main.tf: resource "random_password" "p": missing required argument "length"',
      'snippet/main.tf: reference: google_integration_connectors_connection.c.status[0] has no attribute "stat" (did you mean "state"?)',
      'snippet/main.tf: reference: var.nope is not declared in snippet',
      'snippet/main.tf: reference: local.nope is not declared in snippet',
      'snippet/main.tf: reference: google_sql_user.nope is not declared in snippet',
      'snippet/main.tf: reference: google_cloud_run_v2_service.gateway has no attribute "url" (did you mean "uri"?)'
    ])
  })

  it('a module call with a misspelt input, a missing required input and an undeclared provider alias', async () => {
    const problems = await check(
      {
        'main.tf': `
module "twilio" {
  source    = "../terraform/modules/twilio-connection"
  providers = { google = google.gatway }

  project     = "local"
  location    = "local"
  name        = "twilio-1"
  account_sd  = "AC5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47"
}
output "x" {
  value = module.twilio.runtime_path
}
`
      },
      true
    )
    expect(problems).toEqual([
      'snippet/main.tf: module "twilio": providers.google names google.gatway, but no provider "google" block has alias = "gatway"',
      'snippet/main.tf: module "twilio": module ../terraform/modules/twilio-connection has no input variable "account_sd" (did you mean "account_sid"?)',
      'snippet/main.tf: module "twilio": missing required input "account_sid"',
      'snippet/main.tf: reference: module.twilio.runtime_path: module ../terraform/modules/twilio-connection has no output "runtime_path"'
    ])
  })
})

describe('terraform/modules/twilio-connection', () => {
  const main = `${MODULE}/main.tf`
  const variables = `${MODULE}/variables.tf`

  it("asks for the Twilio connector version the gateway serves", () => {
    const locals = at(file(main), 'locals', 0) as Json
    expect(locals.connector_version).toBe(
      'projects/${var.project}/locations/global/providers/twilio/connectors/twilio/versions/1'
    )
    const connection = resource(main, 'google_integration_connectors_connection', 'this')
    expect(connection.connector_version).toBe('${local.connector_version}')
    const example = String(locals.connector_version).replace('${var.project}', 'acme-prod')
    expect(example).toMatch(/^projects\/[^/]+\/locations\/global\/providers\/twilio\/connectors\/twilio\/versions\/1$/)
  })

  it('authenticates with USER_PASSWORD: a SID and a Secret Manager secret version', () => {
    const connection = resource(main, 'google_integration_connectors_connection', 'this')
    expect(at(connection, 'auth_config', 0, 'auth_type')).toBe('USER_PASSWORD')
    expect(at(connection, 'auth_config', 0, 'user_password', 0, 'username')).toBe('${coalesce(var.username, var.account_sid)}')
    expect(at(connection, 'auth_config', 0, 'user_password', 0, 'password', 0, 'secret_version')).toBe(
      '${local.auth_token_secret_version}'
    )
    const version = resource(main, 'google_secret_manager_secret_version', 'auth_token')
    expect(version.secret_data_wo).toBe('${var.auth_token}')
    expect(version).not.toHaveProperty('secret_data')
    expect(at(file(variables), 'variable', 'auth_token', 0, 'sensitive')).toBe(true)
  })

  it('sends the connector config variables only through dynamic blocks, and the proxy server as proxy_server', () => {
    const connection = resource(main, 'google_integration_connectors_connection', 'this')
    expect(connection).not.toHaveProperty('config_variable')
    const dynamics = at(connection, 'dynamic', 'config_variable') as Json[]
    expect(dynamics.map((d) => d.for_each)).toEqual([
      '${local.string_config_variables}',
      '${local.boolean_config_variables}',
      '${local.secret_config_variables}'
    ])
    const locals = at(file(main), 'locals', 0) as Json
    const keysOf = (expression: unknown): string[] =>
      [...String(expression).matchAll(/^\s*([a-z_]+)\s*=/gm)].map((m) => m[1] ?? '')
    expect([
      ...keysOf(locals.string_config_variables),
      ...keysOf(locals.boolean_config_variables),
      ...keysOf(locals.secret_config_variables)
    ].sort()).toEqual([
      'account_sid', 'edge', 'proxy_auth_scheme', 'proxy_enabled', 'proxy_password', 'proxy_ssltype', 'proxy_user',
      'region', 'sandbox'
    ])
    for (const name of ['string_config_variables', 'boolean_config_variables', 'secret_config_variables']) {
      expect(String(locals[name]), name).toMatch(/: key => value if value != null\s*\}\}$/)
    }
    expect(at(connection, 'dynamic', 'destination_config', 0, 'content', 0, 'key')).toBe('proxy_server')
    expect(at(connection, 'dynamic', 'destination_config', 0, 'content', 0, 'destination', 0)).toEqual({
      host: '${destination_config.value.host}',
      port: '${destination_config.value.port}'
    })
    // sandbox is a gateway-only variable: sent only when true, never to Google by default.
    expect(variableDefault(variables, 'sandbox')).toBe(false)
    expect(String(locals.boolean_config_variables)).toContain('sandbox       = var.sandbox ? true : null')
  })

  it("validates the connection name with the gateway's rule", () => {
    const rule = validationRegex(variables, 'name')
    for (const good of ['a', 'twilio-1', 'tw1', `a${'b'.repeat(61)}c`]) expect(good, good).toMatch(rule)
    for (const bad of ['', '1twilio', 'twilio-', 'Twilio', 'tw_1', 'tw.1', `a${'b'.repeat(62)}c`]) {
      expect(bad, bad).not.toMatch(rule)
    }
  })

  it('validates secret versions and SIDs', () => {
    const secret = validationRegex(variables, 'auth_token_secret_version')
    expect('projects/local/secrets/twilio-token/versions/1').toMatch(secret)
    expect('projects/p/secrets/s/versions/latest').toMatch(secret)
    expect('projects/p/secrets/s').not.toMatch(secret)
    expect('projects/p/secrets/s/versions/1/x').not.toMatch(secret)
    expect(validationRegex(variables, 'proxy_password_secret_version').source).toBe(secret.source)
    const sid = validationRegex(variables, 'account_sid')
    expect('AC5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47').toMatch(sid)
    expect('SK5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47').not.toMatch(sid)
    expect('SK5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47').toMatch(validationRegex(variables, 'username'))
  })

  it('bounds node counts to 1..100 with min <= max (defaults 2 and 50)', () => {
    const conditions = (name: string): string[] =>
      (at(file(variables), 'variable', name, 0, 'validation') as Json[]).map((v) => String(v.condition))
    expect(conditions('min_node_count')[0]).toContain('var.min_node_count >= 1 && var.min_node_count <= 100')
    expect(conditions('max_node_count')[0]).toContain('var.max_node_count >= 1 && var.max_node_count <= 100')
    expect(conditions('max_node_count')[1]).toContain('coalesce(var.min_node_count, 2) <= coalesce(var.max_node_count, 50)')
  })

  it('outputs the id, status, revision and the runtime base path /v2/<id>', () => {
    const outputs = at(file(`${MODULE}/outputs.tf`), 'output') as Record<string, Json[]>
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['id', 'name', 'status', 'state', 'connection_revision', 'runtime_base_path']))
    expect(at(outputs, 'runtime_base_path', 0, 'value')).toBe('/v2/${google_integration_connectors_connection.this.id}')
  })
})

describe('terraform/examples/local', () => {
  it('points an aliased google provider at the gateway, with a custom endpoint the provider accepts', () => {
    const providers = at(file(EXAMPLE), 'provider', 'google') as Json[]
    expect(providers.map((p) => p.alias)).toEqual(['gateway']) // and no unaliased provider that would reach Google
    const gateway = providers[0] as Json
    expect(gateway.integration_connectors_custom_endpoint).toBe('${var.gateway_endpoint}')
    const endpoint = String(variableDefault(EXAMPLE, 'gateway_endpoint'))
    expect(endpoint).toBe('http://127.0.0.1:8080/v1/')
    expect(endpoint).toMatch(/.*\/[^/]+\/$/) // the provider's own validation of custom endpoints
    expect(endpoint.endsWith('/v1/')).toBe(true)
    expect(gateway.access_token).toBe('${var.gateway_token}')
    expect(at(file(EXAMPLE), 'variable', 'gateway_token', 0, 'sensitive')).toBe(true)
    expect(gateway.project).toBe('local')
    expect(gateway.user_project_override).toBe(false)
    expect(gateway).not.toHaveProperty('credentials')
  })

  it("creates a connection to the gateway's sandbox through the module", () => {
    const call = at(file(EXAMPLE), 'module', 'twilio_sandbox', 0) as Json
    expect(call.source).toBe('../../modules/twilio-connection')
    expect(call.providers).toEqual({ google: '${google.gateway}' })
    expect(call.sandbox).toBe(true)
    expect(call.auth_token_secret_version).toBe('${var.sandbox_auth_token_secret_version}')
    // The version the gateway itself stores the sandbox token under (projects/local/secrets/sandbox-auth-token).
    expect(variableDefault(EXAMPLE, 'sandbox_auth_token_secret_version')).toBe(
      'projects/local/secrets/sandbox-auth-token/versions/latest'
    )
    expect(String(variableDefault(EXAMPLE, 'sandbox_auth_token_secret_version'))).toMatch(
      validationRegex(`${MODULE}/variables.tf`, 'auth_token_secret_version')
    )
    expect(variableDefault(EXAMPLE, 'sandbox_account_sid')).toBe('AC5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47')
    expect(call).not.toHaveProperty('create_secret')
  })
})

describe('terraform/deploy/cloud-run', () => {
  const main = `${DEPLOY}/main.tf`
  const service = (): Json => resource(main, 'google_cloud_run_v2_service', 'gateway')
  const container = (): Json => at(service(), 'template', 0, 'containers', 0) as Json

  it('keeps at least one instance with CPU always allocated', () => {
    expect(at(service(), 'template', 0, 'scaling', 0, 'min_instance_count')).toBe('${var.min_instances}')
    const minDefault = variableDefault(`${DEPLOY}/variables.tf`, 'min_instances')
    expect(typeof minDefault === 'number' && minDefault >= 1).toBe(true)
    const validation = at(file(`${DEPLOY}/variables.tf`), 'variable', 'min_instances', 0, 'validation', 0, 'condition')
    expect(String(validation)).toContain('var.min_instances >= 1')
    expect(at(container(), 'resources', 0, 'cpu_idle')).toBe(false)
  })

  it('runs with SECRETS_BACKEND=secret-manager, SANDBOX=off and its secrets from Secret Manager', () => {
    const env = at(container(), 'env') as Json[]
    const plain = Object.fromEntries(env.filter((e) => 'value' in e).map((e) => [e.name, e.value]))
    expect(plain).toMatchObject({ SECRETS_BACKEND: 'secret-manager', SANDBOX: 'off' })
    const fromSecrets = Object.fromEntries(
      env.filter((e) => 'value_source' in e).map((e) => [e.name, at(e, 'value_source', 0, 'secret_key_ref', 0, 'secret')])
    )
    expect(fromSecrets).toEqual({
      DATABASE_URL: '${google_secret_manager_secret.database_url.secret_id}',
      GATEWAY_ADMIN_TOKEN: '${google_secret_manager_secret.admin_token.secret_id}'
    })
    expect(String(at(file(main), 'locals', 0, 'database_url'))).toContain('?host=/cloudsql/%s')
  })

  it('serves on 8080 with startup and liveness probes on /readyz and /healthz', () => {
    expect(at(container(), 'ports', 0, 'container_port')).toBe(8080)
    expect(at(container(), 'startup_probe', 0, 'http_get', 0)).toEqual({ path: '/readyz', port: 8080 })
    expect(at(container(), 'liveness_probe', 0, 'http_get', 0)).toEqual({ path: '/healthz', port: 8080 })
  })

  it('reaches Cloud SQL through the Cloud Run Cloud SQL volume', () => {
    expect(at(service(), 'template', 0, 'volumes', 0, 'cloud_sql_instance', 0, 'instances')).toEqual([
      '${google_sql_database_instance.gateway.connection_name}'
    ])
    expect(at(container(), 'volume_mounts', 0)).toEqual({ name: 'cloudsql', mount_path: '/cloudsql' })
    expect(String(resource(main, 'google_sql_database_instance', 'gateway').database_version)).toBe('${var.database_version}')
    expect(variableDefault(`${DEPLOY}/variables.tf`, 'database_version')).toMatch(/^POSTGRES_/)
  })

  it('gives a dedicated service account the Secret Manager roles and enables the APIs', () => {
    expect(at(service(), 'template', 0, 'service_account')).toBe('${google_service_account.gateway.email}')
    const roles = resource(main, 'google_project_iam_member', 'gateway')
    expect(roles.member).toBe('${local.gateway_member}')
    expect(String(at(file(main), 'locals', 0, 'gateway_member'))).toBe('serviceAccount:${google_service_account.gateway.email}')
    const rolesText = String(roles.for_each)
    for (const role of ['roles/secretmanager.secretAccessor', 'roles/secretmanager.viewer', 'roles/cloudsql.client']) {
      expect(rolesText).toContain(`"${role}"`)
    }
    const apis = String(at(file(main), 'locals', 0, 'apis'))
    for (const api of ['run', 'secretmanager', 'sqladmin', 'iam', 'iamcredentials']) expect(apis).toContain(`"${api}.googleapis.com"`)
  })

  it('outputs the service URL and the custom endpoint <url>/v1/', () => {
    const outputs = at(file(`${DEPLOY}/outputs.tf`), 'output') as Record<string, Json[]>
    expect(at(outputs, 'service_url', 0, 'value')).toBe('${google_cloud_run_v2_service.gateway.uri}')
    const endpoint = String(at(outputs, 'integration_connectors_custom_endpoint', 0, 'value'))
    expect(endpoint).toBe('${google_cloud_run_v2_service.gateway.uri}/v1/')
    expect(endpoint.replace('${google_cloud_run_v2_service.gateway.uri}', 'https://gw-abc-uc.a.run.app')).toMatch(/.*\/[^/]+\/$/)
  })
})
