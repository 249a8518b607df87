// A static check of Terraform configuration against provider schemas, for a machine that cannot download providers
// (so cannot run `terraform validate`). The HCL is turned into JSON by @cdktf/hcl2json (HashiCorp's HCL parser
// compiled to WebAssembly); the schemas come from ./tf-schema.ts. It reports, with file and block path:
//  - resource and data source types the provider does not have;
//  - arguments and blocks a resource, data source, nested block (at any depth, static or `dynamic`) or provider
//    configuration does not have — with a "did you mean" and, for a block in the wrong place, where it belongs;
//  - a block written as an argument (`x = {…}`) or an argument written as a block (`x {…}`), several blocks where
//    one is allowed, a literal of the wrong kind (a list where a string goes), missing required arguments / blocks;
//  - meta-arguments misused (`count` with `for_each`, unknown `lifecycle` keys, `ignore_changes` naming nothing);
//  - references to undeclared variables, locals, resources, data sources, modules, module outputs, and to
//    attributes a resource does not export (`google_x.y.uri`, `…status[0].state`, at every depth);
//  - module calls (local sources): unknown inputs, missing required inputs, `providers` naming an undeclared alias.

import { createRequire } from 'node:module'
import path from 'node:path'
import type { BlockSchema, ReadableAttribute, ReadableSchema, ResourceSchema } from './tf-schema.js'

/** What the checker needs of a provider's schemas (a ProviderPackage, or a hand-written stand-in). */
export interface SchemaSource {
  readonly provider: string
  resource(type: string): ResourceSchema | undefined
  data(type: string): ResourceSchema | undefined
  providerConfig(): ResourceSchema
  knownTypes(kind: 'resource' | 'data'): string[]
}

export interface TerraformFile {
  /** Path used in messages (e.g. relative to the repository). */
  readonly path: string
  /** The file's JSON form, from parseHcl. */
  readonly json: Record<string, unknown>
}

type JsonObject = Record<string, unknown>

const require = createRequire(import.meta.url)
// Loaded through require with a local type: the package's own .d.ts pulls the DOM lib into the whole program.
const hcl2json = require('@cdktf/hcl2json') as {
  parse(filename: string, contents: string): Promise<JsonObject>
}

export async function parseHcl(filename: string, contents: string): Promise<JsonObject> {
  return hcl2json.parse(filename, contents)
}

// ---------------------------------------------------------------------------------------------------------------
// Terraform's own vocabulary

const TOP_LEVEL = new Set([
  'terraform', 'provider', 'variable', 'output', 'locals', 'module', 'resource', 'data', 'moved', 'import', 'check',
  'removed', 'ephemeral'
])
const TERRAFORM_BLOCK = new Set(['required_version', 'required_providers', 'backend', 'cloud', 'experiments', 'provider_meta'])
const VARIABLE_BLOCK = new Set(['type', 'default', 'description', 'sensitive', 'nullable', 'validation', 'ephemeral'])
const VALIDATION_BLOCK = new Set(['condition', 'error_message'])
const OUTPUT_BLOCK = new Set(['value', 'description', 'sensitive', 'depends_on', 'precondition', 'ephemeral'])
const MODULE_META = new Set(['source', 'version', 'providers', 'count', 'for_each', 'depends_on'])
const RESOURCE_META = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'connection', 'provisioner'])
const DATA_META = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle'])
const RESOURCE_LIFECYCLE = new Set([
  'create_before_destroy', 'prevent_destroy', 'ignore_changes', 'replace_triggered_by', 'precondition', 'postcondition'
])
const DATA_LIFECYCLE = new Set(['precondition', 'postcondition'])
const DYNAMIC_BLOCK = new Set(['for_each', 'iterator', 'labels', 'content'])

// ---------------------------------------------------------------------------------------------------------------

export interface CheckOptions {
  /**
   * Documentation snippets: check blocks against the schemas only — not references (a snippet uses variables it
   * does not declare) nor module calls (a snippet shows only some inputs, from sources elsewhere).
   */
  readonly snippets?: boolean
}

export function checkConfiguration(
  files: readonly TerraformFile[],
  sources: readonly SchemaSource[],
  options: CheckOptions = {}
): string[] {
  const checker = new Checker(files, sources, options)
  return checker.run()
}

interface ModuleDecl {
  readonly dir: string
  readonly files: TerraformFile[]
  readonly variables: Map<string, { required: boolean }>
  readonly locals: Set<string>
  readonly outputs: Set<string>
  readonly resources: Map<string, string> // "type.name" -> type
  readonly data: Map<string, string>
  readonly modules: Map<string, { source: unknown }>
  readonly providerAliases: Set<string> // "google.gateway"
  readonly requiredProviders: Set<string>
}

class Checker {
  private readonly out: string[] = []
  private readonly modules = new Map<string, ModuleDecl>()
  private readonly sources = new Map<string, SchemaSource>()

  constructor(
    files: readonly TerraformFile[],
    sources: readonly SchemaSource[],
    private readonly options: CheckOptions
  ) {
    for (const source of sources) this.sources.set(source.provider, source)
    for (const file of files) {
      const dir = path.posix.dirname(file.path.split(path.sep).join('/'))
      let decl = this.modules.get(dir)
      if (!decl) {
        decl = {
          dir,
          files: [],
          variables: new Map(),
          locals: new Set(),
          outputs: new Set(),
          resources: new Map(),
          data: new Map(),
          modules: new Map(),
          providerAliases: new Set(),
          requiredProviders: new Set()
        }
        this.modules.set(dir, decl)
      }
      decl.files.push(file)
      this.declare(decl, file.json)
    }
  }

  run(): string[] {
    for (const decl of this.modules.values()) {
      for (const file of decl.files) this.checkFile(decl, file)
      if (!this.options.snippets) this.checkReferences(decl)
    }
    return this.out
  }

  private complain(file: TerraformFile, where: string, message: string): void {
    this.out.push(`${file.path}: ${where ? `${where}: ` : ''}${message}`)
  }

  // --- declarations -------------------------------------------------------------------------------------------

  private declare(decl: ModuleDecl, json: JsonObject): void {
    for (const [name, bodies] of entries(json.variable)) {
      const body = firstBody(bodies)
      decl.variables.set(name, { required: !(body && 'default' in body) })
    }
    for (const body of asArray(json.locals)) if (isObject(body)) for (const key of Object.keys(body)) decl.locals.add(key)
    for (const name of Object.keys(asObject(json.output))) decl.outputs.add(name)
    for (const [type, byName] of entries(json.resource)) {
      for (const name of Object.keys(asObject(byName))) decl.resources.set(`${type}.${name}`, type)
    }
    for (const [type, byName] of entries(json.data)) {
      for (const name of Object.keys(asObject(byName))) decl.data.set(`${type}.${name}`, type)
    }
    for (const [name, bodies] of entries(json.module)) decl.modules.set(name, { source: firstBody(bodies)?.source })
    for (const [provider, bodies] of entries(json.provider)) {
      for (const body of asArray(bodies)) {
        if (isObject(body) && typeof body.alias === 'string') decl.providerAliases.add(`${provider}.${body.alias}`)
      }
    }
    for (const tf of asArray(json.terraform)) {
      for (const rp of asArray(isObject(tf) ? tf.required_providers : undefined)) {
        for (const name of Object.keys(asObject(rp))) decl.requiredProviders.add(name)
      }
    }
  }

  // --- blocks ---------------------------------------------------------------------------------------------------

  private checkFile(decl: ModuleDecl, file: TerraformFile): void {
    const json = file.json
    for (const key of Object.keys(json)) {
      if (!TOP_LEVEL.has(key)) this.complain(file, '', `unsupported top-level ${describeKind(json[key])} "${key}"`)
    }
    for (const tf of asArray(json.terraform)) this.checkTerraformBlock(file, tf)
    for (const [name, bodies] of entries(json.variable)) {
      for (const body of asArray(bodies)) this.checkKeys(file, `variable "${name}"`, body, VARIABLE_BLOCK, { validation: VALIDATION_BLOCK })
    }
    for (const [name, bodies] of entries(json.output)) {
      for (const body of asArray(bodies)) {
        this.checkKeys(file, `output "${name}"`, body, OUTPUT_BLOCK, { precondition: VALIDATION_BLOCK })
        if (isObject(body) && !('value' in body)) this.complain(file, `output "${name}"`, 'missing required argument "value"')
      }
    }
    for (const [provider, bodies] of entries(json.provider)) {
      const source = this.sources.get(provider)
      for (const body of asArray(bodies)) {
        const where = `provider "${provider}"`
        if (!source) {
          this.complain(file, where, `no schema for provider "${provider}"`)
          continue
        }
        this.checkBody(file, where, body, source.providerConfig().config, source.providerConfig(), new Set())
      }
    }
    for (const kind of ['resource', 'data'] as const) {
      for (const [type, byName] of entries(json[kind])) {
        for (const [name, bodies] of entries(byName)) {
          for (const body of asArray(bodies)) this.checkResource(file, kind, type, name, body)
        }
      }
    }
    if (this.options.snippets) return
    for (const [name, bodies] of entries(json.module)) {
      for (const body of asArray(bodies)) this.checkModuleCall(decl, file, name, body)
    }
  }

  private checkTerraformBlock(file: TerraformFile, tf: unknown): void {
    this.checkKeys(file, 'terraform', tf, TERRAFORM_BLOCK, {})
    if (!isObject(tf)) return
    for (const rp of asArray(tf.required_providers)) {
      for (const [name, requirement] of Object.entries(asObject(rp))) {
        const sourceAddress = isObject(requirement) ? requirement.source : undefined
        if (this.sources.has(name) && sourceAddress !== `hashicorp/${name}`) {
          this.complain(file, 'terraform.required_providers', `"${name}" must have source = "hashicorp/${name}" (the schema checked)`)
        }
      }
    }
  }

  private sourceFor(type: string): SchemaSource | undefined {
    const provider = type.split('_')[0] ?? ''
    return this.sources.get(provider)
  }

  private schemaOf(kind: 'resource' | 'data', type: string): ResourceSchema | undefined {
    const source = this.sourceFor(type)
    return kind === 'resource' ? source?.resource(type) : source?.data(type)
  }

  private checkResource(file: TerraformFile, kind: 'resource' | 'data', type: string, name: string, body: unknown): void {
    const where = `${kind} "${type}" "${name}"`
    const source = this.sourceFor(type)
    if (!source) {
      this.complain(file, where, `no schema for the provider of "${type}"`)
      return
    }
    const schema = this.schemaOf(kind, type)
    if (!schema) {
      const hint = closest(type, source.knownTypes(kind))
      this.complain(file, where, `the ${source.provider} provider has no ${kind === 'data' ? 'data source' : 'resource type'} "${type}"${hint ? ` (did you mean "${hint}"?)` : ''}`)
      return
    }
    if (!isObject(body)) {
      this.complain(file, where, 'is not a block')
      return
    }
    if ('count' in body && 'for_each' in body) this.complain(file, where, '"count" and "for_each" cannot both be set')
    const meta = kind === 'resource' ? RESOURCE_META : DATA_META
    for (const lifecycle of asArray(body.lifecycle)) {
      this.checkKeys(file, `${where}: lifecycle`, lifecycle, kind === 'resource' ? RESOURCE_LIFECYCLE : DATA_LIFECYCLE, {
        precondition: VALIDATION_BLOCK,
        postcondition: VALIDATION_BLOCK
      })
      if (isObject(lifecycle)) {
        for (const entry of asArray(lifecycle.ignore_changes)) {
          const first = typeof entry === 'string' ? /^\$\{([A-Za-z_][\w-]*)/.exec(entry)?.[1] : undefined
          if (first && first !== 'all' && !schema.config.attributes.has(first) && !schema.config.blocks.has(first)) {
            this.complain(file, `${where}: lifecycle`, `ignore_changes names "${first}", which ${type} does not have`)
          }
        }
      }
    }
    this.checkBody(file, where, body, schema.config, schema, meta)
  }

  /**
   * Checks one block body against a block schema. `meta` lists the meta-arguments allowed at this level (top level
   * of a resource / data source); `dynamic` is allowed at every level.
   */
  private checkBody(
    file: TerraformFile,
    where: string,
    body: unknown,
    schema: BlockSchema,
    root: ResourceSchema,
    meta: ReadonlySet<string>
  ): void {
    if (!isObject(body)) {
      this.complain(file, where, 'is not a block')
      return
    }
    const dynamicNames = new Set<string>()
    for (const [key, value] of Object.entries(body)) {
      if (meta.has(key)) continue
      if (key === 'dynamic') {
        for (const [blockName, dynamics] of entries(value)) {
          dynamicNames.add(blockName)
          this.checkDynamic(file, where, blockName, dynamics, schema, root)
        }
        continue
      }
      const attribute = schema.attributes.get(key)
      if (attribute) {
        if (isBlockList(value) && isPlainValueType(attribute.typeText)) {
          this.complain(file, where, `"${key}" is an argument, not a block: write ${key} = …`)
        } else {
          const problem = literalMismatch(attribute.typeText, value)
          if (problem) this.complain(file, where, `argument "${key}": ${problem}`)
        }
        continue
      }
      const nested = schema.blocks.get(key)
      if (nested) {
        if (!isBlockList(value)) {
          this.complain(file, where, `"${key}" is a block, not an argument: write ${key} { … }`)
          continue
        }
        if (!nested.list && value.length > 1) {
          this.complain(file, where, `at most one "${key}" block is allowed, found ${value.length}`)
        }
        for (const item of value) this.checkBody(file, `${where}: ${key}`, item, nested.block, root, new Set())
        continue
      }
      this.complain(file, where, unknownKeyMessage(key, value, schema, root))
    }
    for (const attribute of schema.attributes.values()) {
      if (attribute.required && !(attribute.name in body)) {
        this.complain(file, where, `missing required argument "${attribute.name}"`)
      }
    }
    for (const nested of schema.blocks.values()) {
      if (nested.required && !(nested.name in body) && !dynamicNames.has(nested.name)) {
        this.complain(file, where, `missing required block "${nested.name}"`)
      }
    }
  }

  private checkDynamic(
    file: TerraformFile,
    where: string,
    blockName: string,
    dynamics: unknown,
    schema: BlockSchema,
    root: ResourceSchema
  ): void {
    const here = `${where}: dynamic "${blockName}"`
    const nested = schema.blocks.get(blockName)
    if (!nested) {
      if (schema.attributes.has(blockName)) {
        this.complain(file, where, `dynamic "${blockName}": "${blockName}" is an argument, not a block; dynamic generates blocks only`)
      } else {
        this.complain(file, where, unknownKeyMessage(blockName, [{}], schema, root).replace('unsupported block', 'dynamic block of unsupported type'))
      }
      return
    }
    for (const dynamic of asArray(dynamics)) {
      this.checkKeys(file, here, dynamic, DYNAMIC_BLOCK, {})
      if (!isObject(dynamic)) continue
      if (!('for_each' in dynamic)) this.complain(file, here, 'missing required argument "for_each"')
      const contents = asArray(dynamic.content)
      if (contents.length !== 1) {
        this.complain(file, here, 'needs exactly one "content" block')
        continue
      }
      this.checkBody(file, `${here} content`, contents[0], nested.block, root, new Set())
    }
  }

  /** Keys of a Terraform-language block (not provider schema): allowed keys, and the keys of nested blocks. */
  private checkKeys(
    file: TerraformFile,
    where: string,
    body: unknown,
    allowed: ReadonlySet<string>,
    nested: Readonly<Record<string, ReadonlySet<string>>>
  ): void {
    if (!isObject(body)) return
    for (const [key, value] of Object.entries(body)) {
      if (!allowed.has(key)) {
        const hint = closest(key, [...allowed])
        this.complain(file, where, `unsupported ${describeKind(value)} "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`)
        continue
      }
      const inner = nested[key]
      if (inner) for (const item of asArray(value)) this.checkKeys(file, `${where}: ${key}`, item, inner, {})
    }
  }

  private checkModuleCall(decl: ModuleDecl, file: TerraformFile, name: string, body: unknown): void {
    const where = `module "${name}"`
    if (!isObject(body)) return
    const source = body.source
    if (typeof source !== 'string') {
      this.complain(file, where, 'missing required argument "source"')
      return
    }
    for (const [provider, value] of Object.entries(asObject(body.providers))) {
      const ref = typeof value === 'string' ? /^\$\{([a-z0-9_-]+)(?:\.([a-z0-9_-]+))?\}$/.exec(value) : null
      if (!ref) {
        this.complain(file, where, `providers.${provider} must name a provider configuration, e.g. google.gateway`)
      } else if (ref[2] && !decl.providerAliases.has(`${ref[1]}.${ref[2]}`)) {
        this.complain(file, where, `providers.${provider} names ${ref[1]}.${ref[2]}, but no provider "${ref[1]}" block has alias = "${ref[2]}"`)
      }
    }
    if (!source.startsWith('./') && !source.startsWith('../')) return
    const target = this.modules.get(path.posix.normalize(path.posix.join(decl.dir, source)))
    if (!target) {
      this.complain(file, where, `source "${source}" is not among the checked directories`)
      return
    }
    for (const provider of Object.keys(asObject(body.providers))) {
      if (!target.requiredProviders.has(provider)) {
        this.complain(file, where, `providers.${provider}: module ${source} does not require a provider "${provider}"`)
      }
    }
    for (const key of Object.keys(body)) {
      if (MODULE_META.has(key)) continue
      if (!target.variables.has(key)) {
        const hint = closest(key, [...target.variables.keys()])
        this.complain(file, where, `module ${source} has no input variable "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`)
      }
    }
    for (const [variable, { required }] of target.variables) {
      if (required && !(variable in body)) this.complain(file, where, `missing required input "${variable}"`)
    }
  }

  // --- references -----------------------------------------------------------------------------------------------

  private checkReferences(decl: ModuleDecl): void {
    for (const file of decl.files) {
      const seen = new Set<string>()
      for (const code of codeFragments(file.json)) {
        for (const problem of this.referenceProblems(decl, code)) {
          if (seen.has(problem)) continue
          seen.add(problem)
          this.complain(file, 'reference', problem)
        }
      }
    }
  }

  private referenceProblems(decl: ModuleDecl, code: string): string[] {
    const problems: string[] = []
    const traversal = String.raw`((?:\[[^\]]*\]|\.[A-Za-z_][\w-]*|\.\*)*)`
    for (const m of code.matchAll(/(?<![\w.])var\.([A-Za-z_][\w-]*)/g)) {
      if (!decl.variables.has(m[1] ?? '')) problems.push(`var.${m[1]} is not declared in ${decl.dir}`)
    }
    for (const m of code.matchAll(/(?<![\w.])local\.([A-Za-z_][\w-]*)/g)) {
      if (!decl.locals.has(m[1] ?? '')) problems.push(`local.${m[1]} is not declared in ${decl.dir}`)
    }
    for (const m of code.matchAll(/(?<![\w.])module\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?(?:\.([A-Za-z_][\w-]*))?/g)) {
      const [, name = '', output] = m
      const call = decl.modules.get(name)
      if (!call) {
        problems.push(`module.${name} is not declared in ${decl.dir}`)
        continue
      }
      const target = typeof call.source === 'string' && /^\.\.?\//.test(call.source)
        ? this.modules.get(path.posix.normalize(path.posix.join(decl.dir, call.source)))
        : undefined
      if (target && output && !target.outputs.has(output)) {
        problems.push(`module.${name}.${output}: module ${String(call.source)} has no output "${output}"`)
      }
    }
    const resourceRef = new RegExp(String.raw`(?<![\w.])(data\.)?((?:${[...this.sources.keys()].join('|')})_[a-z0-9_]+)\.([A-Za-z_][\w-]*)` + traversal, 'g')
    for (const m of code.matchAll(resourceRef)) {
      const [, dataPrefix, type = '', name = '', rest = ''] = m
      const kind = dataPrefix ? 'data' : 'resource'
      const declared = kind === 'data' ? decl.data : decl.resources
      const address = `${dataPrefix ?? ''}${type}.${name}`
      if (!declared.has(`${type}.${name}`)) {
        problems.push(`${address} is not declared in ${decl.dir}`)
        continue
      }
      const schema = this.schemaOf(kind, type)
      if (schema) {
        const problem = traversalProblem(address, schema.readable, rest)
        if (problem) problems.push(problem)
      }
    }
    return problems
  }
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function traversalProblem(address: string, readable: ReadableSchema, rest: string): string | undefined {
  // Drop the instance key (`[0]`, `["a"]`) of a counted / for_each resource, then walk attribute names.
  const steps = [...rest.matchAll(/\[[^\]]*\]|\.\*|\.([A-Za-z_][\w-]*)/g)]
  let current: ReadableSchema | 'map' | null = readable
  let pathSoFar = address
  for (const step of steps) {
    const attribute = step[1]
    if (attribute === undefined) {
      pathSoFar += step[0]
      continue
    }
    if (current === 'map') return undefined
    if (current === null) return `${pathSoFar} has no attribute "${attribute}"`
    const found: ReadableAttribute | undefined = current.attributes.get(attribute)
    if (!found) {
      const hint = closest(attribute, [...current.attributes.keys()])
      return `${pathSoFar} has no attribute "${attribute}"${hint ? ` (did you mean "${hint}"?)` : ''}`
    }
    pathSoFar += `.${attribute}`
    current = typeof found.nested === 'function' ? found.nested() : found.nested
  }
  return undefined
}

function unknownKeyMessage(key: string, value: unknown, schema: BlockSchema, root: ResourceSchema): string {
  const kind = describeKind(value)
  const candidates = [...schema.attributes.keys(), ...schema.blocks.keys()]
  const hint = closest(key, candidates)
  let message = `unsupported ${kind} "${key}"`
  if (hint) message += ` (did you mean "${hint}"?)`
  const elsewhere = findElsewhere(key, root.config, schema)
  if (elsewhere.length > 0) {
    message += `; "${key}" belongs in ${elsewhere.slice(0, 3).join(', ')}`
  }
  return message
}

/** Paths of the blocks (other than `here`) that declare `key`, e.g. `destination_config` for `destination`. */
function findElsewhere(key: string, block: BlockSchema, here: BlockSchema, prefix = '', seen = new Set<BlockSchema>()): string[] {
  if (seen.has(block)) return []
  seen.add(block)
  const found: string[] = []
  if (block !== here && (block.attributes.has(key) || block.blocks.has(key))) found.push(prefix || 'the top level')
  for (const nested of block.blocks.values()) {
    found.push(...findElsewhere(key, nested.block, here, prefix ? `${prefix}.${nested.name}` : nested.name, seen))
  }
  return found
}

/** Argument types that never take a list of objects (so `x { … }` for them is a misplaced block). */
function isPlainValueType(typeText: string): boolean {
  return /^(string|number|boolean|\{ ?\[key: string\])/.test(typeText.replace(/\s+/g, ' ').trim())
}

function describeKind(value: unknown): 'block' | 'argument' {
  return isBlockList(value) ? 'block' : 'argument'
}

/** Checks a literal value against the argument's TypeScript type; expressions are not evaluated. */
function literalMismatch(typeText: string, value: unknown): string | undefined {
  if (isExpression(value)) return undefined
  const type = typeText.replace(/\s+/g, ' ').trim()
  const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  if (type === 'string') return scalar || value === null ? undefined : 'expects a string'
  if (type === 'number') {
    if (typeof value === 'number' || value === null) return undefined
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return undefined
    return 'expects a number'
  }
  if (type === 'boolean | cdktf.IResolvable') {
    if (typeof value === 'boolean' || value === null || value === 'true' || value === 'false') return undefined
    return 'expects a bool'
  }
  if (type === 'string[]' || type === 'number[]') return Array.isArray(value) || value === null ? undefined : 'expects a list'
  if (type.startsWith('{ [key: string]:')) return isObject(value) || value === null ? undefined : 'expects a map'
  return undefined
}

/** A whole-value expression ("${…}"), whose type is not known without evaluating it. */
function isExpression(value: unknown): boolean {
  if (typeof value !== 'string' || !value.startsWith('${')) return false
  const fragments: string[] = []
  const end = scanCode(value, 2, fragments)
  return end === value.length
}

/** Every `${…}` / `%{…}` code fragment in the document's strings, with the text of string literals blanked out. */
export function codeFragments(json: unknown): string[] {
  const fragments: string[] = []
  const visit = (value: unknown): void => {
    if (typeof value === 'string') scanTemplate(value, 0, false, fragments)
    else if (Array.isArray(value)) value.forEach(visit)
    else if (isObject(value)) Object.values(value).forEach(visit)
  }
  visit(json)
  return fragments
}

/** Scans template text from i; in a quoted string (quoted = true) stops after the closing quote. */
function scanTemplate(text: string, i: number, quoted: boolean, fragments: string[]): number {
  while (i < text.length) {
    const c = text[i]
    if ((c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') {
      i += 3 // $${ and %%{ are escapes
    } else if ((c === '$' || c === '%') && text[i + 1] === '{') {
      i = scanCode(text, i + 2, fragments)
    } else if (quoted && c === '\\') {
      i += 2
    } else if (quoted && c === '"') {
      return i + 1
    } else {
      i += 1
    }
  }
  return i
}

/** Scans expression code from i up to its closing brace; records the code with string literals blanked. */
function scanCode(text: string, i: number, fragments: string[]): number {
  let depth = 0
  let code = ''
  while (i < text.length) {
    const c = text[i] ?? ''
    if (c === '"') {
      i = scanTemplate(text, i + 1, true, fragments)
      code += '""'
      continue
    }
    if (c === '{') depth += 1
    if (c === '}') {
      if (depth === 0) {
        fragments.push(code)
        return i + 1
      }
      depth -= 1
    }
    code += c
    i += 1
  }
  fragments.push(code)
  return i
}

/** The closest candidate by edit distance, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = editDistance(word, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i]
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isBlockList(value: unknown): value is JsonObject[] {
  return Array.isArray(value) && value.length > 0 && value.every(isObject)
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

function asObject(value: unknown): JsonObject {
  return isObject(value) ? value : {}
}

function entries(value: unknown): [string, unknown][] {
  return Object.entries(asObject(value))
}

function firstBody(bodies: unknown): JsonObject | undefined {
  const first = asArray(bodies)[0]
  return isObject(first) ? first : undefined
}
