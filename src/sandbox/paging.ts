import type { Collection, Listed } from './collection.js'
import { badRequest, type Params } from './wire.js'

const DEFAULT_PAGE_SIZE = 50
const MAX_PAGE_SIZE = 1000

/** A list request as received: its path and its query parameters (in order, for the paging URIs). */
export interface ListRequest {
  path: string
  entries: ReadonlyArray<[string, string]>
  params: Params
}

export interface ListSpec<T extends Listed> {
  /** The envelope key of the records (`calls`, `messages`, …). */
  key: string
  records: Collection<T>
  /** The filter parameters this list honours; they are carried into every paging URI. */
  filterNames: readonly string[]
  match: (record: T) => boolean
  render: (record: T) => unknown
}

/**
 * One page of a list, newest first, in Twilio's envelope. Pages after the first are addressed by a `PageToken`
 * naming the last record of the previous page (`PA<sid>`, the page after it) or the first record of the next
 * page (`PB<sid>`, the page before it), so walking `next_page_uri` yields every record exactly once even while
 * records are created or deleted. Without a token, `Page` skips that many pages.
 */
export function listPage<T extends Listed> (request: ListRequest, spec: ListSpec<T>): Record<string, unknown> {
  const { params } = request
  const pageSize = params.integer('PageSize', 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_PAGE_SIZE
  if (pageSize > MAX_PAGE_SIZE) {
    throw badRequest(20007, `Page size ${pageSize} is too large: the maximum PageSize is ${MAX_PAGE_SIZE}`)
  }
  const page = params.integer('Page', 0, Number.MAX_SAFE_INTEGER) ?? 0
  const pageToken = params.string('PageToken')
  const { records, match } = spec

  /** Up to `take` matching records scanning towards older ones from position `from`, after skipping `skip`. */
  const older = (from: number, skip: number, take: number): T[] => {
    const found: T[] = []
    for (let i = from; i >= 0 && found.length < take; i--) {
      const record = records.at(i) as T
      if (!match(record)) continue
      if (skip > 0) skip--
      else found.push(record)
    }
    return found
  }

  let items: T[]
  if (pageToken === undefined) {
    items = older(records.size - 1, page * pageSize, pageSize)
  } else {
    const key = /^P[AB]/.test(pageToken) ? records.keyOf(pageToken.slice(2)) : undefined
    if (key === undefined) throw badRequest(21481, `Invalid PageToken: ${pageToken}`)
    if (pageToken.startsWith('PA')) {
      items = older(records.lowerBound(key) - 1, 0, pageSize)
    } else {
      items = []
      for (let i = records.upperBound(key); i < records.size && items.length < pageSize; i++) {
        const record = records.at(i) as T
        if (match(record)) items.push(record)
      }
      items.reverse()
    }
  }

  const first = items[0]
  const last = items[items.length - 1]
  const hasMore = last !== undefined && older(records.lowerBound(last) - 1, 0, 1).length > 0
  const filters = request.entries.filter(([name]) => spec.filterNames.includes(name))
  const uri = (pageNumber: number, token?: string): string => {
    const query: Array<[string, string]> = [...filters, ['PageSize', String(pageSize)], ['Page', String(pageNumber)]]
    if (token !== undefined) query.push(['PageToken', token])
    return `${request.path}?${new URLSearchParams(query).toString()}`
  }
  const start = page * pageSize
  return {
    [spec.key]: items.map(spec.render),
    end: items.length > 0 ? start + items.length - 1 : start,
    first_page_uri: uri(0),
    next_page_uri: hasMore && last ? uri(page + 1, `PA${last.sid}`) : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 && first ? uri(page - 1, `PB${first.sid}`) : null,
    start,
    uri: uri(page, pageToken)
  }
}
