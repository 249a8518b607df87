/**
 * `POST …/connections/{connection}:executeSqlQuery`: Google's ExecuteSqlQueryRequest (`{"query": {"query",
 * "queryParameters", "maxRows", "timeout"}}`) → `{"results": [row, …]}`, for the SELECT subset of query/sql.ts, run
 * by the same engine as List (conditions pushed down to Twilio, refined and sorted by the gateway).
 */
import type { FastifyInstance } from 'fastify'
import { ENTITIES, fieldNamed, type EntityDefinition } from '../../entities/catalog.js'
import type { Fields } from '../../entities/rows.js'
import { InvalidArgumentError } from '../../errors.js'
import { MAX_SQL_LIMIT, parseSelect, type QueryParameter } from '../../query/sql.js'
import type { EntityService } from '../../runtime/entity-service.js'
import type { ConnectionParams } from './params.js'
import { CONNECTION_VERB_PATH, connectionOf, connectionParamsSchema } from './params.js'
import { ERROR_RESPONSES } from './schemas.js'

/** Longest `timeout` a query may ask for, in seconds (Google's Connectors task defaults to 180). */
const MAX_TIMEOUT_SECONDS = 600

interface SqlBody {
  query: { query: string, queryParameters?: QueryParameter[], maxRows?: string | number, timeout?: string | number }
}

const int64 = (description: string): Record<string, unknown> => ({
  anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+$' }],
  description: `${description} (int64: a number or a string of digits).`
})

const bodySchema = {
  type: 'object',
  required: ['query'],
  properties: {
    query: {
      type: 'object',
      required: ['query'],
      additionalProperties: false,
      properties: {
        query: { type: 'string', minLength: 1, maxLength: 20_000, description: 'SELECT { * | columns } FROM Entity [WHERE …] [ORDER BY column [ASC|DESC]] [LIMIT n], with ? placeholders.' },
        queryParameters: {
          type: 'array',
          maxItems: 1_000,
          items: { type: 'object', properties: { dataType: { type: 'string' }, value: {} }, description: 'A value for the next ? placeholder.' }
        },
        maxRows: int64('The most rows to answer'),
        timeout: int64(`Seconds the query may take, at most ${MAX_TIMEOUT_SECONDS}`)
      }
    }
  }
}

const responseSchema = {
  type: 'object',
  required: ['results'],
  properties: { results: { type: 'array', items: { type: 'object', additionalProperties: true } } }
}

function invalid (field: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(message, [{ field, description: message }])
}

/** The entity a FROM clause names, case-insensitively. */
function tableNamed (name: string): EntityDefinition {
  const entity = [...ENTITIES.values()].find((known) => known.name.toLowerCase() === name.toLowerCase())
  if (!entity) throw invalid('query.query', `Unknown entity ${name} in FROM: the entities are ${[...ENTITIES.keys()].join(', ')}`)
  return entity
}

/** The row with only the selected columns, under their field names. */
function project (row: Fields, columns: string[] | undefined): Fields {
  return columns ? Object.fromEntries(columns.map((column) => [column, row[column] ?? null])) : row
}

export function registerSqlRoute (app: FastifyInstance, service: EntityService): void {
  app.post<{ Params: ConnectionParams, Body: SqlBody }>(`${CONNECTION_VERB_PATH}::executeSqlQuery`, {
    config: { operation: 'EXECUTE_SQL_QUERY' },
    schema: {
      tags: ['Query'],
      operationId: 'executeSqlQuery',
      summary: 'Run a SELECT on one entity',
      description: 'SELECT { * | column, … } FROM Entity [WHERE condition] [ORDER BY column [ASC|DESC]] [LIMIT n]. The WHERE ' +
        'condition is the filter language of List; ? placeholders take queryParameters in order. Joins, grouping and DML are not supported.',
      params: connectionParamsSchema,
      body: bodySchema,
      response: { 200: responseSchema, ...ERROR_RESPONSES }
    }
  }, async (request) => {
    const { query, queryParameters, maxRows, timeout } = request.body.query
    const select = parseSelect(query, queryParameters)
    const entity = tableNamed(select.from)
    const columns = select.columns?.map((column) => {
      const field = fieldNamed(entity, column)
      if (!field) throw invalid('query.query', `Unknown column ${column}: ${entity.name} has ${Object.keys(entity.fields).join(', ')}`)
      return field
    })
    const rowCap = maxRows === undefined ? undefined : Math.min(Number(maxRows), MAX_SQL_LIMIT)
    const caps = [select.limit, rowCap].filter((cap): cap is number => cap !== undefined)
    const limit = caps.length ? Math.min(...caps) : undefined
    const seconds = timeout === undefined ? undefined : Number(timeout)
    if (seconds !== undefined && (seconds < 1 || seconds > MAX_TIMEOUT_SECONDS)) {
      throw invalid('query.timeout', `timeout must be between 1 and ${MAX_TIMEOUT_SECONDS} seconds`)
    }
    const rows = await service.select(connectionOf(request.params), entity, {
      conditions: select.where,
      sortBy: select.orderBy ? [select.orderBy.column] : undefined,
      sortOrder: select.orderBy ? [select.orderBy.descending ? 'DESC' : 'ASC'] : undefined
    }, limit, seconds === undefined ? undefined : { deadlineMs: seconds * 1000 })
    return { results: rows.map((row) => project(row, columns)) }
  })
}
