/**
 * The SQL that `:executeSqlQuery` understands: one entity, no joins —
 *
 *   SELECT { * | column [, column …] } FROM Entity [WHERE condition] [ORDER BY column [ASC | DESC]] [LIMIT n] [;]
 *
 * The WHERE condition is the filter language of List; `?` placeholders (in WHERE and LIMIT) take the query's
 * parameters in order, rendered as literals of their data type. Anything else — DML, joins, grouping, several
 * columns in ORDER BY — is refused with 400 INVALID_ARGUMENT naming what is not supported.
 */
import { invalidField } from '../errors.js'

/** A positional parameter as Google sends it (`{"dataType": "VARCHAR", "value": "+1555…"}`). */
export interface QueryParameter { dataType?: string, value?: unknown }

export interface SqlSelect {
  /** The entity as written after FROM. */
  from: string
  /** Column names as written; undefined for `*`. */
  columns?: string[]
  where?: string
  orderBy?: { column: string, descending: boolean }
  limit?: number
}

const SUPPORTED = 'SELECT { * | column, … } FROM Entity [WHERE condition] [ORDER BY column [ASC|DESC]] [LIMIT n]'
const CLAUSES = new Set(['SELECT', 'FROM', 'WHERE', 'ORDER', 'LIMIT'])
const UNSUPPORTED = new Set([
  'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'CROSS', 'UNION', 'INTERSECT', 'EXCEPT', 'GROUP', 'HAVING', 'OFFSET',
  'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'CREATE', 'DROP', 'ALTER', 'TRUNCATE', 'WITH', 'DISTINCT', 'INTO'
])
const NUMERIC_TYPES = new Set(['INTEGER', 'INT', 'BIGINT', 'SMALLINT', 'TINYINT', 'DOUBLE', 'FLOAT', 'REAL', 'DECIMAL', 'NUMERIC', 'NUMBER'])
export const MAX_SQL_LIMIT = 10_000

/** A word or symbol of the query outside quoted strings, with its offset. */
interface Token { text: string, start: number, end: number, quoted: boolean }

/** Splits the query into words, symbols and quoted strings (quotes kept, `''` / `""` as escapes). */
function tokenize (sql: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < sql.length) {
    const char = sql[i]!
    if (/\s/.test(char)) { i++; continue }
    const start = i
    if (char === "'" || char === '"') {
      i++
      for (;;) {
        if (i >= sql.length) throw invalidField('query.query', `Unterminated string starting at position ${start + 1}`)
        if (sql[i] === char && sql[i + 1] === char) { i += 2; continue }
        if (sql[i++] === char) break
      }
      tokens.push({ text: sql.slice(start, i), start, end: i, quoted: true })
    } else if (/[A-Za-z0-9_.]/.test(char)) {
      while (i < sql.length && /[A-Za-z0-9_.]/.test(sql[i]!)) i++
      tokens.push({ text: sql.slice(start, i), start, end: i, quoted: false })
    } else {
      const two = sql.slice(i, i + 2)
      i += ['<=', '>=', '<>', '!='].includes(two) ? 2 : 1
      tokens.push({ text: sql.slice(start, i), start, end: i, quoted: false })
    }
  }
  return tokens
}

/** A parameter as a literal of the filter language. */
function literal (parameter: QueryParameter, index: number): string {
  const { value } = parameter
  const type = (parameter.dataType ?? '').toUpperCase()
  if (value === null || value === undefined) return 'NULL'
  if (type === 'BOOLEAN' || type === 'BIT' || typeof value === 'boolean') {
    if (value === true || value === 'true') return 'TRUE'
    if (value === false || value === 'false') return 'FALSE'
    throw invalidField('query.query', `Parameter ${index + 1} is ${type || 'a boolean'} but its value is not true or false`)
  }
  if (NUMERIC_TYPES.has(type) || (type === '' && typeof value === 'number')) {
    const number = typeof value === 'number' ? value : Number(value)
    if (typeof value === 'object' || String(value).trim() === '' || !Number.isFinite(number)) {
      throw invalidField('query.query', `Parameter ${index + 1} is ${type || 'a number'} but its value is not a number`)
    }
    return String(number)
  }
  if (typeof value === 'object') throw invalidField('query.query', `Parameter ${index + 1} must be a single value, not ${Array.isArray(value) ? 'an array' : 'an object'}`)
  return `'${String(value).replaceAll("'", "''")}'`
}

/** The query's text from `from` to `to` with each `?` replaced by the next parameter. */
function substitute (sql: string, tokens: Token[], from: number, to: number, take: () => string): string {
  let out = ''
  let at = tokens[from]?.start ?? sql.length
  for (let i = from; i < to; i++) {
    const token = tokens[i]!
    if (token.text === '?' && !token.quoted) {
      out += sql.slice(at, token.start) + take()
      at = token.end
    }
  }
  return out + sql.slice(at, tokens[to - 1]?.end ?? at)
}

/** Parses a query; throws 400 INVALID_ARGUMENT naming what is wrong or not supported. */
export function parseSelect (sql: string, parameters: QueryParameter[] = []): SqlSelect {
  const tokens = tokenize(sql.trim().replace(/;\s*$/, ''))
  const word = (index: number): string => (tokens[index] && !tokens[index].quoted ? tokens[index].text.toUpperCase() : '')
  const unsupported = tokens.find((token) => !token.quoted && (UNSUPPORTED.has(token.text.toUpperCase()) || token.text === ';'))
  if (word(0) !== 'SELECT') throw invalidField('query.query', `Only SELECT queries are supported (${SUPPORTED}); got ${tokens[0]?.text ?? 'an empty query'}`)
  if (unsupported) throw invalidField('query.query', `${unsupported.text.toUpperCase()} is not supported (at position ${unsupported.start + 1}): ${SUPPORTED}`)

  const clauseAt = (name: string): number => tokens.findIndex((token, index) => index > 0 && word(index) === name && !token.quoted)
  const fromAt = clauseAt('FROM')
  if (fromAt < 0) throw invalidField('query.query', `A FROM clause naming one entity is required: ${SUPPORTED}`)
  const boundaries = ['WHERE', 'ORDER', 'LIMIT'].map(clauseAt)
  const present = [fromAt, ...boundaries.filter((at) => at >= 0)]
  if (present.some((at, index) => index > 0 && at < present[index - 1]!)) throw invalidField('query.query', `Clauses must come in this order: ${SUPPORTED}`)
  const next = (after: number): number => Math.min(...boundaries.filter((at) => at > after), tokens.length)
  const sqlText = sql.trim().replace(/;\s*$/, '')

  let parameterIndex = 0
  const take = (): string => {
    const parameter = parameters[parameterIndex]
    if (!parameter) throw invalidField('query.query', `The query has more ? placeholders than the ${parameters.length} queryParameters given`)
    return literal(parameter, parameterIndex++)
  }

  const columnTokens = tokens.slice(1, fromAt)
  let columns: string[] | undefined
  if (!(columnTokens.length === 1 && columnTokens[0]!.text === '*')) {
    columns = []
    for (const [index, token] of columnTokens.entries()) {
      const expectComma = index % 2 === 1
      if (expectComma ? token.text !== ',' : (token.quoted || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(token.text) || CLAUSES.has(token.text.toUpperCase()))) {
        throw invalidField('query.query', `Unsupported column list at position ${token.start + 1} ('${token.text}'): name columns separated by commas, or *`)
      }
      if (!expectComma) columns.push(token.text)
    }
    if (columns.length === 0 || columnTokens.length % 2 === 0) throw invalidField('query.query', 'SELECT needs * or a list of columns')
  }

  const fromTokens = tokens.slice(fromAt + 1, next(fromAt))
  if (fromTokens.length !== 1 || fromTokens[0]!.quoted) {
    throw invalidField('query.query', `FROM takes exactly one entity${fromTokens.length > 1 ? `; '${fromTokens[1]!.text}' at position ${fromTokens[1]!.start + 1} is not supported` : ''}`)
  }
  const select: SqlSelect = { from: fromTokens[0]!.text, ...(columns ? { columns } : {}) }

  const whereAt = boundaries[0]!
  if (whereAt >= 0) {
    select.where = substitute(sqlText, tokens, whereAt + 1, next(whereAt), take)
    if (!select.where.trim()) throw invalidField('query.query', 'WHERE needs a condition')
  }
  const orderAt = boundaries[1]!
  if (orderAt >= 0) {
    const clause = tokens.slice(orderAt + 1, next(orderAt))
    if (word(orderAt + 1) !== 'BY' || clause.length < 2 || clause.length > 3 || clause[1]!.quoted ||
      (clause.length === 3 && !['ASC', 'DESC'].includes(clause[2]!.text.toUpperCase()))) {
      throw invalidField('query.query', 'ORDER BY takes one column, optionally ASC or DESC')
    }
    select.orderBy = { column: clause[1]!.text, descending: clause[2]?.text.toUpperCase() === 'DESC' }
  }
  const limitAt = boundaries[2]!
  if (limitAt >= 0) {
    const clause = tokens.slice(limitAt + 1, next(limitAt))
    const text = clause.length === 1 ? (clause[0]!.text === '?' ? take() : clause[0]!.text) : ''
    if (!/^\d+$/.test(text) || Number(text) > MAX_SQL_LIMIT) throw invalidField('query.query', `LIMIT takes a whole number up to ${MAX_SQL_LIMIT}`)
    select.limit = Number(text)
  }
  if (parameterIndex !== parameters.length) {
    throw invalidField('query.query', `${parameters.length} queryParameters were given for ${parameterIndex} ? placeholder(s)`)
  }
  return select
}
