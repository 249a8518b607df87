/**
 * `/v1/projects/{project}/locations/{location}/operations…`: read, list, cancel and delete long-running operations.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { canReach } from '../auth.js'
import { parentName } from '../../connections/management.js'
import { InvalidArgumentError, NotFoundError } from '../../errors.js'
import type { Operation, OperationStore } from '../../operations/operations.js'
import type { PageTokens } from '../../runtime/page-tokens.js'
import { pageSizeOf, pageSizeSchema } from '../v2/params.js'
import { ERROR_RESPONSES } from '../v2/schemas.js'
import { LOCATION_PATH, locationParamsSchema } from './connections.js'

interface OperationParams { project: string, location: string, operation: string }

const operationParamsSchema = {
  type: 'object',
  required: ['project', 'location', 'operation'],
  properties: { ...locationParamsSchema.properties, operation: { type: 'string' } }
}
const tags = ['Operations (v1)']

export function registerOperationRoutes (app: FastifyInstance, operations: OperationStore, pageTokens: PageTokens): void {
  const nameOf = (params: OperationParams): string => `${parentName(params.project, params.location)}/operations/${params.operation}`
  const find = async (request: FastifyRequest<{ Params: OperationParams }>) => {
    const operation = await operations.get(nameOf(request.params))
    // An operation on a connection the caller's scopes exclude does not exist for it.
    if (!operation || !canReach(request, operation.metadata.target)) throw new NotFoundError(`Operation ${nameOf(request.params)} not found`)
    return operation
  }

  app.get<{ Params: OperationParams }>(`${LOCATION_PATH}/operations/:operation`, {
    schema: {
      tags, operationId: 'getOperation', summary: 'Get an operation', params: operationParamsSchema,
      response: { 200: { $ref: 'Operation#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => find(request))

  app.get<{ Params: { project: string, location: string }, Querystring: { pageSize?: number, pageToken?: string, filter?: string } }>(
    `${LOCATION_PATH}/operations`, {
      schema: {
        tags,
        operationId: 'listOperations',
        summary: 'List operations, newest first',
        params: locationParamsSchema,
        querystring: { type: 'object', properties: { pageSize: pageSizeSchema(50, 1000), pageToken: { type: 'string' }, filter: { type: 'string' } } },
        response: { 200: { $ref: 'ListOperationsResponse#' }, ...ERROR_RESPONSES }
      }
    }, async (request) => {
      const parent = parentName(request.params.project, request.params.location)
      const scope = { connection: parent, entity: 'v1/operations', conditions: '' }
      const pageSize = pageSizeOf(request.query.pageSize, 50, 1000)
      if (request.query.filter?.trim()) {
        throw new InvalidArgumentError('filter is not supported on operations: list them all (newest first) and pick', [
          { field: 'filter', description: 'is not supported' }
        ])
      }
      const offset = request.query.pageToken ? Number(pageTokens.open(scope, request.query.pageToken)) : 0
      // Operations on connections the caller's scopes exclude are skipped, reading on until the page is full.
      const visible: Operation[] = []
      let read = offset
      let nextOffset: number | undefined
      for (;;) {
        const batch = await operations.list(parent, read, pageSize + 1)
        for (const operation of batch) {
          read++
          if (!canReach(request, operation.metadata.target)) continue
          if (visible.length === pageSize) {
            nextOffset = read - 1
            break
          }
          visible.push(operation)
        }
        if (nextOffset !== undefined || batch.length < pageSize + 1) break
      }
      return {
        operations: visible,
        nextPageToken: nextOffset !== undefined ? pageTokens.issue(scope, String(nextOffset)) : '',
        unreachable: []
      }
    })

  app.post<{ Params: OperationParams }>(`${LOCATION_PATH}/operations/:operation(^[^/:]+)::cancel`, {
    schema: {
      tags,
      operationId: 'cancelOperation',
      summary: 'Cancel an operation (the gateway\'s operations are finished when answered, so this changes nothing)',
      params: operationParamsSchema,
      response: { 200: { $ref: 'Empty#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => {
    await find(request)
    return {}
  })

  app.delete<{ Params: OperationParams }>(`${LOCATION_PATH}/operations/:operation`, {
    schema: {
      tags, operationId: 'deleteOperation', summary: 'Forget an operation', params: operationParamsSchema,
      response: { 200: { $ref: 'Empty#' }, ...ERROR_RESPONSES }
    }
  }, async (request) => {
    await find(request)
    await operations.remove(nameOf(request.params))
    return {}
  })
}
