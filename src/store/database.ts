/**
 * The gateway's database: a `pg` pool either on `DATABASE_URL` (PostgreSQL, shared by every gateway process) or
 * on an embedded PostgreSQL (PGlite) under the data directory, served to `pg` over a Unix socket by
 * `@electric-sql/pglite-socket` — so both run the same SQL through the same client code. The process that owns
 * the embedded database holds a lock file; another process on the same data directory (a CLI, while the gateway
 * runs) connects to the owner's socket instead of opening the files a second time.
 */
import { mkdir, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import pg from 'pg'

export interface Database {
  /** `postgres`: a shared server; `embedded`: this process owns PGlite; `embedded-client`: another process does. */
  readonly kind: 'postgres' | 'embedded' | 'embedded-client'
  readonly pool: pg.Pool
  /**
   * Calls `wake` on every NOTIFY on `channel` from any process (PostgreSQL only: PGlite does not forward
   * notifications, which is why the change feed also polls).
   */
  onNotify (channel: string, wake: () => void): Promise<void>
  close (): Promise<void>
}

export interface DatabaseOptions {
  /** `postgres://…`; without it, the embedded PostgreSQL under `dataDir`. */
  url?: string
  dataDir: string
  /** Reports listener connection problems (never includes credentials). */
  warn?: (message: string) => void
}

export async function openDatabase (options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options.warn ?? (() => {})) : openEmbedded(options.dataDir)
}

async function openPostgres (url: string, warn: (message: string) => void): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  pool.on('error', (error) => warn(`an idle database connection failed: ${error.message}`))
  await pool.query('SELECT 1')
  const channels = new Map<string, Array<() => void>>()
  let listener: pg.Client | undefined
  let closed = false
  let retry: NodeJS.Timeout | undefined

  const connect = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url })
    client.on('notification', (message) => { for (const wake of channels.get(message.channel) ?? []) wake() })
    client.on('error', (error) => {
      warn(`the database listener connection failed (${error.message}); reconnecting`)
      reconnect()
    })
    await client.connect()
    for (const channel of channels.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
    listener = client
    // Whatever was notified while disconnected is picked up by the woken readers.
    for (const wakes of channels.values()) for (const wake of wakes) wake()
  }
  const reconnect = (): void => {
    listener?.end().catch(() => {})
    listener = undefined
    if (closed || retry) return
    retry = setTimeout(() => {
      retry = undefined
      connect().catch((error: Error) => {
        warn(`the database listener could not reconnect (${error.message}); retrying`)
        reconnect()
      })
    }, 1000)
    retry.unref()
  }
  await connect()

  return {
    kind: 'postgres',
    pool,
    async onNotify (channel, wake) {
      const wakes = channels.get(channel)
      if (wakes) {
        wakes.push(wake)
        return
      }
      channels.set(channel, [wake])
      await listener?.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
    },
    async close () {
      closed = true
      if (retry) clearTimeout(retry)
      await listener?.end().catch(() => {})
      await pool.end()
    }
  }
}

/** Unix socket paths are limited to ~104 bytes; a long data directory gets its socket in a private temp dir. */
async function socketDirectory (dataDir: string): Promise<string> {
  if (Buffer.byteLength(join(dataDir, '.s.PGSQL.5432')) < 100) return dataDir
  return mkdtemp(join(tmpdir(), 'gateway-pg-'))
}

interface Owner { pid: number, socketDir: string }

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes the embedded database's lock, or answers the live process that holds it. */
async function lockOrOwner (lockPath: string, socketDir: string): Promise<Owner | undefined> {
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600)
      await handle.writeFile(JSON.stringify({ pid: process.pid, socketDir } satisfies Owner))
      await handle.close()
      return undefined
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = JSON.parse(await readFile(lockPath, 'utf8').catch(() => '{}')) as Partial<Owner>
    if (owner.pid && owner.socketDir && isRunning(owner.pid)) return owner as Owner
    // A stale lock of a process that died: take it over.
    await rm(lockPath, { force: true })
  }
}

async function openEmbedded (dataDir: string): Promise<Database> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const lockPath = join(dataDir, 'pgdata.lock')
  const socketDir = await socketDirectory(dataDir)
  const owner = await lockOrOwner(lockPath, socketDir)
  if (owner) {
    await stat(join(owner.socketDir, '.s.PGSQL.5432'))
    const pool = new pg.Pool({ host: owner.socketDir, user: 'postgres', database: 'postgres', max: 1 })
    return { kind: 'embedded-client', pool, onNotify: async () => {}, close: () => pool.end() }
  }
  try {
    const dataPath = join(dataDir, 'pgdata')
    await mkdir(dataPath, { recursive: true, mode: 0o700 })
    const db = await PGlite.create(dataPath)
    const socketPath = join(socketDir, '.s.PGSQL.5432')
    await rm(socketPath, { force: true })
    const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 16 })
    await server.start()
    // PGlite runs one statement at a time; one pooled connection keeps this process's transactions apart.
    const pool = new pg.Pool({ host: socketDir, user: 'postgres', database: 'postgres', max: 1 })
    return {
      kind: 'embedded',
      pool,
      onNotify: async () => {},
      async close () {
        await pool.end()
        await server.stop()
        await db.close()
        await rm(lockPath, { force: true })
      }
    }
  } catch (error) {
    await rm(lockPath, { force: true })
    throw error
  }
}
