// The one hashicorp/random resource terraform/ uses, written down by hand for when `@cdktf/provider-random` (the
// generated bindings of the random provider, published like `@cdktf/provider-google`) is not installed. Copied from
// @cdktf/provider-random 12.0.1 (hashicorp/random 3.7.2), lib/password/index.d.ts: PasswordConfig's properties and
// the Password class's getters. When the package is installed, the test reads it instead and this is unused.

import type { SchemaSource } from './tf-check.js'
import type { AttributeSchema, BlockSchema, ReadableAttribute, ResourceSchema } from './tf-schema.js'

const PASSWORD_ARGUMENTS: readonly (readonly [name: string, typeText: string, required?: true])[] = [
  ['keepers', '{ [key: string]: string; }'],
  ['length', 'number', true],
  ['lower', 'boolean | cdktf.IResolvable'],
  ['min_lower', 'number'],
  ['min_numeric', 'number'],
  ['min_special', 'number'],
  ['min_upper', 'number'],
  ['number', 'boolean | cdktf.IResolvable'],
  ['numeric', 'boolean | cdktf.IResolvable'],
  ['override_special', 'string'],
  ['special', 'boolean | cdktf.IResolvable'],
  ['upper', 'boolean | cdktf.IResolvable']
]
const PASSWORD_COMPUTED = ['bcrypt_hash', 'id', 'result']

function block(interfaceName: string, args: typeof PASSWORD_ARGUMENTS): BlockSchema {
  const attributes = new Map<string, AttributeSchema>(
    args.map(([name, typeText, required]) => [name, { name, typeText, required: required === true }])
  )
  return { interfaceName, attributes, blocks: new Map() }
}

const password: ResourceSchema = {
  type: 'random_password',
  kind: 'resource',
  file: 'test/terraform/random-fallback.ts',
  config: block('PasswordConfig', PASSWORD_ARGUMENTS),
  readable: {
    className: 'Password',
    attributes: new Map<string, ReadableAttribute>(
      [...PASSWORD_ARGUMENTS.map(([name]) => name), ...PASSWORD_COMPUTED].map((name) => [
        name,
        { name, nested: name === 'keepers' ? 'map' : null }
      ])
    )
  }
}

const providerConfig: ResourceSchema = {
  type: 'random',
  kind: 'provider',
  file: 'test/terraform/random-fallback.ts',
  config: block('RandomProviderConfig', [['alias', 'string']]),
  readable: { className: 'RandomProvider', attributes: new Map() }
}

export const randomFallback: SchemaSource & { readonly description: string } = {
  provider: 'random',
  description: 'hand-written random_password schema (hashicorp/random 3.7.2)',
  resource: (type) => (type === 'random_password' ? password : undefined),
  data: () => undefined,
  providerConfig: () => providerConfig,
  knownTypes: (kind) => (kind === 'resource' ? ['random_password'] : [])
}
