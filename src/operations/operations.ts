/**
 * Long-running operations (`google.longrunning.Operation`) as the Connectors v1 API answers them. The gateway
 * completes its operations before answering, so clients get `done: true` at once (Terraform then skips polling);
 * they are stored so that `GET …/operations/{id}` answers them later, from any process, across restarts.
 */
import { randomBytes } from 'node:crypto'
import type pg from 'pg'
import type { Queryable } from '../store/changes.js'

export const OPERATION_METADATA_TYPE = 'type.googleapis.com/google.cloud.connectors.v1.OperationMetadata'
export const CONNECTION_TYPE = 'type.googleapis.com/google.cloud.connectors.v1.Connection'
export const EMPTY_TYPE = 'type.googleapis.com/google.protobuf.Empty'

export interface Operation {
  /** `projects/{p}/locations/{l}/operations/operation-{millis}-{hex}` (relative: Terraform appends it to its base URL). */
  name: string
  metadata: {
    '@type': typeof OPERATION_METADATA_TYPE
    createTime: string
    endTime?: string
    target: string
    verb: 'create' | 'update' | 'delete' | 'refresh'
    requestedCancellation: boolean
    apiVersion: 'v1'
  }
  done: boolean
  response?: Record<string, unknown> & { '@type': string }
  /** On failure: `code` is the google.rpc.Code number, not an HTTP status. */
  error?: { code: number, message: string, details: unknown[] }
}

/** A finished operation on `target` in `parent` (`projects/{p}/locations/{l}`). */
export function completedOperation (
  parent: string, target: string, verb: Operation['metadata']['verb'], startedAt: Date, response: Operation['response']
): Operation {
  return {
    name: `${parent}/operations/operation-${startedAt.getTime()}-${randomBytes(4).toString('hex')}`,
    metadata: {
      '@type': OPERATION_METADATA_TYPE,
      createTime: startedAt.toISOString(),
      endTime: new Date().toISOString(),
      target,
      verb,
      requestedCancellation: false,
      apiVersion: 'v1'
    },
    done: true,
    response
  }
}

export class OperationStore {
  constructor (private readonly pool: pg.Pool) {}

  async insert (operation: Operation, db: Queryable = this.pool): Promise<void> {
    await db.query('INSERT INTO operations (name, parent, body, create_time) VALUES ($1, $2, $3, $4)',
      [operation.name, operation.name.split('/operations/')[0], operation, operation.metadata.createTime])
  }

  async get (name: string): Promise<Operation | undefined> {
    const { rows } = await this.pool.query<{ body: Operation }>('SELECT body FROM operations WHERE name = $1', [name])
    return rows[0]?.body
  }

  /** A page of the parent's operations, newest first; `offset` is where the page starts. */
  async list (parent: string, offset: number, limit: number): Promise<Operation[]> {
    const { rows } = await this.pool.query<{ body: Operation }>(
      'SELECT body FROM operations WHERE parent = $1 ORDER BY seq DESC OFFSET $2 LIMIT $3',
      [parent, offset, limit])
    return rows.map((row) => row.body)
  }

  async remove (name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM operations WHERE name = $1', [name])
    return Boolean(rowCount)
  }
}
