// Terraform provider schemas, derived from the generated TypeScript bindings that the CDK for Terraform publishes
// on npm (`@cdktf/provider-google`, and `@cdktf/provider-random` when it is installed).
//
// Each `lib/<resource>/index.d.ts` declares:
//  - one `…Config` interface for the resource's arguments, and one interface per nested block, whose properties
//    are camelCase and carry a JSDoc link ending in `#<terraform_name>`; a property whose type names another
//    interface of the same file is a nested block (a list of blocks when the type is an array);
//  - one class with `static readonly tfResourceType = "<type>"`, whose getters are every attribute that can be
//    read (arguments and computed attributes), and `…List` / `…OutputReference` classes for nested values.
// Nothing here runs Terraform or a provider binary: it reads declarations with the TypeScript compiler API.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import ts from 'typescript'

export interface AttributeSchema {
  readonly name: string
  readonly required: boolean
  /** The property's TypeScript type as written, e.g. `string`, `{ [key: string]: string }`, `string[]`. */
  readonly typeText: string
}

export interface NestedBlockSchema {
  readonly name: string
  readonly required: boolean
  /** false: at most one block (`x?: XType`); true: any number (`x?: XType[] | cdktf.IResolvable`). */
  readonly list: boolean
  readonly block: BlockSchema
}

export interface BlockSchema {
  /** The interface this block was read from, for messages. */
  readonly interfaceName: string
  readonly attributes: ReadonlyMap<string, AttributeSchema>
  readonly blocks: ReadonlyMap<string, NestedBlockSchema>
}

/** What can follow `<type>.<name>.` in an expression: attribute name → the class describing its nested value, if any. */
export interface ReadableSchema {
  readonly className: string
  readonly attributes: ReadonlyMap<string, ReadableAttribute>
}

export interface ReadableAttribute {
  readonly name: string
  /** For a nested list/object: what can follow `attr[i].` or `attr.`; 'map' for a map of scalars; null for a scalar. */
  readonly nested: (() => ReadableSchema) | 'map' | null
}

export interface ResourceSchema {
  readonly type: string
  readonly kind: 'resource' | 'data' | 'provider'
  readonly file: string
  readonly config: BlockSchema
  readonly readable: ReadableSchema
}

export interface ProviderPackage {
  /** Terraform provider local name: `google`, `random`. */
  readonly provider: string
  readonly packageName: string
  readonly packageVersion: string
  /** The provider release the bindings were generated from, read from their registry links (e.g. `6.50.0`). */
  readonly providerVersion: string
  readonly libDir: string
  resource(type: string): ResourceSchema | undefined
  data(type: string): ResourceSchema | undefined
  providerConfig(): ResourceSchema
  /** Resource (or data source) types the package knows, for "did you mean" hints. */
  knownTypes(kind: 'resource' | 'data'): string[]
}

const require = createRequire(import.meta.url)

/** Loads a provider package from node_modules, or returns undefined when it is not installed. */
export function loadProviderPackage(provider: string, packageName: string): ProviderPackage | undefined {
  let packageJsonPath: string
  try {
    packageJsonPath = require.resolve(`${packageName}/package.json`)
  } catch {
    return undefined
  }
  return providerPackageAt(provider, path.dirname(packageJsonPath))
}

export function providerPackageAt(provider: string, packageDir: string): ProviderPackage {
  const pkg = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { name: string; version: string }
  const libDir = path.join(packageDir, 'lib')
  const cache = new Map<string, ResourceSchema | undefined>()
  let providerVersion: string | undefined

  const load = (kind: 'resource' | 'data' | 'provider', type: string): ResourceSchema | undefined => {
    const key = `${kind}:${type}`
    if (cache.has(key)) return cache.get(key)
    let schema: ResourceSchema | undefined
    for (const dir of candidateDirs(provider, kind, type)) {
      const file = path.join(libDir, dir, 'index.d.ts')
      if (!existsSync(file)) continue
      const text = readFileSync(file, 'utf8')
      if (!text.includes(`tfResourceType = "${type}";`)) continue
      schema = readResourceFile(file, text, type, kind)
      providerVersion ??= /registry\.terraform\.io\/providers\/[^/]+\/[^/]+\/(\d+\.\d+\.\d+)\//.exec(text)?.[1]
      break
    }
    cache.set(key, schema)
    return schema
  }

  const providerConfig = (): ResourceSchema => {
    const schema = load('provider', provider)
    if (!schema) throw new Error(`${pkg.name}: lib/provider/index.d.ts does not declare the ${provider} provider`)
    return schema
  }

  let dirs: string[] | undefined
  const knownTypes = (kind: 'resource' | 'data'): string[] => {
    dirs ??= readdirSync(libDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)
    const prefix = `data-${provider}-`
    return dirs
      .filter((d) => d !== 'provider' && (kind === 'data') === d.startsWith(prefix))
      .map((d) => (kind === 'data' ? `${provider}_${d.slice(prefix.length)}` : `${provider}_${d.replace(/-resource$/, '')}`)
        .replaceAll('-', '_'))
  }

  providerConfig()
  return {
    provider,
    packageName: pkg.name,
    packageVersion: pkg.version,
    get providerVersion() {
      return providerVersion ?? 'unknown'
    },
    libDir,
    resource: (type) => load('resource', type),
    data: (type) => load('data', type),
    providerConfig,
    knownTypes
  }
}

function candidateDirs(provider: string, kind: 'resource' | 'data' | 'provider', type: string): string[] {
  if (kind === 'provider') return ['provider']
  if (!type.startsWith(`${provider}_`)) return []
  const rest = type.slice(provider.length + 1).replaceAll('_', '-')
  // jsii renames a few modules whose name would clash (`random_string` lives in `string-resource`).
  return kind === 'data' ? [`data-${provider}-${rest}`] : [rest, `${rest}-resource`]
}

function readResourceFile(file: string, text: string, type: string, kind: ResourceSchema['kind']): ResourceSchema {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true)
  const interfaces = new Map<string, ts.InterfaceDeclaration>()
  const classes = new Map<string, ts.ClassDeclaration>()
  for (const statement of source.statements) {
    if (ts.isInterfaceDeclaration(statement)) interfaces.set(statement.name.text, statement)
    else if (ts.isClassDeclaration(statement) && statement.name) classes.set(statement.name.text, statement)
  }
  const resourceClass = [...classes.values()].find((c) =>
    c.members.some(
      (m) =>
        ts.isPropertyDeclaration(m) &&
        m.name.getText(source) === 'tfResourceType' &&
        m.initializer !== undefined &&
        ts.isStringLiteral(m.initializer) &&
        m.initializer.text === type
    )
  )
  if (!resourceClass?.name) throw new Error(`${file}: no class declares tfResourceType = "${type}"`)
  const configName = `${resourceClass.name.text}Config`
  if (!interfaces.has(configName)) throw new Error(`${file}: no interface ${configName}`)

  // camelCase property → Terraform name, from every interface's registry links (used for getters too).
  const terraformNames = new Map<string, string>()
  const blockCache = new Map<string, BlockSchema>()

  const terraformNameOf = (member: ts.PropertySignature): string => {
    const camel = member.name.getText(source)
    const comments = ts.getLeadingCommentRanges(text, member.getFullStart()) ?? []
    for (const range of comments) {
      const link = /\{@link https?:\/\/\S+#([A-Za-z0-9_]+) [^}]*\}/.exec(text.slice(range.pos, range.end))
      if (link?.[1]) {
        terraformNames.set(camel, link[1])
        return link[1]
      }
    }
    return snakeCase(camel)
  }

  const blockFrom = (interfaceName: string): BlockSchema => {
    const cached = blockCache.get(interfaceName)
    if (cached) return cached
    const decl = interfaces.get(interfaceName)
    if (!decl) throw new Error(`${file}: no interface ${interfaceName}`)
    const attributes = new Map<string, AttributeSchema>()
    const blocks = new Map<string, NestedBlockSchema>()
    const schema: BlockSchema = { interfaceName, attributes, blocks }
    blockCache.set(interfaceName, schema)
    for (const member of decl.members) {
      if (!ts.isPropertySignature(member) || !member.type) continue
      const name = terraformNameOf(member)
      const required = member.questionToken === undefined
      const nested = referencedInterfaces(member.type, interfaces)
      if (nested.length > 1) throw new Error(`${file}: ${interfaceName}.${name} names several block interfaces`)
      const only = nested[0]
      if (only) {
        blocks.set(name, { name, required, list: only.inArray, block: blockFrom(only.name) })
      } else {
        attributes.set(name, { name, required, typeText: member.type.getText(source) })
      }
    }
    return schema
  }

  const config = blockFrom(configName)
  // Interfaces not reachable from the Config still contribute their links to the name map.
  for (const decl of interfaces.values()) {
    for (const member of decl.members) if (ts.isPropertySignature(member)) terraformNameOf(member)
  }

  const readableCache = new Map<string, ReadableSchema>()
  const readableOf = (className: string): ReadableSchema => {
    const cached = readableCache.get(className)
    if (cached) return cached
    const decl = classes.get(className)
    if (!decl) throw new Error(`${file}: no class ${className}`)
    const attributes = new Map<string, ReadableAttribute>()
    const readable: ReadableSchema = { className, attributes }
    readableCache.set(className, readable)
    const getters = decl.members.filter(ts.isGetAccessorDeclaration)
    const getterNames = new Set(getters.map((g) => g.name.getText(source)))
    for (const getter of getters) {
      const camel = getter.name.getText(source)
      if (camel === 'internalValue') continue
      if (camel.endsWith('Input') && getterNames.has(camel.slice(0, -'Input'.length))) continue
      const name = terraformNames.get(camel) ?? snakeCase(camel)
      const returned = getter.type?.getText(source) ?? ''
      attributes.set(name, { name, nested: nestedReadable(returned) })
    }
    return readable
  }

  const nestedReadable = (returned: string): ReadableAttribute['nested'] => {
    if (/^cdktf\.[A-Za-z]*Map$/.test(returned) || returned.startsWith('{')) return 'map'
    if (returned.endsWith('OutputReference') && classes.has(returned)) return () => readableOf(returned)
    if (returned.endsWith('List') && classes.has(returned)) {
      const list = classes.get(returned)
      const get = list?.members.find(
        (m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && m.name.getText(source) === 'get'
      )
      const item = get?.type?.getText(source)
      if (item && classes.has(item)) return () => readableOf(item)
    }
    return null
  }

  return { type, kind, file, config, readable: readableOf(resourceClass.name.text) }
}

function referencedInterfaces(
  node: ts.TypeNode,
  interfaces: ReadonlyMap<string, ts.InterfaceDeclaration>,
  inArray = false
): { name: string; inArray: boolean }[] {
  if (ts.isTypeReferenceNode(node)) {
    if (ts.isIdentifier(node.typeName) && interfaces.has(node.typeName.text)) return [{ name: node.typeName.text, inArray }]
    return []
  }
  if (ts.isArrayTypeNode(node)) return referencedInterfaces(node.elementType, interfaces, true)
  if (ts.isUnionTypeNode(node) || ts.isIntersectionTypeNode(node)) {
    return node.types.flatMap((t) => referencedInterfaces(t, interfaces, inArray))
  }
  if (ts.isParenthesizedTypeNode(node)) return referencedInterfaces(node.type, interfaces, inArray)
  return []
}

export function snakeCase(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}
