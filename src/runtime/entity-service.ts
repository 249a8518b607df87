/**
 * Entity operations for one connection: List / Get / Create / Update / Delete in Google's shapes. Routes stay
 * thin; this is where input is validated, ids are checked before anything goes upstream, Twilio records become
 * typed rows and Twilio's failures become domain errors.
 */
import type { EntityDefinition, Operation } from '../entities/catalog.js'
import type { EntityInputValidator } from '../entities/input-validator.js'
import { toTwilioParams } from '../entities/inputs.js'
import type { Fields } from '../entities/rows.js'
import { toFields } from '../entities/rows.js'
import { ERROR_DOMAIN, FailedPreconditionError, GatewayError, InvalidArgumentError, UnimplementedError, errorInfoDetail } from '../errors.js'
import type { IdempotentCalls } from '../idempotency/idempotent-calls.js'
import { matches } from '../filter/condition.js'
import { compileListQuery, type ListQuery, type ListQueryText } from '../query/list-query.js'
import { listPage, readAll, selectRows, type ListCursor, type RowSource, type UpstreamRows } from '../query/listing.js'
import type { CallLimits } from '../throttle/throttle.js'
import type { UpstreamContext } from '../twilio/client.js'
import type { EntityAdapter, UpstreamPage } from '../twilio/entity-adapter.js'
import { adapterFor } from '../twilio/entities/index.js'
import type { UpstreamCall } from '../twilio/errors.js'
import { isTwilioNotFound, upstreamError } from '../twilio/errors.js'
import type { ConnectionRuntime } from './connections.js'
import type { PageTokens } from './page-tokens.js'

/** Google's `Entity`. */
export interface EntityResource { name?: string, fields: Fields }

export interface ListRequest extends ListQueryText { pageSize: number, pageToken?: string }
export interface ListResult { entities: EntityResource[], nextPageToken: string }
/** What a bulk change did: the rows it changed (all that matched). */
export interface BulkResult { affectedRows: number, affectedSids: string[] }

/** Matching rows a bulk change applies to at most; more → 400 FAILED_PRECONDITION before anything changes. */
export const BULK_ROW_LIMIT = 1_000

/** A create's answer, and whether it is the stored answer of an earlier call with the same idempotency key. */
export interface CreateResult { resource: EntityResource, replayed: boolean }

export interface EntityServiceOptions {
  connections: ConnectionRuntime
  inputs: EntityInputValidator
  pageTokens: PageTokens
  idempotency: IdempotentCalls
  /** How long a create waits for the answer of a duplicate still running (its call deadline). */
  duplicateWaitMs: number
  /** Anchors TODAY() and NOW() in conditions (epoch ms); tests inject one. */
  clock?: () => number
  /** What a bulk change may spend upstream: reading the matching rows, then one request (and retries) per row. */
  bulkLimits: CallLimits
}

export class EntityService {
  constructor (private readonly options: EntityServiceOptions) {}

  /**
   * A page of the entity's rows that match the conditions, in Twilio's order or sorted (see query/listing.ts).
   * A condition pinning the Sid is a Get; a row Twilio does not have makes an empty list, not an error.
   */
  async list (connection: string, entity: EntityDefinition, request: ListRequest): Promise<ListResult> {
    const adapter = this.#adapter(entity, 'LIST')
    // Validate everything the caller sent before the first upstream call.
    const query = compileListQuery(entity, request, this.#now())
    const scope = {
      connection,
      entity: entity.name,
      conditions: request.conditions?.trim() ?? '',
      order: query.sort ? `${query.sort.field} ${query.sort.descending ? 'DESC' : 'ASC'}` : ''
    }
    const cursor = request.pageToken ? JSON.parse(this.options.pageTokens.open(scope, request.pageToken)) as ListCursor : undefined
    const page = await this.#call(connection, entity, 'LIST', entity.name, async (upstream) => {
      if (query.keySid !== undefined) return { rows: await this.#keyRow(upstream, entity, adapter, query) }
      return listPage(rowSource(upstream, entity, adapter), query, request.pageSize, cursor)
    })
    return {
      entities: page.rows.map((fields) => this.#resource(connection, entity, fields)),
      nextPageToken: page.next ? this.options.pageTokens.issue(scope, JSON.stringify(page.next)) : ''
    }
  }

  /** The first `limit` rows matching a query (all without a limit), as one call: the engine of `:executeSqlQuery`. */
  async select (connection: string, entity: EntityDefinition, text: ListQueryText, limit?: number, limits?: Partial<CallLimits>): Promise<Fields[]> {
    const adapter = this.#adapter(entity, 'LIST')
    const query = compileListQuery(entity, text, this.#now())
    return this.#call(connection, entity, 'LIST', entity.name, async (upstream) =>
      query.keySid !== undefined
        ? (await this.#keyRow(upstream, entity, adapter, query)).slice(0, limit)
        : selectRows(rowSource(upstream, entity, adapter), query, limit), limits)
  }

  /** The row a key lookup finds, if it matches the rest of the condition. */
  async #keyRow (upstream: UpstreamContext, entity: EntityDefinition, adapter: EntityAdapter, query: ListQuery): Promise<Fields[]> {
    const record = await adapter.get!(upstream, query.keySid!).catch((error: unknown) => {
      if (isTwilioNotFound(error)) return undefined
      throw error
    })
    const row = record && toFields(entity.fields, record)
    return row && (!query.condition || matches(query.condition, row)) ? [row] : []
  }

  async get (connection: string, entity: EntityDefinition, id: string): Promise<EntityResource> {
    const adapter = this.#adapter(entity, 'GET')
    this.#checkId(entity, id)
    return this.#resource(connection, entity, await this.#getRow(connection, entity, adapter, id))
  }

  /** Creates an entity; with an idempotency key, at most once (see idempotent-calls.ts). */
  async create (connection: string, entity: EntityDefinition, payload: unknown, idempotencyKey?: string): Promise<CreateResult> {
    const adapter = this.#adapter(entity, 'CREATE')
    const fields = this.options.inputs.parse(entity, 'CREATE', payload)
    const create = async (): Promise<EntityResource> => {
      const record = await this.#call(connection, entity, 'CREATE', entity.name,
        (upstream) => adapter.create!(upstream, toTwilioParams(entity.create!, fields)))
      if (entity.createResult) return { fields: toFields(entity.createResult, record) }
      return this.#resource(connection, entity, toFields(entity.fields, record))
    }
    if (idempotencyKey === undefined) return { resource: await create(), replayed: false }
    const { value, replayed } = await this.options.idempotency.run(connection, idempotencyKey,
      { create: entity.name, fields }, this.options.duplicateWaitMs, create)
    return { resource: value, replayed }
  }

  async update (connection: string, entity: EntityDefinition, id: string, payload: unknown): Promise<EntityResource> {
    const adapter = this.#adapter(entity, 'UPDATE')
    this.#checkId(entity, id)
    const fields = this.options.inputs.parse(entity, 'UPDATE', payload)
    const record = await this.#call(connection, entity, 'UPDATE', `${entity.name} ${id}`,
      (upstream) => adapter.update!(upstream, id, toTwilioParams(entity.update!, fields)))
    return this.#resource(connection, entity, toFields(entity.fields, record))
  }

  async delete (connection: string, entity: EntityDefinition, id: string): Promise<void> {
    const adapter = this.#adapter(entity, 'DELETE')
    this.#checkId(entity, id)
    await this.#call(connection, entity, 'DELETE', `${entity.name} ${id}`, (upstream) => adapter.delete!(upstream, id))
  }

  /**
   * Updates (with `payload`) or deletes every row matching `conditions`, which must not be empty. The matching rows
   * are read and counted first; past BULK_ROW_LIMIT nothing changes (400 FAILED_PRECONDITION). The rows are then
   * changed one by one; if one fails, the call stops there and its error names the rows changed, the row that
   * failed and the rows not attempted (ErrorInfo reason BULK_CHANGE_INCOMPLETE).
   */
  async changeWhere (connection: string, entity: EntityDefinition, change: 'UPDATE' | 'DELETE', conditions: string | undefined, payload?: unknown): Promise<BulkResult> {
    const adapter = this.#adapter(entity, change)
    if (!conditions?.trim()) {
      throw new InvalidArgumentError(`${change === 'UPDATE' ? 'updateEntitiesWithConditions' : 'deleteEntitiesWithConditions'} needs conditions: ` +
        'empty conditions are refused rather than taken to match every row', [{ field: 'conditions', description: 'must not be empty' }])
    }
    const query = compileListQuery(entity, { conditions }, this.#now())
    if (query.keySid === undefined) this.#adapter(entity, 'LIST')
    const fields = change === 'UPDATE' ? this.options.inputs.parse(entity, 'UPDATE', payload) : undefined
    const params = fields && toTwilioParams(entity.update!, fields)
    return this.#call(connection, entity, change, `${entity.name} where ${conditions.trim()}`, async (upstream) => {
      const rows = query.keySid !== undefined
        ? await this.#keyRow(upstream, entity, adapter, query)
        : await readAll(rowSource(upstream, entity, adapter), query)
      if (rows.length > BULK_ROW_LIMIT) {
        throw new FailedPreconditionError(`${rows.length} ${entity.name} rows match; a bulk change applies to at most ` +
          `${BULK_ROW_LIMIT}: narrow the conditions. Nothing was changed.`)
      }
      const sids = rows.map((row) => String(row.Sid))
      for (const [index, sid] of sids.entries()) {
        try {
          if (params) await adapter.update!(upstream, sid, params)
          else await adapter.delete!(upstream, sid)
        } catch (error) {
          throw bulkIncomplete(error, upstream.connection, entity, change, sids, index)
        }
      }
      return { affectedRows: sids.length, affectedSids: sids }
    }, this.options.bulkLimits)
  }

  #now (): number {
    return (this.options.clock ?? Date.now)()
  }

  #adapter (entity: EntityDefinition, operation: Operation): EntityAdapter {
    if (!entity.operations.includes(operation)) {
      throw new UnimplementedError(`${entity.name} does not support ${operation}: Twilio has no such operation ` +
        `(supported: ${entity.operations.join(', ')})`)
    }
    return adapterFor(entity.name)
  }

  #checkId (entity: EntityDefinition, id: string): void {
    if (!entity.idPattern.test(id)) {
      throw new InvalidArgumentError(`'${id}' is not a well-formed ${entity.name} id`, [
        { field: 'entityId', description: `must match ${entity.idPattern.source}` }
      ])
    }
  }

  async #getRow (connection: string, entity: EntityDefinition, adapter: EntityAdapter, id: string): Promise<Fields> {
    const record = await this.#call(connection, entity, 'GET', `${entity.name} ${id}`, (upstream) => adapter.get!(upstream, id))
    return toFields(entity.fields, record)
  }

  /**
   * Runs an upstream call for the connection (which retries once after a credential refusal), maps its failure
   * and logs it at the connection's `logConfig` level.
   */
  async #call<T> (connection: string, entity: EntityDefinition, operation: UpstreamCall['operation'], subject: string, send: (upstream: UpstreamContext) => Promise<T>, limits?: Partial<CallLimits>): Promise<T> {
    return this.options.connections.run(connection, async (upstream) => {
      const started = performance.now()
      const context = () => ({ entity: entity.name, operation, subject, ms: Math.round(performance.now() - started) })
      try {
        const result = await send(upstream)
        upstream.log.info(context(), 'entity operation')
        return result
      } catch (error) {
        const mapped = error instanceof GatewayError
          ? error
          : upstreamError(error, { connection, operation, subject, deprecation: entity.deprecation })
        upstream.log.error({ ...context(), status: mapped.code }, mapped.message)
        throw mapped
      }
    }, limits)
  }

  #resource (connection: string, entity: EntityDefinition, fields: Fields): EntityResource {
    const sid = fields.Sid
    return typeof sid === 'string'
      ? { name: `${connection}/entityTypes/${entity.name}/entities/${sid}`, fields }
      : { fields }
  }
}

/** A bulk change's failure at row `index`: the row's own error, saying what was changed before it and what was not. */
function bulkIncomplete (error: unknown, connection: string, entity: EntityDefinition, change: 'UPDATE' | 'DELETE', sids: string[], index: number): GatewayError {
  const cause = error instanceof GatewayError
    ? error
    : upstreamError(error, { connection, operation: change, subject: `${entity.name} ${sids[index]}`, deprecation: entity.deprecation })
  const done = sids.slice(0, index)
  const notAttempted = sids.slice(index + 1)
  const verb = change === 'UPDATE' ? 'updating' : 'deleting'
  return new GatewayError(cause.code,
    `Stopped ${verb} ${entity.name} at ${sids[index]} (${index + 1} of ${sids.length}): ${cause.message}. ` +
    `${done.length} row(s) were changed before it; ${notAttempted.length} were not attempted.`,
    [...cause.details, errorInfoDetail('BULK_CHANGE_INCOMPLETE', ERROR_DOMAIN, {
      affectedRows: String(done.length),
      affectedSids: done.join(','),
      failedSid: sids[index]!,
      notAttemptedSids: notAttempted.join(',')
    })],
    { retryAfterSeconds: cause.retryAfterSeconds, httpStatus: cause.httpStatus })
}

/** The entity's Twilio list as a list call reads it: rows typed as the entity's fields. */
function rowSource (upstream: UpstreamContext, entity: EntityDefinition, adapter: EntityAdapter): RowSource {
  const rows = (page: UpstreamPage): UpstreamRows => ({ rows: page.records.map((record) => toFields(entity.fields, record)), nextUri: page.nextPageUri })
  return {
    first: async (pageSize, filters) => rows(await adapter.list!(upstream, { pageSize, filters })),
    at: async (pageUri) => rows(await adapter.list!(upstream, { pageUri, filters: {} })),
    canFetch: upstream.canAffordRequest
  }
}
