/**
 * Path and query schemas shared by the runtime routes. Unknown query parameters (Google's system parameters such
 * as `alt`, `prettyPrint`, `$.xgafv`, `executionConfig.headers`) are accepted and ignored.
 */
import { connectionName } from '../../connections/connection.js'
import { InvalidArgumentError } from '../../errors.js'

/** `/v2/projects/{project}/locations/{location}/connections/{connection}` */
export const CONNECTION_PATH = '/v2/projects/:project/locations/:location/connections/:connection'
/** The same, for custom methods on the connection (`…/connections/{connection}:checkStatus`). */
export const CONNECTION_VERB_PATH = '/v2/projects/:project/locations/:location/connections/:connection(^[^/:]+)'

export interface ConnectionParams { project: string, location: string, connection: string }

export const connectionParamsSchema = {
  type: 'object',
  required: ['project', 'location', 'connection'],
  properties: {
    project: { type: 'string', description: 'Project id (any id works: it is a namespace).' },
    location: { type: 'string', description: 'Location id (any id works: it is a namespace).' },
    connection: { type: 'string', description: 'Connection id.' }
  }
}

export function connectionOf (params: ConnectionParams): string {
  return connectionName(params.project, params.location, params.connection)
}

/** AIP-158 page sizes: 0 or absent means the default, larger than the maximum is lowered to it. */
export function pageSizeOf (requested: number | undefined, defaultSize: number, maximum: number): number {
  return !requested ? defaultSize : Math.min(requested, maximum)
}

export const pageSizeSchema = (defaultSize: number, maximum: number): Record<string, unknown> => ({
  type: 'integer',
  minimum: 0,
  description: `Rows per page: default ${defaultSize}, at most ${maximum} (larger values are lowered to ${maximum}).`
})

function fixedListOffset (pageToken: string | undefined, size: number): number {
  if (!pageToken) return 0
  const offset = /^[0-9]{1,3}$/.test(pageToken) ? Number(pageToken) : Number.NaN
  if (!(offset < size)) {
    throw new InvalidArgumentError('pageToken is not a token this list issued', [{ field: 'pageToken', description: 'must be a nextPageToken of this list' }])
  }
  return offset
}

/**
 * One page of a fixed list (entity types, actions): a page token is the position of the page's first item; one the
 * list cannot have issued is 400 INVALID_ARGUMENT.
 */
export function fixedListPage<T> (items: readonly T[], pageSize: number, pageToken: string | undefined): { page: T[], nextPageToken: string } {
  const offset = fixedListOffset(pageToken, items.length)
  const next = offset + pageSize
  return { page: items.slice(offset, next), nextPageToken: next < items.length ? String(next) : '' }
}
