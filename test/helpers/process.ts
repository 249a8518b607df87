/**
 * Runs the built gateway (`dist/`) as a child process, as `npm start` and the Docker image do.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export const ROOT = new URL('../../', import.meta.url).pathname

export async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

export interface RunningGateway {
  child: ChildProcess
  baseUrl: string
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  stop(): Promise<number | null>
}

export interface StartOptions {
  command?: string[]
  env: Record<string, string>
  uid?: number
  gid?: number
  /** Give up if /readyz is not 200 within this many ms. */
  readyWithinMs?: number
}

export async function startProcess (port: number, options: StartOptions): Promise<RunningGateway> {
  const [command, ...args] = options.command ?? [process.execPath, 'dist/src/server.js']
  const child = spawn(command!, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {})
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const baseUrl = `http://127.0.0.1:${port}`
  const running: RunningGateway = {
    child,
    baseUrl,
    output: () => output,
    async stop () {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    }
  }
  const deadline = Date.now() + (options.readyWithinMs ?? 15_000)
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}:\n${output}`)
    const ready = await fetch(`${baseUrl}/readyz`).then((response) => response.status === 200, () => false)
    if (ready) return running
    await sleep(100)
  }
  await running.stop()
  throw new Error(`the gateway did not answer /readyz 200 within ${options.readyWithinMs ?? 15_000} ms:\n${output}`)
}

/** Builds `dist/` when it is missing (a test file run on its own, without `npm test`'s build). */
export function ensureBuilt (): void {
  if (existsSync(join(ROOT, 'dist/src/server.js'))) return
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`)
}

export interface SharedGatewayOptions {
  databaseUrl: string
  dataDir: string
  adminToken: string
  /** The local secret store's key (GATEWAY_SECRETS_KEY). */
  secretsKey: string
  /** The origin the gateway reaches as Twilio (TWILIO_API_BASE_URL). */
  upstream: string
  /** More environment (THROTTLE_TPS_PER_NODE, LOG_LEVEL …). */
  env?: Record<string, string>
  readyWithinMs?: number
}

/** A gateway process of a cluster on one PostgreSQL, with the local secret store, reaching `upstream` as Twilio. */
export async function startSharedGateway (options: SharedGatewayOptions): Promise<RunningGateway> {
  const port = await freePort()
  return startProcess(port, {
    env: {
      DATABASE_URL: options.databaseUrl,
      // A shared database needs an explicit secrets backend; each process keeps its tokens in its own DATA_DIR.
      SECRETS_BACKEND: 'local',
      DATA_DIR: options.dataDir,
      PORT: String(port),
      SANDBOX: 'off',
      GATEWAY_ADMIN_TOKEN: options.adminToken,
      GATEWAY_SECRETS_KEY: options.secretsKey,
      TWILIO_API_BASE_URL: options.upstream,
      LOG_LEVEL: 'warn',
      ...options.env
    },
    readyWithinMs: options.readyWithinMs ?? 20_000
  })
}

/** An answer of a gateway process: its status and its body, parsed when it is JSON. */
export interface ProcessAnswer { status: number, body: any }

/** Calls a gateway process over its socket with a bearer token; JSON bodies are sent and parsed. */
export async function callProcess (baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<ProcessAnswer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  return { status: response.status, body: /^\s*[[{]/.test(text) ? JSON.parse(text) : text || undefined }
}
