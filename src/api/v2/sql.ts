/**
 * `POST …/connections/{connection}:executeSqlQuery`: Google's ExecuteSqlQueryRequest (`{"query": {"query",
 * "queryParameters", "maxRows", "timeout"}}`) → `{"results": [row, …]}` (see runtime/sql-queries.ts).
 */
import type { FastifyInstance } from 'fastify'
import { MAX_TIMEOUT_SECONDS, type SqlQueries, type SqlQuery } from '../../runtime/sql-queries.js'
import type { ConnectionParams } from './params.js'
import { CONNECTION_VERB_PATH, connectionOf, connectionParamsSchema } from './params.js'
import { ERROR_RESPONSES } from './schemas.js'

interface SqlBody { query: SqlQuery }

const int64 = (description: string): Record<string, unknown> => ({
  anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+$' }],
  description: `${description} (int64: a number or a string of digits).`
})

/** Google's `Query` fields, as `:executeSqlQuery` and the Connectors task's EXECUTE_QUERY take them. */
export const QUERY_PROPERTIES = {
  query: { type: 'string', minLength: 1, maxLength: 20_000, description: 'SELECT { * | columns } FROM Entity [WHERE …] [ORDER BY column [ASC|DESC]] [LIMIT n], with ? placeholders.' },
  queryParameters: {
    type: 'array',
    maxItems: 1_000,
    items: { type: 'object', properties: { dataType: { type: 'string' }, value: {} }, description: 'A value for the next ? placeholder.' }
  },
  maxRows: int64('The most rows to answer'),
  timeout: int64(`Seconds the query may take, at most ${MAX_TIMEOUT_SECONDS}`)
}

const bodySchema = {
  type: 'object',
  required: ['query'],
  properties: {
    query: { type: 'object', required: ['query'], additionalProperties: false, properties: QUERY_PROPERTIES }
  }
}

const responseSchema = {
  type: 'object',
  required: ['results'],
  properties: { results: { type: 'array', items: { type: 'object', additionalProperties: true } } }
}

export function registerSqlRoute (app: FastifyInstance, queries: SqlQueries): void {
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
  }, async (request) => ({ results: await queries.execute(connectionOf(request.params), request.body.query) }))
}
