/**
 * The subset of AIP-160 filters that `connections.list` accepts, evaluated on each Connection resource:
 *
 *   filter     := or
 *   or         := and ('OR' and)*
 *   and        := unary (['AND'] unary)*          (juxtaposition means AND)
 *   unary      := ('NOT' | '-')? primary
 *   primary    := '(' or ')' | path op value | path ':' value
 *   op         := '=' | '!=' | '<' | '<=' | '>' | '>='
 *   path       := name ('.' name)*                e.g. labels.env, status.state, createTime
 *   value      := "quoted" | 'quoted' | bare word    ('*' in a value matches any run of characters)
 *
 * `:` is "has": `labels.env:*` (the label exists), `description:billing` (contains). `name = "my-conn"` also
 * matches the connection id alone. An unknown field is a 400, never silently false.
 */
import { InvalidArgumentError } from '../errors.js'

type Resource = Record<string, unknown>
export type Predicate = (resource: Resource) => boolean

const OPERATORS = ['!=', '<=', '>=', '=', '<', '>', ':'] as const
type Operator = typeof OPERATORS[number]

interface Token { kind: 'word' | 'string' | 'op' | 'paren', text: string, at: number }

function tokenize (filter: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  while (at < filter.length) {
    const char = filter[at]!
    if (/\s/.test(char)) { at++; continue }
    if (char === '(' || char === ')') { tokens.push({ kind: 'paren', text: char, at }); at++; continue }
    if (char === '"' || char === "'") {
      let end = at + 1
      let text = ''
      while (end < filter.length && filter[end] !== char) {
        if (filter[end] === '\\' && end + 1 < filter.length) end++
        text += filter[end]
        end++
      }
      if (end >= filter.length) throw filterError(`unterminated string starting at position ${at + 1}`)
      tokens.push({ kind: 'string', text, at })
      at = end + 1
      continue
    }
    const op = OPERATORS.find((candidate) => filter.startsWith(candidate, at))
    if (op) { tokens.push({ kind: 'op', text: op, at }); at += op.length; continue }
    const word = /^[^\s()"'=!<>:]+/.exec(filter.slice(at))![0]
    tokens.push({ kind: 'word', text: word, at })
    at += word.length
  }
  return tokens
}

function filterError (message: string): InvalidArgumentError {
  return new InvalidArgumentError(`filter: ${message}`, [{ field: 'filter', description: message }])
}

function lookup (resource: Resource, path: string[]): unknown {
  let node: unknown = resource
  for (const segment of path) node = typeof node === 'object' && node !== null ? (node as Resource)[segment] : undefined
  return node
}

/**
 * A `*` wildcard match in linear time: the parts between stars must appear in order, the first at the start and the
 * last at the end. (A regular expression of `.*` runs would backtrack exponentially on patterns like `*a*a*a*b`.)
 */
function glob (pattern: string): { test (text: string): boolean } {
  const parts = pattern.split('*')
  const first = parts[0]!
  const last = parts[parts.length - 1]!
  return {
    test (text: string): boolean {
      if (parts.length === 1) return text === pattern
      if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false
      const end = text.length - last.length
      let position = first.length
      for (const part of parts.slice(1, -1)) {
        const found = text.indexOf(part, position)
        if (found === -1 || found + part.length > end) return false
        position = found + part.length
      }
      return true
    }
  }
}

function compare (actual: unknown, operator: Operator, expected: string, path: string[]): boolean {
  if (operator === ':') {
    if (expected === '*') return actual !== undefined && actual !== null
    if (Array.isArray(actual)) return actual.some((item) => String(item) === expected)
    return actual !== undefined && actual !== null && (expected.includes('*') ? glob(expected) : glob(`*${expected}*`)).test(String(actual))
  }
  if (actual === undefined || actual === null || typeof actual === 'object') return operator === '!=' ? true : false
  const text = String(actual)
  // `name = "my-conn"`: the connection id alone is enough.
  const candidates = path.length === 1 && path[0] === 'name' && !expected.includes('/') ? [text, text.split('/').pop()!] : [text]
  const matches = (candidate: string): boolean => {
    switch (operator) {
      case '=': return expected.includes('*') ? glob(expected).test(candidate) : candidate === expected
      case '!=': return expected.includes('*') ? !glob(expected).test(candidate) : candidate !== expected
      default: {
        const [a, b] = /^-?\d+(\.\d+)?$/.test(candidate) && /^-?\d+(\.\d+)?$/.test(expected) ? [Number(candidate), Number(expected)] : [candidate, expected]
        return operator === '<' ? a < b : operator === '<=' ? a <= b : operator === '>' ? a > b : a >= b
      }
    }
  }
  return operator === '!=' ? candidates.every(matches) : candidates.some(matches)
}

/** How deep parentheses may nest: far beyond any real filter, well within the stack. */
const MAX_NESTING = 64

/** Compiles a filter; `fields` are the resource's top-level field names a filter may use. */
export function compileFilter (filter: string | undefined, fields: ReadonlySet<string>): Predicate {
  if (!filter?.trim()) return () => true
  const tokens = tokenize(filter)
  let position = 0
  const peek = (): Token | undefined => tokens[position]
  const isWord = (token: Token | undefined, word: string): boolean => token?.kind === 'word' && token.text === word

  const parseOr = (): Predicate => {
    const terms = [parseAnd()]
    while (isWord(peek(), 'OR')) { position++; terms.push(parseAnd()) }
    return terms.length === 1 ? terms[0]! : (resource) => terms.some((term) => term(resource))
  }
  const parseAnd = (): Predicate => {
    const terms = [parseUnary()]
    for (;;) {
      const next = peek()
      if (!next || isWord(next, 'OR') || (next.kind === 'paren' && next.text === ')')) break
      if (isWord(next, 'AND')) position++
      terms.push(parseUnary())
    }
    return terms.length === 1 ? terms[0]! : (resource) => terms.every((term) => term(resource))
  }
  const parseUnary = (): Predicate => {
    const token = peek()
    if (isWord(token, 'NOT') || isWord(token, '-')) {
      position++
    } else if (token?.kind === 'word' && token.text.startsWith('-')) {
      // `-labels.env:*`: the minus sign negates the term it is written against.
      tokens[position] = { ...token, text: token.text.slice(1), at: token.at + 1 }
    } else {
      return parsePrimary()
    }
    const inner = parsePrimary()
    return (resource) => !inner(resource)
  }
  let depth = 0
  const parsePrimary = (): Predicate => {
    const token = peek()
    if (!token) throw filterError('unexpected end of the filter')
    if (token.kind === 'paren' && token.text === '(') {
      if (++depth > MAX_NESTING) throw filterError(`parentheses nest deeper than ${MAX_NESTING} levels (position ${token.at + 1})`)
      position++
      const inner = parseOr()
      depth--
      if (peek()?.text !== ')') throw filterError(`missing ) for the ( at position ${token.at + 1}`)
      position++
      return inner
    }
    if (token.kind !== 'word') throw filterError(`expected a field name at position ${token.at + 1}, got ${token.text}`)
    position++
    const path = token.text.split('.')
    if (!fields.has(path[0]!)) throw filterError(`${path[0]} is not a field of Connection (position ${token.at + 1})`)
    const op = peek()
    if (op?.kind !== 'op') throw filterError(`expected an operator after ${token.text} at position ${(op?.at ?? filter.length) + 1}`)
    position++
    const value = peek()
    if (!value || (value.kind !== 'word' && value.kind !== 'string')) throw filterError(`expected a value after ${token.text} ${op.text}`)
    position++
    return (resource) => compare(lookup(resource, path), op.text as Operator, value.text, path)
  }

  const predicate = parseOr()
  if (position < tokens.length) throw filterError(`unexpected ${tokens[position]!.text} at position ${tokens[position]!.at + 1}`)
  return predicate
}

/** Sorts by an AIP-132 `orderBy` (`createTime desc, name`). */
export function compileOrderBy (orderBy: string | undefined, fields: ReadonlySet<string>): (a: Resource, b: Resource) => number {
  const keys = (orderBy ?? '').split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const [field, direction, extra] = part.split(/\s+/)
    if (!field || extra !== undefined || (direction !== undefined && !/^(asc|desc)$/i.test(direction)) || !fields.has(field.split('.')[0]!)) {
      throw new InvalidArgumentError(`orderBy: cannot order by "${part}"`, [{ field: 'orderBy', description: `"${part}" is not "<field> [asc|desc]" with a field of Connection` }])
    }
    return { path: field.split('.'), descending: direction?.toLowerCase() === 'desc' }
  })
  keys.push({ path: ['name'], descending: false })
  return (a, b) => {
    for (const { path, descending } of keys) {
      const left = String(lookup(a, path) ?? '')
      const right = String(lookup(b, path) ?? '')
      if (left !== right) return (left < right ? -1 : 1) * (descending ? -1 : 1)
    }
    return 0
  }
}
