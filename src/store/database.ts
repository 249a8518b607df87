/**
 * The gateway's database: a `pg` pool either on `DATABASE_URL` (PostgreSQL, shared by every gateway process) or
 * on an embedded PostgreSQL (PGlite) under the data directory, served to `pg` over a Unix socket by
 * `@electric-sql/pglite-socket` — so both run the same SQL through the same client code. The process that owns
 * the embedded database holds a lock file; another process on the same data directory (a CLI, while the gateway
 * runs) connects to the owner's socket instead of opening the files a second time.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { link, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import pg from 'pg'
import { copyEmbeddedTemplate } from './embedded-template.js'

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

/** How long to wait for an embedded database's owner to serve its socket (it may be starting up). */
const OWNER_WAIT_MS = 10_000
/** Lock files this process holds (a lock naming this pid but not held here is a previous life's: PID 1 in Docker). */
const heldLocks = new Set<string>()

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether something accepts connections on the Unix socket, trying until the deadline. */
async function socketAnswers (socketPath: string, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs
  for (;;) {
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(socketPath)
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => resolve(false))
    })
    if (answered || Date.now() >= deadline) return answered
    await sleep(100)
  }
}

/** Takes the embedded database's lock, or answers the live owner that serves it. */
async function lockOrOwner (lockPath: string, socketDir: string): Promise<Owner | undefined> {
  for (let attempt = 0; attempt < 10; attempt++) {
    // The lock appears with its content in one step (a hard link of a written file), so no reader sees it empty.
    const draft = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`
    await writeFile(draft, JSON.stringify({ pid: process.pid, socketDir } satisfies Owner), { mode: 0o600 })
    try {
      await link(draft, lockPath)
      heldLocks.add(lockPath)
      return undefined
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      await rm(draft, { force: true })
    }
    const owner = JSON.parse(await readFile(lockPath, 'utf8').catch(() => '{}')) as Partial<Owner>
    const mayLive = owner.pid !== undefined && owner.socketDir !== undefined && isRunning(owner.pid) &&
      (owner.pid !== process.pid || heldLocks.has(lockPath))
    if (mayLive && await socketAnswers(join(owner.socketDir!, '.s.PGSQL.5432'), OWNER_WAIT_MS)) return owner as Owner
    // The lock of a process that died (or of this pid in a previous life): take it over.
    await rm(lockPath, { force: true })
  }
  throw new Error(`cannot lock the embedded database at ${lockPath}: another process keeps taking it`)
}

async function openEmbedded (dataDir: string): Promise<Database> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const lockPath = join(dataDir, 'pgdata.lock')
  const socketDir = await socketDirectory(dataDir)
  const removeSocketDir = async (): Promise<void> => {
    if (socketDir !== dataDir) await rm(socketDir, { recursive: true, force: true })
  }
  const owner = await lockOrOwner(lockPath, socketDir)
  if (owner) {
    await removeSocketDir()
    const pool = new pg.Pool({ host: owner.socketDir, user: 'postgres', database: 'postgres', max: 1 })
    return { kind: 'embedded-client', pool, onNotify: async () => {}, close: () => pool.end() }
  }
  const release = async (): Promise<void> => {
    heldLocks.delete(lockPath)
    await rm(lockPath, { force: true })
    await removeSocketDir()
  }
  try {
    const dataPath = join(dataDir, 'pgdata')
    if (!existsSync(dataPath) && !(await copyEmbeddedTemplate(dataPath))) await mkdir(dataPath, { recursive: true, mode: 0o700 })
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
        await release()
      }
    }
  } catch (error) {
    await release()
    throw error
  }
}
