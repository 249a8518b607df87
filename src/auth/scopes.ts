/**
 * Scopes of a caller token: resource-name patterns such as `projects/acme` (everything under the project) or
 * `projects/acme/locations/<*>/connections/<*>` (written without the angle brackets: `*` matches one name
 * segment). A request is allowed when its resource lies within a pattern — or, for lists and creates, when it is
 * the parent of resources the pattern covers.
 */

const segments = (name: string): string[] => name.split('/').filter(Boolean)

function segmentMatches (pattern: string, value: string): boolean {
  return pattern === '*' || pattern === value
}

/** Whether `pattern` is well-formed: `projects/…` names, `*` only as a whole segment. */
export function isScopePattern (pattern: string): boolean {
  const parts = segments(pattern)
  return parts[0] === 'projects' && parts.length >= 2 && parts.every((part) => part === '*' || !part.includes('*'))
}

/** Whether `resource` lies within `pattern` (it is, or is under, a name the pattern matches). */
export function within (resource: string, pattern: string): boolean {
  const name = segments(resource)
  const parts = segments(pattern)
  return name.length >= parts.length && parts.every((part, index) => segmentMatches(part, name[index]!))
}

/** Whether `parent` contains names `pattern` matches (a list or create there may concern them). */
export function containsScope (parent: string, pattern: string): boolean {
  const name = segments(parent)
  const parts = segments(pattern)
  return name.length < parts.length && name.every((segment, index) => segmentMatches(parts[index]!, segment))
}

/** Whether any of `scopes` lets a caller reach `resource` (no scopes: everything). */
export function allows (scopes: readonly string[], resource: string, asParent = false): boolean {
  return scopes.length === 0 || scopes.some((pattern) => within(resource, pattern) || (asParent && containsScope(resource, pattern)))
}
