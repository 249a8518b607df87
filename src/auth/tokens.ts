/**
 * Caller tokens: random 256-bit values handed out once and kept only as SHA-256 digests (no slow KDF: they are
 * random, not passwords, and are checked on every request), each with a role — `admin` (the v1 management API and
 * everything), `invoker` (the v2 runtime only) or `monitor` (`/metrics` only) — and optional scopes. Every gateway process keeps a directory of
 * them that the change feed refreshes, so a token created or revoked anywhere (the CLI too) counts within a second.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type pg from 'pg'
import { InvalidArgumentError, NotFoundError } from '../errors.js'
import type { ChangeFeed, Queryable } from '../store/changes.js'
import { recordChange } from '../store/changes.js'
import { isScopePattern } from './scopes.js'

export type Role = 'admin' | 'invoker' | 'monitor'
export const ROLES: readonly Role[] = ['admin', 'invoker', 'monitor']

export interface Caller {
  /** A public identifier of the token (the start of its digest), for logs and revocation. */
  id: string
  role: Role
  /** Resource-name patterns; none: no restriction. */
  scopes: string[]
}

const TOPIC = 'tokens'

export function digestOf (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

/** The identifier a token is listed and revoked by. */
export function tokenId (digest: Buffer): string {
  return `tok_${digest.toString('hex').slice(0, 16)}`
}

interface Row { id: string, digest: string, role: Role, scopes: string[], description: string | null, create_time: Date, revoke_time: Date | null }

export interface TokenRecord { id: string, role: Role, scopes: string[], description?: string, createTime: string, revoked: boolean }

export function checkScopes (scopes: readonly string[]): void {
  const bad = scopes.filter((scope) => !isScopePattern(scope))
  if (bad.length) {
    throw new InvalidArgumentError(`Not a scope pattern: ${bad.join(', ')} (use names such as projects/acme or projects/acme/locations/*/connections/*)`)
  }
}

/** Creates, revokes and lists tokens in the database. */
export class TokenStore {
  constructor (private readonly db: Queryable) {}

  /** Creates a token; answers it (shown once, never stored) and its record. */
  async create (role: Role, scopes: string[] = [], description?: string): Promise<{ token: string, record: TokenRecord }> {
    if (!ROLES.includes(role)) throw new InvalidArgumentError(`role must be admin or invoker, not ${role}`)
    checkScopes(scopes)
    const token = `gw_${randomBytes(32).toString('base64url')}`
    const digest = digestOf(token)
    const { rows } = await this.db.query<Row>(
      'INSERT INTO caller_tokens (id, digest, role, scopes, description) VALUES ($1, $2, $3, $4, $5) RETURNING *',
      [tokenId(digest), digest.toString('hex'), role, JSON.stringify(scopes), description ?? null])
    await recordChange(this.db, TOPIC, tokenId(digest))
    return { token, record: record(rows[0]!) }
  }

  /** Revokes a token given by itself or by its id. */
  async revoke (tokenOrId: string): Promise<TokenRecord> {
    const id = /^tok_[0-9a-f]{16}$/.test(tokenOrId) ? tokenOrId : tokenId(digestOf(tokenOrId))
    const { rows } = await this.db.query<Row>(
      'UPDATE caller_tokens SET revoke_time = coalesce(revoke_time, now()) WHERE id = $1 RETURNING *', [id])
    if (!rows[0]) throw new NotFoundError(`No token ${id}`)
    await recordChange(this.db, TOPIC, id)
    return record(rows[0])
  }

  async list (): Promise<TokenRecord[]> {
    const { rows } = await this.db.query<Row>('SELECT * FROM caller_tokens ORDER BY create_time, id')
    return rows.map(record)
  }
}

function record (row: Row): TokenRecord {
  return {
    id: row.id,
    role: row.role,
    scopes: row.scopes,
    ...(row.description ? { description: row.description } : {}),
    createTime: row.create_time.toISOString(),
    revoked: row.revoke_time !== null
  }
}

/** The live tokens, by digest, kept current in memory. */
export class CallerDirectory {
  #callers = new Map<string, Caller & { digest: Buffer }>()

  private constructor (private readonly pool: pg.Pool) {}

  static async open (pool: pg.Pool, feed: ChangeFeed): Promise<CallerDirectory> {
    const directory = new CallerDirectory(pool)
    const reload = () => directory.#load()
    feed.subscribe(TOPIC, { changed: reload, resync: reload })
    await directory.#load()
    return directory
  }

  async #load (): Promise<void> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM caller_tokens WHERE revoke_time IS NULL')
    this.#callers = new Map(rows.map((row) => [row.digest, { id: row.id, role: row.role, scopes: row.scopes, digest: Buffer.from(row.digest, 'hex') }]))
  }

  /** The caller a token belongs to, if it is live. */
  identify (token: string): Caller | undefined {
    const digest = digestOf(token)
    const found = this.#callers.get(digest.toString('hex'))
    // The map found it by digest; the comparison itself is constant-time all the same.
    if (!found || !timingSafeEqual(found.digest, digest)) return undefined
    return { id: found.id, role: found.role, scopes: found.scopes }
  }
}
