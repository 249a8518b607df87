/**
 * The embedded PostgreSQL's ownership of its data directory: one process owns it (lock file + Unix socket);
 * another that opens the same directory meanwhile (a CLI, a second process) connects through the owner's socket
 * and sees the same data; when the owner closes, the next open owns it; a lock left by a process that died is
 * taken over.
 */
import { spawn } from 'node:child_process'
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../src/store/database.js'
import { migrate } from '../../src/store/migrations.js'
import { ACTIVE, backends, connectionName, embeddedTemplate, openStores, spec, type Place } from './backends.js'

const embedded = backends().find((backend) => backend.kind === 'embedded')!

const LOCK_FILE = 'pgdata.lock'
const SOCKET_FILE = '.s.PGSQL.5432'

/** The pid of a process that has exited (and so is, for now, not running). */
async function deadPid (): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((resolve) => child.once('exit', resolve))
  return child.pid!
}

/** Leaves a Unix socket file at `path` that nobody listens on (its process was killed, as in a crash). */
async function staleSocket (path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('listening'))`], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`the socket holder exited with ${code}`)))
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
  expect(existsSync(path)).toBe(true)
}

async function rows (database: Database): Promise<string[]> {
  const { rows: found } = await database.pool.query<{ name: string }>('SELECT name FROM connections ORDER BY name')
  return found.map((row) => row.name)
}

describe('embedded PostgreSQL: who owns the data directory', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {}) })

  async function place (options: { fresh?: boolean } = {}): Promise<Place> {
    const created = await embedded.place('embedded', options)
    cleanups.push(() => created.remove())
    return created
  }
  async function open (at: Place): Promise<Database> {
    const database = await at.open()
    cleanups.push(() => database.close())
    return database
  }

  it('a second open while the owner runs connects through its socket (embedded-client) and shares its data both ways', async () => {
    const at = await place()
    const owner = await openStores(at)
    cleanups.push(() => owner.close())
    expect(owner.database.kind).toBe('embedded')
    expect(JSON.parse(readFileSync(join(at.dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid })
    const byOwner = connectionName('by-owner')
    await owner.store.transaction((tx) => tx.insert(byOwner, spec('by owner'), ACTIVE, new Date()))

    const client = await openStores(at)
    expect(client.database.kind).toBe('embedded-client')
    expect((await client.store.read(byOwner))?.connection.description).toBe('by owner')
    expect(await client.store.get(byOwner)).toBeDefined()
    const byClient = connectionName('by-client')
    await client.store.transaction((tx) => tx.insert(byClient, spec('by client'), ACTIVE, new Date()))
    expect((await owner.store.read(byClient))?.connection.description).toBe('by client')

    // The client going away leaves the owner working and owning.
    await client.close()
    expect(await rows(owner.database)).toEqual([byClient, byOwner].sort())
    expect(existsSync(join(at.dataDir, LOCK_FILE))).toBe(true)
  })

  it('when the owner closes, it releases the lock, and the next open owns the directory again, with the data', async () => {
    const at = await place()
    const first = await at.open()
    await migrate(first.pool)
    const name = connectionName('kept')
    await first.pool.query("INSERT INTO connections (name, parent, resource, status, revision, create_time, update_time) VALUES ($1, 'p', '{}', '{}', 1, now(), now())", [name])
    await first.close()
    expect(existsSync(join(at.dataDir, LOCK_FILE))).toBe(false)

    const second = await open(at)
    expect(second.kind).toBe('embedded')
    expect(await rows(second)).toEqual([name])
    // …and a third open is its client.
    const third = await open(at)
    expect(third.kind).toBe('embedded-client')
    expect(await rows(third)).toEqual([name])
  })

  it('takes over the stale lock of a process that is not running', async () => {
    const at = await place()
    const setup = await at.open()
    await migrate(setup.pool)
    await setup.close()
    const pid = await deadPid()
    writeFileSync(join(at.dataDir, LOCK_FILE), JSON.stringify({ pid, socketDir: at.dataDir }))

    const database = await open(at)
    expect(database.kind).toBe('embedded')
    expect(JSON.parse(readFileSync(join(at.dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid })
    expect(await rows(database)).toEqual([])
  })

  it('takes over a stale lock whose pid is running again but serves nothing — as after a crash in a container, where the gateway is PID 1 again', async () => {
    // The image runs `node dist/src/server.js` as PID 1: after a crash (OOM kill) the lock names pid 1 and the
    // socket file is still there; the restarted gateway is PID 1 again. Simulated with this process's pid.
    const at = await place()
    const setup = await at.open()
    await migrate(setup.pool)
    await setup.close()
    await staleSocket(join(at.dataDir, SOCKET_FILE))
    writeFileSync(join(at.dataDir, LOCK_FILE), JSON.stringify({ pid: process.pid, socketDir: at.dataDir }))

    const database = await open(at)
    expect(database.kind).toBe('embedded')
    await migrate(database.pool)
    expect(await rows(database)).toEqual([])
  }, 30_000)

  it('two processes opening one data directory at once both succeed: one owns it, the other connects to it', async () => {
    const at = await place()
    // The owner takes the lock before PGlite has started and its socket exists; the other must wait for it.
    const [one, two] = await Promise.allSettled([at.open(), at.open()])
    for (const result of [one, two]) if (result.status === 'fulfilled') cleanups.push(() => result.value.close())
    expect([one.status, two.status]).toEqual(['fulfilled', 'fulfilled'])
    const kinds = [one, two].map((result) => result.status === 'fulfilled' ? result.value.kind : 'failed').sort()
    expect(kinds).toEqual(['embedded', 'embedded-client'])
  }, 30_000)

  it('a data directory whose path is too long for a Unix socket still works (the socket goes to a temporary directory, removed at close)', async () => {
    const at = await place()
    const deep = join(at.dataDir, 'x'.repeat(60), 'y'.repeat(40))
    cpSync(await embeddedTemplate(), join(deep, 'pgdata'), { recursive: true })
    const owner = await openDatabase({ dataDir: deep })
    await migrate(owner.pool)
    const client = await openDatabase({ dataDir: deep })
    expect([owner.kind, client.kind]).toEqual(['embedded', 'embedded-client'])
    expect(await rows(client)).toEqual([])
    const { socketDir } = JSON.parse(readFileSync(join(deep, LOCK_FILE), 'utf8')) as { socketDir: string }
    cleanups.push(async () => { rmSync(socketDir, { recursive: true, force: true }) })
    expect(socketDir.startsWith(deep)).toBe(false)
    expect(existsSync(join(socketDir, SOCKET_FILE))).toBe(true)
    await client.close()
    await owner.close()
    // Every start with such a directory would otherwise leave a temporary directory behind.
    expect(existsSync(socketDir)).toBe(false)
  })
})
