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
import { GatewayError, InvalidArgumentError, UnimplementedError } from '../errors.js'
import type { IdempotentCalls } from '../idempotency/idempotent-calls.js'
import { matches } from '../filter/condition.js'
import { compileListQuery, type ListQuery, type ListQueryText } from '../query/list-query.js'
import { listPage, type ListCursor, type RowSource, type UpstreamRows } from '../query/listing.js'
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
  async #call<T> (connection: string, entity: EntityDefinition, operation: UpstreamCall['operation'], subject: string, send: (upstream: UpstreamContext) => Promise<T>): Promise<T> {
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
    })
  }

  #resource (connection: string, entity: EntityDefinition, fields: Fields): EntityResource {
    const sid = fields.Sid
    return typeof sid === 'string'
      ? { name: `${connection}/entityTypes/${entity.name}/entities/${sid}`, fields }
      : { fields }
  }
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
