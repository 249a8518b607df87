/**
 * Versioned schema migrations, applied in order at start-up under an advisory lock, so that several gateway
 * processes starting at once on one PostgreSQL apply each migration exactly once. Migrations are append-only:
 * never edit one that has shipped; add the next.
 */
import type pg from 'pg'

export interface Migration { version: number, name: string, sql: string }

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'connections, operations, change feed, gateway secrets',
    sql: `
      CREATE TABLE connections (
        name          text PRIMARY KEY,
        parent        text NOT NULL,
        resource      jsonb NOT NULL,
        status        jsonb NOT NULL,
        revision      bigint NOT NULL,
        create_time   timestamptz NOT NULL,
        update_time   timestamptz NOT NULL
      );
      CREATE INDEX connections_parent ON connections (parent);

      CREATE TABLE operations (
        name          text PRIMARY KEY,
        parent        text NOT NULL,
        body          jsonb NOT NULL,
        create_time   timestamptz NOT NULL
      );
      CREATE INDEX operations_parent ON operations (parent, create_time);

      CREATE TABLE changes (
        seq           bigserial PRIMARY KEY,
        topic         text NOT NULL,
        key           text NOT NULL,
        at            timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE gateway_secrets (
        name          text PRIMARY KEY,
        value         text NOT NULL,
        create_time   timestamptz NOT NULL DEFAULT now()
      );
    `
  },
  {
    version: 2,
    name: 'operations listed in the order they were made',
    sql: `
      ALTER TABLE operations ADD COLUMN seq bigserial;
      CREATE INDEX operations_parent_seq ON operations (parent, seq);
    `
  },
  {
    version: 3,
    name: 'caller tokens (SHA-256 digests, roles, scopes)',
    sql: `
      CREATE TABLE caller_tokens (
        id            text PRIMARY KEY,
        digest        text NOT NULL UNIQUE,
        role          text NOT NULL CHECK (role IN ('admin', 'invoker')),
        scopes        jsonb NOT NULL DEFAULT '[]',
        description   text,
        create_time   timestamptz NOT NULL DEFAULT now(),
        revoke_time   timestamptz
      );
    `
  },
  {
    version: 4,
    name: 'node counts, process heartbeats, idempotency keys, monitor tokens',
    sql: `
      CREATE TABLE connection_nodes (
        name           text PRIMARY KEY REFERENCES connections (name) ON DELETE CASCADE,
        nodes          integer NOT NULL,
        changed_at_ms  bigint NOT NULL
      );

      CREATE TABLE gateway_processes (
        id             text PRIMARY KEY,
        heartbeat_at   timestamptz NOT NULL
      );

      CREATE TABLE idempotency_keys (
        scope          text NOT NULL,
        key            text NOT NULL,
        fingerprint    text NOT NULL,
        owner          text NOT NULL,
        answer         jsonb,
        created_at_ms  bigint NOT NULL,
        PRIMARY KEY (scope, key)
      );
      CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at_ms);

      ALTER TABLE caller_tokens DROP CONSTRAINT caller_tokens_role_check;
      ALTER TABLE caller_tokens ADD CONSTRAINT caller_tokens_role_check CHECK (role IN ('admin', 'invoker', 'monitor'));
    `
  }
]

/** An arbitrary, fixed key for pg_advisory_lock: "twilio-gw" as digits. */
const MIGRATION_LOCK = 7_845_946_487

export async function migrate (pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await pool.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
    const newlyApplied: number[] = []
    for (const migration of migrations) {
      // Checked inside the transaction too: on the embedded database the advisory lock does not separate two
      // processes (PGlite is one session), but its socket keeps a transaction to one connection.
      await client.query('BEGIN')
      try {
        const { rowCount } = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version])
        if (rowCount) {
          await client.query('COMMIT')
          continue
        }
        await client.query(migration.sql)
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name])
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK')
        throw new Error(`database migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`)
      }
      newlyApplied.push(migration.version)
    }
    return newlyApplied
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
    client.release()
  }
}
