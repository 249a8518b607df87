/**
 * The v1 Connection API's behaviour: create, get, list, update (with a mask) and delete, each write answered by a
 * finished long-running operation. A create or update first validates the connection, then probes it (can its
 * secret be read, does Twilio accept its credentials) so that it is stored ACTIVE, or ERROR /
 * AUTHORIZATION_REQUIRED with a description — never left CREATING or UPDATING.
 */
import { FailedPreconditionError, GatewayError, InvalidArgumentError, NotFoundError } from '../errors.js'
import type { Operation } from '../operations/operations.js'
import { CONNECTION_TYPE, EMPTY_TYPE, OperationStore, completedOperation } from '../operations/operations.js'
import type { ConnectionStatusService } from '../runtime/connection-status.js'
import type { PageTokens } from '../runtime/page-tokens.js'
import type { Connection, ConnectionSpec } from './connection.js'
import { compileFilter, compileOrderBy } from './list-filter.js'
import { OUTPUT_ONLY_FIELDS, SETTABLE_FIELDS } from './resource-schema.js'
import type { ConnectionStore, StoredConnection } from './store.js'
import { NODE_LIMITS } from './templates.js'
import { applyUpdate, maskedFields, parseUpdateMask } from './update-mask.js'
import type { ConnectionValidator } from './validation.js'
import { checkConnectionId, specOf } from './validation.js'

export type ConnectionResource = Record<string, unknown> & { name: string }

export interface ListRequest {
  filter?: string
  orderBy?: string
  pageSize: number
  pageToken?: string
  /** Which connections the caller may see (its token's scopes). */
  visible?: (name: string) => boolean
}
export interface ListResult { connections: ConnectionResource[], nextPageToken: string, unreachable: string[] }

const RESOURCE_FIELDS: ReadonlySet<string> = new Set([...Object.keys(SETTABLE_FIELDS), ...OUTPUT_ONLY_FIELDS])

export interface ConnectionManagerOptions {
  store: ConnectionStore
  operations: OperationStore
  validator: ConnectionValidator
  status: ConnectionStatusService
  pageTokens: PageTokens
  /** Transactions per second each node admits (answered as `connectorVersionInfraConfig.ratelimitThreshold`). */
  tpsPerNode: number
  /** The node count and limit a connection runs with now, said in the status description of an ACTIVE one. */
  capacity?: (connection: Connection) => string
}

export class ConnectionManager {
  constructor (private readonly options: ConnectionManagerOptions) {}

  /** The resource as Google answers it: what the user set, exactly, plus the server's fields. */
  resource (stored: StoredConnection): ConnectionResource {
    const { name, status, ...spec } = stored.connection
    const nodeConfig = spec.nodeConfig ?? {}
    return {
      name,
      createTime: stored.createTime.toISOString(),
      updateTime: stored.updateTime.toISOString(),
      ...spec,
      nodeConfig: {
        minNodeCount: nodeConfig.minNodeCount ?? NODE_LIMITS.defaultMin,
        maxNodeCount: nodeConfig.maxNodeCount ?? Math.max(NODE_LIMITS.defaultMax, nodeConfig.minNodeCount ?? 0)
      },
      status: this.#status(stored.connection),
      connectionRevision: String(stored.revision),
      connectorVersionLaunchStage: 'GA',
      connectorVersionInfraConfig: { ratelimitThreshold: String(this.options.tpsPerNode) }
    }
  }

  /** The stored status; an ACTIVE one also says the connection's current capacity (autoscaling shows there). */
  #status (connection: Connection): NonNullable<Connection['status']> {
    const status = connection.status ?? { state: 'STATE_UNSPECIFIED' }
    if (status.state !== 'ACTIVE' || !this.options.capacity) return status
    const capacity = this.options.capacity(connection)
    return { ...status, description: status.description ? `${status.description}; ${capacity}` : `Ready; ${capacity}` }
  }

  async create (parent: string, connectionId: string | undefined, body: unknown): Promise<Operation> {
    const name = `${parent}/connections/${checkConnectionId(connectionId)}`
    const spec = this.options.validator.parse(body)
    this.options.validator.check(spec)
    if (await this.options.store.read(name)) throw new GatewayError('ALREADY_EXISTS', `Connection ${name} already exists`)
    const startedAt = new Date()
    const status = await this.options.status.connectionStatus({ ...spec, name })
    return this.options.store.transaction(async (tx) => {
      const stored = await tx.insert(name, spec, status, new Date())
      const operation = completedOperation(parent, name, 'create', startedAt, { '@type': CONNECTION_TYPE, ...this.resource(stored) })
      await this.options.operations.insert(operation, tx.client)
      return operation
    })
  }

  async get (name: string): Promise<ConnectionResource> {
    const stored = await this.options.store.read(name)
    if (!stored) throw new NotFoundError(`Connection ${name} not found`)
    return this.resource(stored)
  }

  async list (parent: string, request: ListRequest): Promise<ListResult> {
    const matches = compileFilter(request.filter, RESOURCE_FIELDS)
    const order = compileOrderBy(request.orderBy, RESOURCE_FIELDS)
    const scope = { connection: parent, entity: 'v1/connections', conditions: `${request.filter ?? ''}\n${request.orderBy ?? ''}` }
    const offset = request.pageToken ? Number(this.options.pageTokens.open(scope, request.pageToken)) : 0
    const visible = request.visible ?? (() => true)
    const resources = (await this.options.store.list(parent))
      .filter((stored) => visible(stored.connection.name))
      .map((stored) => this.resource(stored)).filter(matches).sort(order)
    const next = offset + request.pageSize
    return {
      connections: resources.slice(offset, next),
      nextPageToken: next < resources.length ? this.options.pageTokens.issue(scope, String(next)) : '',
      unreachable: []
    }
  }

  async update (name: string, body: unknown, updateMask: string | undefined): Promise<Operation> {
    const paths = parseUpdateMask(updateMask)
    const changes = this.options.validator.parse(body)
    const current = await this.options.store.read(name)
    if (!current) throw new NotFoundError(`Connection ${name} not found`)
    const next = applyUpdate(specOf(current.connection), changes, paths)
    const fields = maskedFields(paths)
    const unlocking = fields.size === 1 && fields.has('lockConfig') && next.lockConfig?.locked !== true
    if (current.connection.lockConfig?.locked && !unlocking) throw lockedError(current.connection)
    this.options.validator.check(next)
    const startedAt = new Date()
    const status = await this.options.status.connectionStatus({ ...next, name })
    return this.options.store.transaction(async (tx) => {
      const fresh = await tx.read(name)
      if (!fresh) throw new NotFoundError(`Connection ${name} not found`)
      if (fresh.revision !== current.revision) {
        throw new GatewayError('ABORTED', `Connection ${name} was changed by another request while this update ran; retry it`)
      }
      const stored = await tx.replace(name, next, status, new Date())
      const operation = completedOperation(parentOf(name), name, 'update', startedAt, { '@type': CONNECTION_TYPE, ...this.resource(stored) })
      await this.options.operations.insert(operation, tx.client)
      return operation
    })
  }

  async delete (name: string): Promise<Operation> {
    const startedAt = new Date()
    return this.options.store.transaction(async (tx) => {
      const current = await tx.read(name)
      if (!current) throw new NotFoundError(`Connection ${name} not found`)
      if (current.connection.lockConfig?.locked) throw lockedError(current.connection)
      await tx.remove(name)
      const operation = completedOperation(parentOf(name), name, 'delete', startedAt, { '@type': EMPTY_TYPE })
      await this.options.operations.insert(operation, tx.client)
      return operation
    })
  }

  /** Creates the connection unless it exists (the sandbox connection on first start). */
  async ensure (connection: Connection): Promise<void> {
    const { name } = connection
    if (await this.options.store.read(name)) return
    const spec: ConnectionSpec = specOf(connection)
    this.options.validator.check(spec)
    const status = await this.options.status.connectionStatus(connection)
    await this.options.store.transaction(async (tx) => {
      await tx.insert(name, spec, status, new Date())
    }).catch((error: unknown) => {
      if (!(error instanceof GatewayError && error.code === 'ALREADY_EXISTS')) throw error
    })
  }
}

function parentOf (name: string): string {
  return name.split('/connections/')[0]!
}

function lockedError (connection: Connection): FailedPreconditionError {
  const reason = connection.lockConfig?.reason ? ` (${connection.lockConfig.reason})` : ''
  return new FailedPreconditionError(`Connection ${connection.name} is locked${reason}: the only change allowed is unlocking it (updateMask=lockConfig)`)
}

/** `parent` of a list or create: `projects/{p}/locations/{l}`. */
export function parentName (project: string, location: string): string {
  if (!project || !location) throw new InvalidArgumentError('project and location are required')
  return `projects/${project}/locations/${location}`
}
