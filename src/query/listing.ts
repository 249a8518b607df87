/**
 * Listing with conditions and sorting over Twilio's pages, statelessly: every page is served from what its token
 * says, so any gateway process can serve the next one, and walking the tokens yields every matching row exactly once.
 *
 * - In Twilio's order, a page reads Twilio's pages (its filters pushed down) and keeps the rows the condition
 *   matches. A Twilio page may hold more matches than the caller asked for, so the cursor can point inside one: the
 *   page's URI and the Sid of the last row taken. Twilio's page URIs are keyset-based, so reading one again gives the
 *   same rows. A page stops early — fewer rows, a non-empty token — when its upstream requests run out.
 * - Sorted, a page reads every matching row (at most `SORT_ROW_LIMIT` read from Twilio), sorts them by the column and
 *   then the Sid, and takes the rows after the cursor's (value, Sid).
 */
import { FailedPreconditionError } from '../errors.js'
import type { Fields } from '../entities/rows.js'
import { matches, type Scalar } from '../filter/condition.js'
import type { ListQuery, SortSpec } from './list-query.js'

/** Rows read from Twilio in one request. */
export interface UpstreamRows { rows: Fields[], nextUri?: string }

/** Twilio's list for one entity, as a list call reads it. */
export interface RowSource {
  /** The first page of the list with these filters. */
  first: (pageSize: number, filters: Record<string, string>) => Promise<UpstreamRows>
  /** The page at Twilio's URI, which carries its filters and page size. */
  at: (uri: string) => Promise<UpstreamRows>
  /** Whether the call can afford another upstream request. */
  canFetch: () => boolean
}

/**
 * Where a listing in Twilio's order resumes: a Twilio page (the first when no URI) of size `z`, and inside it the
 * Sid of the last row taken (`a`), of the row after it (`b`) and its index (`s`). When rows were deleted meanwhile,
 * the page read again holds other rows at those indexes: the row after the last one taken still marks the place.
 */
interface ScanCursor { u?: string, z: number, a?: string, b?: string, s: number }
/** Where a sorted listing resumes: after this (value, Sid). */
interface SortCursor { k: [Scalar | null, string] }
export type ListCursor = ScanCursor | SortCursor

export interface ListPage { rows: Fields[], next?: ListCursor }

/** Rows a sorted listing may read from Twilio; beyond it the caller must narrow the conditions. */
export const SORT_ROW_LIMIT = 10_000
/** Twilio's largest page. */
export const MAX_UPSTREAM_PAGE = 1_000
/** Twilio pages one list call reads at most before answering what it found. */
export const MAX_UPSTREAM_PAGES_PER_CALL = 10

const keep = (query: ListQuery, row: Fields): boolean => !query.condition || matches(query.condition, row)

/** A page in Twilio's order. */
export async function scanPage (source: RowSource, query: ListQuery, pageSize: number, cursor?: ScanCursor): Promise<ListPage> {
  const rows: Fields[] = []
  // When every row Twilio returns matches, its pages can be the caller's; otherwise read larger ones. A page read
  // again from inside keeps its size, so it holds the same rows; a fresh page takes this call's size.
  const inside = cursor !== undefined && (cursor.s > 0 || cursor.a !== undefined)
  let size = inside ? cursor.z : query.pushDown.exact ? pageSize : Math.min(MAX_UPSTREAM_PAGE, pageSize * 4)
  let at: ScanCursor = inside ? cursor : { u: cursor?.u && withPageSize(cursor.u, size), z: size, s: 0 }
  for (let fetched = 0; ; fetched++) {
    if (fetched > 0 && (fetched >= MAX_UPSTREAM_PAGES_PER_CALL || !source.canFetch())) return { rows, next: at }
    const page = at.u === undefined ? await source.first(at.z, query.pushDown.filters) : await source.at(at.u)
    let start = at.s
    if (at.a !== undefined) {
      const after = page.rows.findIndex((row) => row.Sid === at.a)
      const next = after < 0 && at.b !== undefined ? page.rows.findIndex((row) => row.Sid === at.b) : -1
      if (after >= 0) start = after + 1
      else if (next >= 0) start = next
    }
    for (let i = start; i < page.rows.length; i++) {
      const row = page.rows[i]!
      if (!keep(query, row)) continue
      rows.push(row)
      if (rows.length === pageSize) {
        const more = i + 1 < page.rows.length || page.nextUri !== undefined
        const midPage = i + 1 < page.rows.length
        return { rows, next: more ? (midPage ? { ...at, a: row.Sid as string, b: page.rows[i + 1]!.Sid as string, s: i + 1 } : { u: page.nextUri, z: size, s: 0 }) : undefined }
      }
    }
    if (page.nextUri === undefined) return { rows }
    size = Math.min(MAX_UPSTREAM_PAGE, size * 4)
    at = { u: withPageSize(page.nextUri, size), z: size, s: 0 }
  }
}

/** SQL's order: NULLs last ascending, first descending (as PostgreSQL), then the Sid in the same direction. */
function compareRows (sort: SortSpec, a: [Scalar | null, string], b: [Scalar | null, string]): number {
  const direction = sort.descending ? -1 : 1
  const [av, as] = a
  const [bv, bs] = b
  if (av !== bv) {
    if (av === null) return direction
    if (bv === null) return -direction
    return (av < bv ? -1 : 1) * direction
  }
  return as === bs ? 0 : (as < bs ? -1 : 1) * direction
}

/** A row's sort key: the value as the condition engine compares it (timestamps as epoch ms) and the Sid. */
function sortKey (sort: SortSpec, row: Fields): [Scalar | null, string] {
  const value = row[sort.field]
  let scalar: Scalar | null = value === null || value === undefined ? null : value as Scalar
  if (sort.kind === 'timestamp' && typeof value === 'string') scalar = Date.parse(value)
  return [scalar, String(row.Sid)]
}

/** Every matching row in the list (a sorted listing's input), or 400 FAILED_PRECONDITION past the bound. */
export async function readAll (source: RowSource, query: ListQuery, bound = SORT_ROW_LIMIT): Promise<Fields[]> {
  const rows: Fields[] = []
  let read = 0
  let page = await source.first(MAX_UPSTREAM_PAGE, query.pushDown.filters)
  for (;;) {
    read += page.rows.length
    if (read > bound) {
      throw new FailedPreconditionError(`This needs more than ${bound} rows read from Twilio; narrow the conditions ` +
        '(a date range, To, From, Status …) or list without sorting')
    }
    for (const row of page.rows) if (keep(query, row)) rows.push(row)
    if (page.nextUri === undefined) return rows
    page = await source.at(withPageSize(page.nextUri, MAX_UPSTREAM_PAGE))
  }
}

/** Rows with their sort keys, in the sort's order. */
function sortRows (sort: SortSpec, rows: Fields[]): Array<{ row: Fields, key: [Scalar | null, string] }> {
  return rows.map((row) => ({ row, key: sortKey(sort, row) })).sort((a, b) => compareRows(sort, a.key, b.key))
}

/** A sorted page: the matching rows after the cursor, in the sort's order. */
export async function sortedPage (source: RowSource, query: ListQuery & { sort: SortSpec }, pageSize: number, cursor?: SortCursor): Promise<ListPage> {
  const sort = query.sort
  const keyed = sortRows(sort, await readAll(source, query))
  const start = cursor ? keyed.findIndex((entry) => compareRows(sort, entry.key, cursor.k) > 0) : 0
  const taken = start < 0 ? [] : keyed.slice(start, start + pageSize)
  const last = taken[taken.length - 1]
  const more = start >= 0 && start + pageSize < keyed.length
  return { rows: taken.map((entry) => entry.row), next: more && last ? { k: last.key } : undefined }
}

/**
 * The first `limit` matching rows (all without a limit), in Twilio's order or sorted: a query's answer, which has no
 * next page, so running out of upstream requests before the limit is 400 FAILED_PRECONDITION rather than a short answer.
 */
export async function selectRows (source: RowSource, query: ListQuery, limit?: number): Promise<Fields[]> {
  if (limit === 0) return []
  if (query.sort || limit === undefined) {
    const rows = await readAll(source, query)
    return (query.sort ? sortRows(query.sort, rows).map((entry) => entry.row) : rows).slice(0, limit)
  }
  const page = await scanPage(source, query, limit)
  if (page.next && page.rows.length < limit) {
    throw new FailedPreconditionError(`Finding ${limit} matching rows needs more upstream requests than one call may make; ` +
      'narrow the conditions or lower the limit')
  }
  return page.rows
}

/** The page a list call answers, in Twilio's order or sorted. */
export async function listPage (source: RowSource, query: ListQuery, pageSize: number, cursor?: ListCursor): Promise<ListPage> {
  if (query.sort) {
    if (cursor && !('k' in cursor)) throw new Error('a Twilio-order cursor for a sorted listing')
    return sortedPage(source, { ...query, sort: query.sort }, pageSize, cursor)
  }
  if (cursor && 'k' in cursor) throw new Error('a sorted cursor for a listing in Twilio\'s order')
  return scanPage(source, query, pageSize, cursor)
}

/** Sets Twilio's `PageSize` in a next-page URI; its `PageToken` is keyset-based, so the page size may change. */
export function withPageSize (uri: string, pageSize: number): string {
  const url = new URL(uri, 'https://api.twilio.com')
  url.searchParams.set('PageSize', String(pageSize))
  return url.pathname + url.search
}
