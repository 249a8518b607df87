/**
 * The filter language on its own: parsing (with the position of every error), binding to an entity's fields
 * (case-insensitive names, Twilio aliases, type checks) and evaluation with SQL's three-valued logic, checked
 * against a reference evaluation written independently for generated conditions.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { entity } from '../../src/entities/catalog.js'
import { GatewayError } from '../../src/errors.js'
import { compileCondition, matches } from '../../src/filter/condition.js'
import { FilterSyntaxError, parseCondition } from '../../src/filter/parser.js'

const MESSAGES = entity('Messages')
/** 2024-03-10T15:30:00Z */
const NOW = Date.UTC(2024, 2, 10, 15, 30)

const ROWS = [
  { Sid: 'SM00000000000000000000000000000001', To: '+14155550100', Sender: '+15005550006', Status: 'delivered', Body: 'Hello 100%', NumSegments: 1, Price: -0.0075, DateSent: '2024-03-01T09:59:59Z', ErrorCode: null },
  { Sid: 'SM00000000000000000000000000000002', To: '+14155550101', Sender: '+15005550006', Status: 'failed', Body: "it's late", NumSegments: 2, Price: null, DateSent: '2024-03-01T10:00:00Z', ErrorCode: 30003 },
  { Sid: 'SM00000000000000000000000000000003', To: '+14155550100', Sender: '+15005550007', Status: 'queued', Body: null, NumSegments: 3, Price: -0.02, DateSent: null, ErrorCode: null },
  { Sid: 'SM00000000000000000000000000000004', To: '+442071838750', Sender: '+15005550006', Status: 'delivered', Body: 'a_b', NumSegments: 1, Price: -0.0075, DateSent: '2024-03-09T23:00:00Z', ErrorCode: null }
]

function selected (condition: string, rows = ROWS): string[] {
  const bound = compileCondition(condition, MESSAGES, NOW)
  return rows.filter((row) => matches(bound, row)).map((row) => row.Sid.slice(-1))
}

function refusal (condition: string): GatewayError {
  try {
    compileCondition(condition, MESSAGES, NOW)
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError)
    const failure = error as GatewayError
    expect(failure.code).toBe('INVALID_ARGUMENT')
    expect(failure.details).toContainEqual(expect.objectContaining({ fieldViolations: [expect.objectContaining({ field: 'conditions' })] }))
    return failure
  }
  throw new Error(`"${condition}" was accepted`)
}

describe('comparisons', () => {
  it.each([
    ["To = '+14155550100'", ['1', '3']],
    ['to = "+14155550100"', ['1', '3']],
    ["From = '+15005550007'", ['3']],
    ["Status != 'delivered'", ['2', '3']],
    ["Status <> 'delivered'", ['2', '3']],
    ['NumSegments >= 2', ['2', '3']],
    ['NumSegments < 2', ['1', '4']],
    ['Price <= -0.01', ['3']],
    ['ErrorCode = 30003', ['2']]
  ])('%s', (condition, expected) => {
    expect(selected(condition)).toEqual(expected)
  })

  it('compares timestamps exactly, to the second: DateSent >= 10:00 excludes 09:59:59 the same day', () => {
    expect(selected("DateSent >= '2024-03-01T10:00:00Z'")).toEqual(['2', '4'])
    expect(selected("DateSent < '2024-03-01T10:00:00+00:00'")).toEqual(['1'])
  })

  it('reads an ISO date as midnight UTC', () => {
    expect(selected("DateSent >= '2024-03-02'")).toEqual(['4'])
    expect(selected("DateSent < '2024-03-01'")).toEqual([])
  })

  it('TODAY() is midnight UTC of the injected clock, NOW() the instant, both movable by days', () => {
    // NOW = 2024-03-10T15:30Z: TODAY() - 1 = 2024-03-09T00:00Z; NOW() - 0.5 = 2024-03-10T03:30Z; row 4 is 03-09T23:00Z.
    expect(selected('DateSent >= TODAY() - 1')).toEqual(['4'])
    expect(selected('DateSent >= NOW() - 1')).toEqual(['4'])
    expect(selected('DateSent >= NOW() - 0.5')).toEqual([])
    expect(selected('DateSent < today() - 8')).toEqual(['1', '2'])
    expect(selected('DateSent < TODAY() + 0')).toEqual(['1', '2', '4'])
  })
})

describe('LIKE, IN, IS NULL and the logic around them', () => {
  it.each([
    ["Body LIKE 'Hello%'", ['1']],
    ["Body LIKE '%100!%' OR Body LIKE '%100%%'", ['1']],
    ["Body LIKE 'a_b'", ['4']],
    ["Body LIKE 'a.b'", []],
    ["Body NOT LIKE 'Hello%'", ['2', '4']],
    ["Body LIKE 'it''s%'", ['2']],
    ["Status IN ('failed', 'queued')", ['2', '3']],
    ["Status NOT IN ('failed', 'queued')", ['1', '4']],
    ['NumSegments IN (1, 3)', ['1', '3', '4']],
    ['Body IS NULL', ['3']],
    ['DateSent IS NOT NULL', ['1', '2', '4']],
    ["Status = 'delivered' AND To = '+14155550100'", ['1']],
    ["Status = 'failed' OR NumSegments = 3", ['2', '3']],
    ["NOT (Status = 'delivered')", ['2', '3']],
    ["Status = 'queued' OR Status = 'failed' AND NumSegments = 3", ['3']],
    ["(Status = 'queued' OR Status = 'failed') AND NumSegments = 2", ['2']]
  ])('%s', (condition, expected) => {
    expect(selected(condition)).toEqual(expected)
  })

  it('a comparison with a missing value is unknown: neither it nor its negation selects the row', () => {
    expect(selected('Price < 0')).toEqual(['1', '3', '4'])
    expect(selected('NOT (Price < 0)')).toEqual([])
    expect(selected("Body != 'x'")).toEqual(['1', '2', '4'])
    expect(selected("Body != 'x' OR Body IS NULL")).toEqual(['1', '2', '3', '4'])
  })
})

describe('refusals name the position or the field', () => {
  it.each([
    ["Status = 'delivered", /Unterminated string at position 10/],
    ["Status == 'x'", /Expected a value .* found '=' at position 9/],
    ["Status 'x'", /Expected an operator .* after Status, found the string 'x' at position 8/],
    ["Status = 'x' AND", /Expected a field name, found the end of the condition at position 17/],
    ["(Status = 'x'", /Expected '\)', found the end of the condition at position 14/],
    ["Status = 'x' Status = 'y'", /Expected AND, OR or the end of the condition, found 'Status' at position 14/],
    ['Status IN ()', /Expected a value .* at position 12/],
    ['Status ~ 1', /Unexpected character '~' at position 8/],
    ['DateSent > TODAY', /Expected '\(' after TODAY/],
    ['', /empty/]
  ])('%s', (condition, message) => {
    expect(refusal(condition).message).toMatch(message)
  })

  it.each([
    ["Colour = 'red'", /Unknown field Colour at position 1: Messages has Sid, Body/],
    ["Status = 5", /Status \(position 1\) is a string; quote the value/],
    ["NumSegments = '5'", /NumSegments \(position 1\) is a number; give a number, unquoted/],
    ["DateSent > 'yesterday'", /DateSent \(position 1\) is a timestamp; give an ISO date or timestamp/],
    ["DateSent > '2024-13-45'", /is a timestamp/],
    ['NumSegments LIKE 1', /LIKE takes a quoted pattern/],
    ["NumSegments LIKE '1%'", /LIKE needs a text field; NumSegments .* is number/],
    ['Status = NULL', /compare it with IS NULL or IS NOT NULL/],
    ["SubresourceUris = 'x'", /SubresourceUris .* holds structured data/]
  ])('%s', (condition, message) => {
    expect(refusal(condition).message).toMatch(message)
  })

  it('refuses nesting deeper than 64 levels and conditions over 10,000 characters, without exhausting the stack', () => {
    expect(refusal(`${'('.repeat(65)}Status = 'x'${')'.repeat(65)}`).message).toMatch(/Nesting deeper than 64/)
    expect(refusal(`${'NOT '.repeat(100)}Status = 'x'`).message).toMatch(/Nesting deeper than 64/)
    expect(refusal(`Status = '${'x'.repeat(10_000)}'`).message).toMatch(/longer than 10000 characters/)
    expect(selected(`${'('.repeat(60)}Status = 'failed'${')'.repeat(60)}`)).toEqual(['2'])
  })
})

describe('generated conditions', () => {
  type Row = (typeof ROWS)[number]
  interface Generated { text: string, holds: (row: Row) => boolean | undefined }

  const atom: fc.Arbitrary<Generated> = fc.oneof(
    fc.constantFrom('delivered', 'failed', 'queued', 'sent').map((status): Generated => ({
      text: `Status = '${status}'`, holds: (row) => row.Status === status
    })),
    fc.tuple(fc.constantFrom('<', '<=', '>', '>=', '=', '!='), fc.integer({ min: 0, max: 4 })).map(([operator, count]): Generated => ({
      text: `NumSegments ${operator} ${count}`,
      holds: (row) => ({ '<': row.NumSegments < count, '<=': row.NumSegments <= count, '>': row.NumSegments > count, '>=': row.NumSegments >= count, '=': row.NumSegments === count, '!=': row.NumSegments !== count })[operator]
    })),
    fc.constantFrom('2024-03-01T09:59:59Z', '2024-03-01T10:00:00Z', '2024-03-05T00:00:00Z').map((at): Generated => ({
      text: `DateSent >= '${at}'`, holds: (row) => row.DateSent === null ? undefined : Date.parse(row.DateSent) >= Date.parse(at)
    })),
    fc.constant<Generated>({ text: 'Body IS NULL', holds: (row) => row.Body === null }),
    fc.constantFrom('+14155550100', '+442071838750').map((to): Generated => ({ text: `To LIKE '${to.slice(0, 4)}%'`, holds: (row) => row.To.startsWith(to.slice(0, 4)) }))
  )

  const and3 = (a: boolean | undefined, b: boolean | undefined): boolean | undefined => a === false || b === false ? false : a === undefined || b === undefined ? undefined : true
  const or3 = (a: boolean | undefined, b: boolean | undefined): boolean | undefined => a === true || b === true ? true : a === undefined || b === undefined ? undefined : false

  const condition: fc.Arbitrary<Generated> = fc.letrec<{ node: Generated }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true },
      atom,
      fc.tuple(tie('node'), tie('node')).map(([a, b]): Generated => ({ text: `(${a.text}) AND (${b.text})`, holds: (row) => and3(a.holds(row), b.holds(row)) })),
      fc.tuple(tie('node'), tie('node')).map(([a, b]): Generated => ({ text: `(${a.text}) OR (${b.text})`, holds: (row) => or3(a.holds(row), b.holds(row)) })),
      tie('node').map((a): Generated => ({ text: `NOT (${a.text})`, holds: (row) => { const value = a.holds(row); return value === undefined ? undefined : !value } }))
    )
  })).node

  it('select exactly the rows a reference evaluation selects', () => {
    fc.assert(fc.property(condition, (generated) => {
      const expected = ROWS.filter((row) => generated.holds(row) === true).map((row) => row.Sid.slice(-1))
      expect(selected(generated.text)).toEqual(expected)
    }), { numRuns: 500 })
  })

  it('arbitrary text is either a condition or a syntax error with a position inside the text (never anything else)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80, unit: fc.constantFrom(...'()\'" =<>!,+-.%_ANDORNOTLIKEINISNULLStatus0123456789'.split('')) }), (text) => {
      try {
        parseCondition(text)
      } catch (error) {
        expect(error).toBeInstanceOf(FilterSyntaxError)
        const { position } = error as FilterSyntaxError
        expect(position).toBeGreaterThanOrEqual(1)
        expect(position).toBeLessThanOrEqual(text.length + 1)
      }
    }), { numRuns: 2000 })
  })
})
