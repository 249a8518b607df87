/**
 * The filter language of `conditions` and `filterClause`, parsed into a tree (see the README's grammar):
 *
 *   condition  := or
 *   or         := and { OR and }
 *   and        := unary { AND unary }
 *   unary      := NOT unary | '(' or ')' | predicate
 *   predicate  := field ( op value | [NOT] LIKE string | [NOT] IN '(' value { ',' value } ')' | IS [NOT] NULL )
 *   op         := '=' | '!=' | '<>' | '<' | '<=' | '>' | '>='
 *   value      := string | number | TRUE | FALSE | NULL | ( TODAY() | NOW() ) [ ('+' | '-') number ]
 *
 * Keywords and field names are case-insensitive; strings take single or double quotes, a quote doubled inside
 * stands for itself. Every error names the position (1-based character) where the text stops making sense.
 * Field names are checked against an entity later (binding), not here.
 */

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>='

export type Literal =
  | { kind: 'string', value: string }
  | { kind: 'number', value: number }
  | { kind: 'boolean', value: boolean }
  | { kind: 'null' }
  /** `TODAY()` (midnight UTC) or `NOW()`, moved by a number of days. */
  | { kind: 'relative', base: 'TODAY' | 'NOW', days: number }

/** A field as written, with where it was written (for messages). */
export interface FieldReference { name: string, position: number }

export type Condition =
  | { kind: 'and' | 'or', operands: Condition[] }
  | { kind: 'not', operand: Condition }
  | { kind: 'compare', field: FieldReference, operator: ComparisonOperator, value: Literal }
  | { kind: 'like', field: FieldReference, pattern: string, negated: boolean }
  | { kind: 'in', field: FieldReference, values: Literal[], negated: boolean }
  | { kind: 'isNull', field: FieldReference, negated: boolean }

/** A condition that is not well formed, with the 1-based position where it goes wrong. */
export class FilterSyntaxError extends Error {
  constructor (message: string, readonly position: number) {
    super(`${message} at position ${position}`)
  }
}

type TokenKind = 'word' | 'string' | 'number' | 'symbol' | 'end'
interface Token { kind: TokenKind, text: string, position: number }

const SYMBOLS = ['<=', '>=', '<>', '!=', '=', '<', '>', '(', ')', ',', '+', '-']
const NUMBER = /^\d+(\.\d+)?([eE][+-]?\d+)?/
const WORD = /^[A-Za-z_][A-Za-z0-9_]*/
/** Nesting beyond this is refused: it is never needed, and a deep tree would exhaust the stack. */
const MAX_DEPTH = 64
/** Longer conditions are refused before parsing. */
export const MAX_CONDITION_LENGTH = 10_000

function tokenize (text: string): Token[] {
  const tokens: Token[] = []
  let index = 0
  while (index < text.length) {
    const char = text[index]!
    if (/\s/.test(char)) {
      index++
      continue
    }
    const position = index + 1
    if (char === '\'' || char === '"') {
      let value = ''
      let cursor = index + 1
      for (;;) {
        if (cursor >= text.length) throw new FilterSyntaxError('Unterminated string', position)
        if (text[cursor] === char) {
          if (text[cursor + 1] === char) {
            value += char
            cursor += 2
            continue
          }
          break
        }
        value += text[cursor]
        cursor++
      }
      tokens.push({ kind: 'string', text: value, position })
      index = cursor + 1
      continue
    }
    const rest = text.slice(index, index + 64)
    const number = NUMBER.exec(rest)
    if (number) {
      tokens.push({ kind: 'number', text: number[0], position })
      index += number[0].length
      continue
    }
    const word = WORD.exec(rest)
    if (word) {
      tokens.push({ kind: 'word', text: word[0], position })
      index += word[0].length
      continue
    }
    const symbol = SYMBOLS.find((candidate) => text.startsWith(candidate, index))
    if (!symbol) throw new FilterSyntaxError(`Unexpected character '${char}'`, position)
    tokens.push({ kind: 'symbol', text: symbol, position })
    index += symbol.length
  }
  tokens.push({ kind: 'end', text: '', position: text.length + 1 })
  return tokens
}

const describe = (token: Token): string => token.kind === 'end' ? 'the end of the condition'
  : token.kind === 'string' ? `the string '${token.text}'` : `'${token.text}'`

class Parser {
  #index = 0

  constructor (private readonly tokens: Token[]) {}

  parse (): Condition {
    const condition = this.#or(0)
    const next = this.#peek()
    if (next.kind !== 'end') throw new FilterSyntaxError(`Expected AND, OR or the end of the condition, found ${describe(next)}`, next.position)
    return condition
  }

  #peek (): Token {
    return this.tokens[this.#index]!
  }

  #next (): Token {
    return this.tokens[this.#index++]!
  }

  #isKeyword (keyword: string, offset = 0): boolean {
    const token = this.tokens[this.#index + offset]
    return token?.kind === 'word' && token.text.toUpperCase() === keyword
  }

  #isSymbol (symbol: string): boolean {
    const token = this.#peek()
    return token.kind === 'symbol' && token.text === symbol
  }

  #expectSymbol (symbol: string, what: string): void {
    const token = this.#next()
    if (token.kind !== 'symbol' || token.text !== symbol) throw new FilterSyntaxError(`Expected ${what}, found ${describe(token)}`, token.position)
  }

  #or (depth: number): Condition {
    const operands = [this.#and(depth)]
    while (this.#isKeyword('OR')) {
      this.#next()
      operands.push(this.#and(depth))
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands }
  }

  #and (depth: number): Condition {
    const operands = [this.#unary(depth)]
    while (this.#isKeyword('AND')) {
      this.#next()
      operands.push(this.#unary(depth))
    }
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands }
  }

  #unary (depth: number): Condition {
    const token = this.#peek()
    if (depth >= MAX_DEPTH) throw new FilterSyntaxError(`Nesting deeper than ${MAX_DEPTH} levels`, token.position)
    if (this.#isKeyword('NOT')) {
      this.#next()
      return { kind: 'not', operand: this.#unary(depth + 1) }
    }
    if (this.#isSymbol('(')) {
      this.#next()
      const inner = this.#or(depth + 1)
      this.#expectSymbol(')', "')'")
      return inner
    }
    return this.#predicate()
  }

  #predicate (): Condition {
    const token = this.#next()
    if (token.kind !== 'word' || ['AND', 'OR', 'NOT', 'LIKE', 'IN', 'IS'].includes(token.text.toUpperCase())) {
      throw new FilterSyntaxError(`Expected a field name, found ${describe(token)}`, token.position)
    }
    const field: FieldReference = { name: token.text, position: token.position }
    const negated = this.#isKeyword('NOT') && (this.#isKeyword('LIKE', 1) || this.#isKeyword('IN', 1))
    if (negated) this.#next()
    if (this.#isKeyword('LIKE')) {
      this.#next()
      const pattern = this.#next()
      if (pattern.kind !== 'string') throw new FilterSyntaxError(`LIKE takes a quoted pattern, found ${describe(pattern)}`, pattern.position)
      return { kind: 'like', field, pattern: pattern.text, negated }
    }
    if (this.#isKeyword('IN')) {
      this.#next()
      this.#expectSymbol('(', "'(' after IN")
      const values = [this.#value()]
      while (this.#isSymbol(',')) {
        this.#next()
        values.push(this.#value())
      }
      this.#expectSymbol(')', "',' or ')' in the IN list")
      return { kind: 'in', field, values, negated }
    }
    if (this.#isKeyword('IS')) {
      this.#next()
      const isNot = this.#isKeyword('NOT')
      if (isNot) this.#next()
      const word = this.#next()
      if (word.kind !== 'word' || word.text.toUpperCase() !== 'NULL') throw new FilterSyntaxError(`Expected NULL after IS${isNot ? ' NOT' : ''}, found ${describe(word)}`, word.position)
      return { kind: 'isNull', field, negated: isNot }
    }
    const operator = this.#next()
    if (operator.kind !== 'symbol' || !['=', '!=', '<>', '<', '<=', '>', '>='].includes(operator.text)) {
      throw new FilterSyntaxError(`Expected an operator (=, !=, <>, <, <=, >, >=, LIKE, IN, IS) after ${field.name}, found ${describe(operator)}`, operator.position)
    }
    return { kind: 'compare', field, operator: (operator.text === '<>' ? '!=' : operator.text) as ComparisonOperator, value: this.#value() }
  }

  #value (): Literal {
    const token = this.#next()
    if (token.kind === 'string') return { kind: 'string', value: token.text }
    if (token.kind === 'number') return { kind: 'number', value: Number(token.text) }
    if (token.kind === 'symbol' && token.text === '-' && this.#peek().kind === 'number') return { kind: 'number', value: -Number(this.#next().text) }
    if (token.kind === 'word') {
      const word = token.text.toUpperCase()
      if (word === 'TRUE' || word === 'FALSE') return { kind: 'boolean', value: word === 'TRUE' }
      if (word === 'NULL') return { kind: 'null' }
      if (word === 'TODAY' || word === 'NOW') {
        this.#expectSymbol('(', `'(' after ${word}`)
        this.#expectSymbol(')', `')' after ${word}(`)
        return { kind: 'relative', base: word, days: this.#dayOffset() }
      }
    }
    throw new FilterSyntaxError(`Expected a value (a quoted string, a number, TRUE, FALSE, NULL, TODAY() or NOW()), found ${describe(token)}`, token.position)
  }

  /** `+ 7` or `- 7` after TODAY() / NOW(): days. */
  #dayOffset (): number {
    if (!this.#isSymbol('+') && !this.#isSymbol('-')) return 0
    const sign = this.#next().text === '-' ? -1 : 1
    const amount = this.#next()
    if (amount.kind !== 'number') throw new FilterSyntaxError(`Expected a number of days, found ${describe(amount)}`, amount.position)
    return sign * Number(amount.text)
  }
}

/** Parses a condition; throws FilterSyntaxError naming the position of the first problem. */
export function parseCondition (text: string): Condition {
  if (text.length > MAX_CONDITION_LENGTH) throw new FilterSyntaxError(`The condition is longer than ${MAX_CONDITION_LENGTH} characters`, MAX_CONDITION_LENGTH + 1)
  if (text.trim() === '') throw new FilterSyntaxError('The condition is empty', 1)
  return new Parser(tokenize(text)).parse()
}
