/**
 * A real PostgreSQL server for the tests, started once per `vitest run` by the global setup (test/global-setup.ts)
 * from the machine's PostgreSQL binaries, in a temporary directory that is deleted afterwards.
 *
 * - The binaries: `PG_BIN`, else `pg_config --bindir`, else the newest `/usr/lib/postgresql/<version>/bin`; each
 *   must hold `initdb`, `pg_ctl` and `postgres`. `PG_BIN=none` behaves as a machine without them.
 * - `initdb` and `postgres` refuse to run as root (and CI runs as root): as root, both run as the unprivileged
 *   `nobody` (uid/gid 65534) on a directory owned by it with mode 0700.
 * - Trust authentication, 127.0.0.1 on a free port plus a Unix socket in the temporary directory, `fsync=off`.
 * - Tests get `{ url }` through vitest's `provide`/`inject` (`postgres` key) and each test file makes its own
 *   database with `createTestDatabase()`.
 * - Without the binaries: when `REQUIRE_POSTGRES=1` (CI) the run fails; otherwise the real-PostgreSQL suites are
 *   skipped, loudly (a banner from the global setup, and the reason in the skipped suites' names).
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, chownSync, constants, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'
import { freePort } from './process.js'
import { serverAccount, serverDirectory } from './unprivileged.js'

/** What the global setup provides to the test files. */
export interface ProvidedPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (an admin connection), or null when not started. */
  url: string | null
  /** Why there is no server, for the names of the skipped suites. */
  skipReason: string | null
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: ProvidedPostgres
    /** A directory for the whole run (deleted at its end), e.g. for a template embedded database. */
    runDir: string
  }
}

const REQUIRED_BINARIES = ['initdb', 'pg_ctl', 'postgres'] as const
function hasBinaries (dir: string): boolean {
  return REQUIRED_BINARIES.every((name) => {
    try {
      accessSync(join(dir, name), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/** The directory of `initdb`, `pg_ctl` and `postgres`, or undefined with every place looked at. */
export function findPostgresBinaries (env: Record<string, string | undefined> = process.env): { dir?: string, looked: string[] } {
  const looked: string[] = []
  const candidates: string[] = []
  // PG_BIN=none: behave as on a machine without PostgreSQL (to see the skip, or the REQUIRE_POSTGRES failure).
  if (env.PG_BIN?.trim() === 'none') return { looked: ['nowhere (PG_BIN=none)'] }
  if (env.PG_BIN?.trim()) candidates.push(env.PG_BIN.trim())
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
  if (pgConfig.status === 0 && pgConfig.stdout.trim()) candidates.push(pgConfig.stdout.trim())
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((name) => /^\d+(\.\d+)?$/.test(name)).sort((a, b) => Number(b) - Number(a))
    for (const version of versions) candidates.push(join(root, version, 'bin'))
  } else {
    candidates.push(`${root}/*/bin`)
  }
  for (const dir of candidates) {
    looked.push(dir)
    if (hasBinaries(dir)) return { dir, looked }
  }
  return { looked }
}

export interface PostgresServer {
  /** Admin URL: the `postgres` database as the `postgres` superuser. */
  url: string
  port: number
  /** The temporary directory: `data/`, the socket and `server.log`. */
  dir: string
  /** The binaries' directory. */
  bin: string
  stop(): Promise<void>
}

interface RunResult { code: number | null, output: string }

function run (command: string, args: string[], options: { asUser?: { uid: number, gid: number }, cwd: string, timeoutMs: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', HOME: options.cwd, TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.asUser ? { uid: options.asUser.uid, gid: options.asUser.gid } : {})
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${options.timeoutMs} ms:\n${output}`))
    }, options.timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    // 'exit', not 'close': `pg_ctl start` leaves the server running (its output goes to the log file, but wait for
    // nothing that a grandchild might hold).
    child.once('exit', (code) => {
      clearTimeout(timer)
      setImmediate(() => resolve({ code, output }))
    })
  })
}

/** Waits until the server answers `SELECT 1` (bounded). */
async function waitUntilAccepting (url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url })
    try {
      await client.connect()
      await client.query('SELECT 1')
      return
    } catch (error) {
      last = error
      await new Promise((resolve) => setTimeout(resolve, 100))
    } finally {
      await client.end().catch(() => {})
    }
  }
  throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms: ${(last as Error | undefined)?.message}`)
}

/** Starts a throw-away PostgreSQL server from the binaries in `bin`. */
export async function startPostgresServer (bin: string): Promise<PostgresServer> {
  const asUser = serverAccount()
  const dir = serverDirectory('gateway-test-pg-', asUser) // mode 0700
  if (asUser) chownSync(dir, asUser.uid, asUser.gid)
  const dataDir = join(dir, 'data')
  const logFile = join(dir, 'server.log')
  const cleanUp = (): void => { rmSync(dir, { recursive: true, force: true }) }
  try {
    const init = await run(join(bin, 'initdb'), [
      '-D', dataDir, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'
    ], { asUser, cwd: dir, timeoutMs: 60_000 })
    if (init.code !== 0) throw new Error(`initdb failed (exit ${init.code}):\n${init.output}`)

    let lastFailure = ''
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort()
      const serverOptions = [
        `-p ${port}`, '-h 127.0.0.1', `-k ${dir}`, '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off',
        '-c max_connections=300', '-c shared_buffers=32MB', '-c log_min_messages=warning'
      ].join(' ')
      const start = await run(join(bin, 'pg_ctl'), ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '30', '-o', serverOptions],
        { asUser, cwd: dir, timeoutMs: 40_000 })
      if (start.code === 0) {
        const url = `postgres://postgres@127.0.0.1:${port}/postgres`
        let stopped = false
        const stopSync = (): void => {
          if (stopped) return
          stopped = true
          spawnSync(join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '10'], {
            cwd: dir, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, ...(asUser ?? {})
          })
          cleanUp()
        }
        // A run that ends without the teardown (an exception in vitest itself) still stops the server.
        process.once('exit', stopSync)
        const server: PostgresServer = {
          url,
          port,
          dir,
          bin,
          async stop () {
            if (stopped) return
            stopped = true
            process.removeListener('exit', stopSync)
            await run(join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '10'], { asUser, cwd: dir, timeoutMs: 20_000 })
              .catch(() => {})
            cleanUp()
          }
        }
        try {
          await waitUntilAccepting(url, 15_000)
        } catch (error) {
          await server.stop()
          throw error
        }
        return server
      }
      lastFailure = `${start.output}\n${existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''}`
      // Most likely the port was taken between choosing and binding it: try another.
    }
    throw new Error(`pg_ctl start failed three times:\n${lastFailure}`)
  } catch (error) {
    cleanUp()
    throw error
  }
}

/** The banner the global setup prints when the real-PostgreSQL tests are skipped. */
export function skipBanner (reason: string): string {
  const line = '!'.repeat(100)
  return [
    '', line,
    '!!  REAL-POSTGRESQL TESTS ARE SKIPPED',
    `!!  ${reason}`,
    '!!  Install PostgreSQL (Debian/Ubuntu: apt-get install -y postgresql) or set PG_BIN to the directory of',
    '!!  initdb/pg_ctl/postgres. CI sets REQUIRE_POSTGRES=1, which makes this a failure instead of a skip.',
    line, ''
  ].join('\n')
}

/**
 * Starts the server for the global setup: `{ server }`, or `{ skipReason }` when the binaries are missing and
 * PostgreSQL is not required. Throws when it is required (`REQUIRE_POSTGRES=1`) and missing, or when the
 * binaries are there but the server cannot start.
 */
export async function startTestPostgres (env: Record<string, string | undefined> = process.env): Promise<{ server?: PostgresServer, skipReason?: string }> {
  const required = env.REQUIRE_POSTGRES === '1' || env.REQUIRE_POSTGRES === 'true'
  const { dir, looked } = findPostgresBinaries(env)
  if (!dir) {
    const reason = `no PostgreSQL binaries (initdb, pg_ctl, postgres) found; looked in: ${looked.join(', ') || '(nowhere)'}`
    if (required) {
      throw new Error(`REQUIRE_POSTGRES=1 but ${reason}. Install PostgreSQL (apt-get install -y postgresql) or set PG_BIN.`)
    }
    return { skipReason: reason }
  }
  return { server: await startPostgresServer(dir) }
}

/** In a test file: the real PostgreSQL provided by the global setup. */
export function realPostgres (): ProvidedPostgres {
  return inject('postgres') ?? { url: null, skipReason: 'the global setup (test/global-setup.ts) did not run' }
}

/** The name of a real-PostgreSQL suite: says loudly why it is skipped, when it is. */
export function realPostgresLabel (name = 'real PostgreSQL'): string {
  const { url, skipReason } = realPostgres()
  return url ? name : `${name} — SKIPPED: ${skipReason ?? 'no server'}`
}

export interface TestPostgresDatabase {
  /** URL of the new, empty database. */
  url: string
  name: string
  /** Drops the database (closing whatever is still connected to it). */
  drop(): Promise<void>
}

/** A new, empty database on the test server, for one test file (or one test). */
export async function createTestDatabase (prefix = 'test'): Promise<TestPostgresDatabase> {
  const { url: adminUrl } = realPostgres()
  if (!adminUrl) throw new Error('no real PostgreSQL in this run')
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    async drop () {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    }
  }
}
