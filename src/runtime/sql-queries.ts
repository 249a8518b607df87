/**
 * Runs the SELECT subset of query/sql.ts for one connection, with the same engine as List (conditions pushed down to
 * Twilio, refined and sorted by the gateway): `:executeSqlQuery` and the Connectors task's EXECUTE_QUERY.
 */
import { ENTITIES, fieldNamed, type EntityDefinition } from '../entities/catalog.js'
import type { Fields } from '../entities/rows.js'
import { invalidField } from '../errors.js'
import { MAX_SQL_LIMIT, parseSelect, type QueryParameter } from '../query/sql.js'
import type { EntityService } from './entity-service.js'

/** Longest `timeout` a query may ask for, in seconds (Google's Connectors task defaults to 180). */
export const MAX_TIMEOUT_SECONDS = 600

/** Google's `Query`: the text, its positional parameters, and int64 limits as numbers or strings of digits. */
export interface SqlQuery { query: string, queryParameters?: QueryParameter[], maxRows?: string | number, timeout?: string | number }

/** The entity a FROM clause names, case-insensitively. */
function tableNamed (name: string): EntityDefinition {
  const entity = [...ENTITIES.values()].find((known) => known.name.toLowerCase() === name.toLowerCase())
  if (!entity) throw invalidField('query.query', `Unknown entity ${name} in FROM: the entities are ${[...ENTITIES.keys()].join(', ')}`)
  return entity
}

/** The row with only the selected columns, under their field names. */
function project (row: Fields, columns: string[] | undefined): Fields {
  return columns ? Object.fromEntries(columns.map((column) => [column, row[column] ?? null])) : row
}

export class SqlQueries {
  constructor (private readonly entities: EntityService) {}

  /** The query's rows; 400 INVALID_ARGUMENT naming what is wrong or not supported, before anything goes upstream. */
  async execute (connection: string, { query, queryParameters, maxRows, timeout }: SqlQuery): Promise<Fields[]> {
    const select = parseSelect(query, queryParameters)
    const entity = tableNamed(select.from)
    const columns = select.columns?.map((column) => {
      const field = fieldNamed(entity, column)
      if (!field) throw invalidField('query.query', `Unknown column ${column}: ${entity.name} has ${Object.keys(entity.fields).join(', ')}`)
      return field
    })
    const caps = [select.limit, maxRows === undefined ? undefined : Math.min(Number(maxRows), MAX_SQL_LIMIT)]
      .filter((cap): cap is number => cap !== undefined)
    const seconds = timeout === undefined ? undefined : Number(timeout)
    if (seconds !== undefined && (seconds < 1 || seconds > MAX_TIMEOUT_SECONDS)) {
      throw invalidField('query.timeout', `timeout must be between 1 and ${MAX_TIMEOUT_SECONDS} seconds`)
    }
    const rows = await this.entities.select(connection, entity, {
      conditions: select.where,
      sortBy: select.orderBy ? [select.orderBy.column] : undefined,
      sortOrder: select.orderBy ? [select.orderBy.descending ? 'DESC' : 'ASC'] : undefined
    }, caps.length ? Math.min(...caps) : undefined, seconds === undefined ? undefined : { deadlineMs: seconds * 1000 })
    return rows.map((row) => project(row, columns))
  }
}
