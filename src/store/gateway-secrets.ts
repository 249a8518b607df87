/**
 * Secrets of the gateway itself (e.g. the key that signs page tokens), kept in the shared database so that every
 * process and every restart uses the same value. The first process to ask creates it.
 */
import { randomBytes } from 'node:crypto'
import type pg from 'pg'

/** The named 32-byte key, created at random on first use. */
export async function gatewayKey (pool: pg.Pool, name: string): Promise<Buffer> {
  await pool.query('INSERT INTO gateway_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
    [name, randomBytes(32).toString('base64')])
  const { rows } = await pool.query<{ value: string }>('SELECT value FROM gateway_secrets WHERE name = $1', [name])
  return Buffer.from(rows[0]!.value, 'base64')
}
