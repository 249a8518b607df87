/**
 * AIP-134 update masks for Connections: comma-separated field paths in camelCase (as Terraform sends them) or
 * snake_case, optionally nested (`node_config.min_node_count`, `labels.env`). A masked field the body leaves out is
 * cleared — Terraform relies on it to set `suspended` back to false. `*` replaces every settable field.
 */
import { InvalidArgumentError } from '../errors.js'
import type { ConnectionSpec } from './connection.js'
import { OUTPUT_ONLY_FIELDS, SETTABLE_FIELDS } from './resource-schema.js'

const camelCase = (path: string): string => path.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase())

/** The mask's paths in camelCase; `*` stands for every settable field. */
export function parseUpdateMask (mask: string | undefined): string[][] {
  const raw = (mask ?? '').split(',').map((path) => path.trim()).filter(Boolean)
  if (raw.length === 0) {
    throw new InvalidArgumentError('updateMask is required: name the fields to change (e.g. updateMask=description,labels)', [
      { field: 'updateMask', description: 'must name at least one field' }
    ])
  }
  if (raw.includes('*')) return Object.keys(SETTABLE_FIELDS).map((field) => [field])
  return raw.map((path) => {
    const segments = path.split('.')
    const field = camelCase(segments[0]!)
    if (OUTPUT_ONLY_FIELDS.includes(field)) {
      throw new InvalidArgumentError(`updateMask: ${path} is output only`, [{ field: 'updateMask', description: `${path} is output only and cannot be updated` }])
    }
    if (!SETTABLE_FIELDS[field]) {
      throw new InvalidArgumentError(`updateMask: ${path} is not a field of Connection`, [{ field: 'updateMask', description: `${path} is not a field of Connection` }])
    }
    return checkedPath(path, field, segments.slice(1))
  })
}

type Schema = Record<string, unknown>

/** A mask path whose every segment names a field of the one before (or, under `labels`, one label key). */
function checkedPath (original: string, field: string, rest: string[]): string[] {
  const path = [field]
  let schema: Schema | undefined = SETTABLE_FIELDS[field]
  for (const segment of rest) {
    const properties = schema?.properties as Record<string, Schema> | undefined
    const isMap = schema?.type === 'object' && !properties && typeof schema.additionalProperties === 'object'
    if (isMap) {
      // A map key (labels.env) keeps its spelling and ends the path.
      path.push(segment)
      schema = undefined
      continue
    }
    const name = camelCase(segment)
    if (!properties?.[name]) {
      throw new InvalidArgumentError(`updateMask: ${original} names no field of Connection`, [
        { field: 'updateMask', description: `${original}: ${path.join('.')} has no field ${segment}` }
      ])
    }
    path.push(name)
    schema = properties[name]
  }
  return path
}

type Tree = Record<string, unknown>

function getPath (tree: Tree | undefined, path: string[]): unknown {
  let node: unknown = tree
  for (const segment of path) node = typeof node === 'object' && node !== null ? (node as Tree)[segment] : undefined
  return node
}

function setPath (tree: Tree, path: string[], value: unknown): void {
  const [head, ...rest] = path
  if (head === undefined) return
  if (rest.length === 0) {
    if (value === undefined) delete tree[head]
    else tree[head] = value
    return
  }
  const child = typeof tree[head] === 'object' && tree[head] !== null && !Array.isArray(tree[head]) ? { ...(tree[head] as Tree) } : {}
  setPath(child, rest, value)
  if (Object.keys(child).length) tree[head] = child
  else delete tree[head]
}

/** `current` with the masked paths taken from `body` (absent in the body: cleared). */
export function applyUpdate (current: ConnectionSpec, body: ConnectionSpec, paths: string[][]): ConnectionSpec {
  const next = structuredClone(current) as unknown as Tree
  for (const path of paths) setPath(next, path, structuredClone(getPath(body as unknown as Tree, path)))
  return next as unknown as ConnectionSpec
}

/** The top-level fields a mask touches. */
export function maskedFields (paths: string[][]): Set<string> {
  return new Set(paths.map((path) => path[0]!))
}
