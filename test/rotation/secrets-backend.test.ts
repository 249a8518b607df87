/**
 * The secrets backend is chosen explicitly, checked on the built gateway process (`dist/src/server.js`) as it is
 * deployed: with DATABASE_URL (a shared deployment: the real PostgreSQL of the test run) and no SECRETS_BACKEND the
 * process refuses to start and says why — it must never fall back to a local store by accident; SECRETS_BACKEND=
 * secret-manager with the sandbox on is refused too (the sandbox's token lives in the local store). With
 * SECRETS_BACKEND=local spelled out, the same database starts fine (so the refusal is about the missing choice).
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, realPostgres, realPostgresLabel, type TestPostgresDatabase } from '../helpers/postgres.js'
import { freePort, ROOT, startProcess } from '../helpers/process.js'

const SERVER = join(ROOT, 'dist/src/server.js')

/** Builds dist when it is missing or older than the sources these tests are about. */
function ensureBuilt (): void {
  const sources = ['src/server.ts', 'src/config.ts', 'src/secrets/secret-manager.ts', 'src/secrets/cache.ts'].map((path) => join(ROOT, path))
  const stale = !existsSync(SERVER) || sources.some((source) => statSync(source).mtimeMs > statSync(SERVER).mtimeMs)
  if (!stale) return
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`)
}

interface Exit { code: number | null, signal: NodeJS.Signals | null, output: string }

/** Runs the gateway until it exits (bounded: killed after `timeoutMs`). */
function runToExit (env: Record<string, string>, timeoutMs = 15_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER], { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the gateway did not exit within ${timeoutMs} ms (it should refuse to start):\n${output}`))
    }, timeoutMs)
    child.once('error', (error) => { clearTimeout(timer); reject(error) })
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, output }) })
  })
}

const dataDirs: string[] = []
function dataDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-backend-'))
  dataDirs.push(dir)
  return dir
}

afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
})

beforeAll(() => {
  ensureBuilt()
}, 120_000)

const suite = realPostgres().url ? describe : describe.skip

suite(`SECRETS_BACKEND with DATABASE_URL — ${realPostgresLabel('real PostgreSQL')}`, () => {
  let database: TestPostgresDatabase

  beforeAll(async () => {
    database = await createTestDatabase('secrets_backend')
  })
  afterAll(async () => {
    await database?.drop()
  })

  it('DATABASE_URL without SECRETS_BACKEND: exits non-zero, naming SECRETS_BACKEND and DATABASE_URL; no local store is created', async () => {
    const port = await freePort()
    const dir = dataDir()
    const exit = await runToExit({ DATABASE_URL: database.url, DATA_DIR: dir, PORT: String(port), SANDBOX: 'off', GATEWAY_ADMIN_TOKEN: `admin-${randomBytes(12).toString('hex')}` })
    expect(exit.code, exit.output).not.toBe(0)
    expect(exit.code).not.toBeNull()
    expect(exit.output).toMatch(/Configuration error/)
    expect(exit.output).toContain('SECRETS_BACKEND')
    expect(exit.output).toContain('DATABASE_URL')
    expect(exit.output).toMatch(/SECRETS_BACKEND=secret-manager/)
    expect(exit.output).toMatch(/SECRETS_BACKEND=local/)
    // No local secret store was created as a fallback.
    expect(existsSync(join(dir, 'secrets'))).toBe(false)
    // Not a crash: a one-line reason, no stack trace.
    expect(exit.output).not.toMatch(/\n\s+at /)
  })

  it('SECRETS_BACKEND=local spelled out: the same database starts and answers /readyz', async () => {
    const port = await freePort()
    const running = await startProcess(port, {
      env: { DATABASE_URL: database.url, SECRETS_BACKEND: 'local', DATA_DIR: dataDir(), PORT: String(port), SANDBOX: 'off', LOG_LEVEL: 'warn', GATEWAY_SECRETS_KEY: randomBytes(32).toString('hex') },
      readyWithinMs: 20_000
    })
    expect(await running.stop()).toBe(0)
  })
})

describe('SECRETS_BACKEND=secret-manager with the sandbox on', () => {
  it('exits non-zero with its message (the sandbox keeps its token in the local store)', async () => {
    const exit = await runToExit({ SECRETS_BACKEND: 'secret-manager', SANDBOX: 'on', DATA_DIR: dataDir(), PORT: String(await freePort()) })
    expect(exit.code, exit.output).not.toBe(0)
    expect(exit.output).toMatch(/Configuration error: SANDBOX=on keeps the sandbox account's token in the local secret store/)
    expect(exit.output).toContain('SANDBOX=off')
    expect(exit.output).toContain('SECRETS_BACKEND=secret-manager')
    expect(exit.output).not.toMatch(/\n\s+at /)
  })
})
