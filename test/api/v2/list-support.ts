/**
 * Helpers of the list tests (conditions, sorting, the walk property): list URLs with repeated `sortBy` /
 * `sortOrder`, walking a list's pages to the end, every row of an entity read by walking its unfiltered list, and
 * the list requests the sandbox received.
 */
import { expect } from 'vitest'
import type { LoggedRequest } from '../../../src/sandbox/app.js'
import type { Answer, TestGateway } from '../../helpers/gateway.js'
import { SANDBOX_PATH } from '../../helpers/gateway.js'
import { entityPath, type World } from './support.js'

export type Row = Record<string, unknown>
export type ListQuery = Record<string, string | number | readonly string[] | undefined>

/** The entity types that list without conditions. */
export const LISTING_ENTITIES = ['Calls', 'Messages', 'Recordings', 'IncomingPhoneNumbers', 'OutgoingCallerIds'] as const
export type ListingEntity = typeof LISTING_ENTITIES[number]

/** A v2 list URL; arrays become repeated parameters (`sortBy=a&sortBy=b`), undefined values are left out. */
export function listUrl (entity: string, query: ListQuery = {}, connectionPath = SANDBOX_PATH): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item))
  }
  const text = search.toString()
  return entityPath(entity, undefined, connectionPath) + (text ? `?${text}` : '')
}

export interface Walk {
  /** Each page's rows, in order. */
  pages: Row[][]
  /** Every row of every page, in order. */
  rows: Row[]
  /** The nextPageToken of each page (the last one is ""). */
  tokens: string[]
}

type Call = TestGateway['call']

/** One list page, asserted to be a 200 list answer. */
export async function listOnce (call: Call, entity: string, query: ListQuery): Promise<{ answer: Answer, rows: Row[], token: string }> {
  const answer = await call('GET', listUrl(entity, query))
  expect(answer.status, `${entity} ${JSON.stringify(query)}: ${JSON.stringify(answer.body)?.slice(0, 500)}`).toBe(200)
  const entities = answer.body.entities as Array<{ fields: Row }>
  expect(Array.isArray(entities)).toBe(true)
  expect(typeof answer.body.nextPageToken).toBe('string')
  return { answer, rows: entities.map((entity) => entity.fields), token: answer.body.nextPageToken as string }
}

/**
 * Follows nextPageToken from the first page to the last ("") with the same query; every page holds at most
 * `pageSize` rows. Fails after `maxPages` pages (a walk that never ends).
 */
export async function walk (call: Call, entity: string, query: ListQuery & { pageSize: number }, maxPages = 2_000): Promise<Walk> {
  const result: Walk = { pages: [], rows: [], tokens: [] }
  let token = ''
  for (;;) {
    if (result.pages.length >= maxPages) throw new Error(`${entity} ${JSON.stringify(query)} did not end within ${maxPages} pages`)
    const page = await listOnce(call, entity, { ...query, ...(token ? { pageToken: token } : {}) })
    expect(page.rows.length).toBeLessThanOrEqual(query.pageSize)
    result.pages.push(page.rows)
    result.rows.push(...page.rows)
    result.tokens.push(page.token)
    token = page.token
    if (token === '') return result
  }
}

/** Every row of an entity, read by walking its unfiltered list (Twilio's order). */
export async function allRows (world: World, entity: string): Promise<Row[]> {
  const { rows } = await walk(world.call, entity, { pageSize: 200 })
  const sids = rows.map((row) => row.Sid)
  expect(new Set(sids).size).toBe(sids.length)
  return rows
}

/** The list requests for `entity` the sandbox received since the last clear (`…/Messages.json`). */
export function listRequests (world: World, entity: string): LoggedRequest[] {
  const path = `/2010-04-01/Accounts/${world.sandbox.accountSid}/${entity}.json`
  return world.upstream().filter((request) => request.method === 'GET' && request.path === path)
}

/** The Twilio filters (query parameters other than paging) of a list request. */
export function filtersOf (request: LoggedRequest): Record<string, unknown> {
  return Object.fromEntries(Object.entries(request.query).filter(([name]) => !['PageSize', 'Page', 'PageToken'].includes(name)))
}

export const sidsOf = (rows: readonly Row[]): string[] => rows.map((row) => row.Sid as string)

/** UTC calendar day of an ISO timestamp. */
export const dayOf = (timestamp: string): string => new Date(Date.parse(timestamp)).toISOString().slice(0, 10)

/** ISO 8601 to the second, in UTC. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
