/** The stand-alone entry (`src/sandbox/server.ts`) as a process: environment, token file, listening, shutdown. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SANDBOX_ACCOUNT_SID } from '../../src/sandbox/app.js'

const ENTRY = new URL('../../src/sandbox/server.ts', import.meta.url).pathname
let dataDir: string

beforeAll(async () => { dataDir = await mkdtemp(join(tmpdir(), 'sandbox-server-')) })
afterAll(async () => { await rm(dataDir, { recursive: true, force: true }) })

/** Runs the entry through tsx with only the given sandbox variables set. */
function run (env: Record<string, string>): { child: ChildProcess, output: () => string, exited: Promise<number | null> } {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SANDBOX_') && name !== 'HOST' && name !== 'DATA_DIR'))
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { resolve(code) }))
  return { child, output: () => output, exited }
}

async function waitFor (read: () => string, pattern: RegExp): Promise<RegExpExecArray> {
  for (let i = 0; i < 200; i++) {
    const match = pattern.exec(read())
    if (match) return match
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${pattern}; output so far: ${read()}`)
}

describe('the stand-alone sandbox', () => {
  let firstToken = ''
  it('generates a token into a 0600 file (printing only its path), listens, answers, stops on SIGTERM and reuses the token next time', async () => {
    const server = run({ SANDBOX_PORT: '0', DATA_DIR: dataDir, SANDBOX_CALLS: '3', SANDBOX_MESSAGES: '7' })
    try {
      const [, baseUrl] = await waitFor(server.output, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
      const tokenFile = join(dataDir, 'sandbox-auth-token')
      const token = (await readFile(tokenFile, 'utf8')).trim()
      firstToken = token
      expect(token).toMatch(/^[0-9a-f]{64}$/)
      expect((await stat(tokenFile)).mode & 0o777).toBe(0o600)
      expect(server.output()).toContain(`Account SID: ${SANDBOX_ACCOUNT_SID}`)
      expect(server.output()).toContain(tokenFile)
      expect(server.output()).not.toContain(token)
      const authorization = `Basic ${Buffer.from(`${SANDBOX_ACCOUNT_SID}:${token}`).toString('base64')}`
      const reply = await fetch(`${baseUrl ?? ''}/2010-04-01/Accounts/${SANDBOX_ACCOUNT_SID}/Messages.json`, { headers: { authorization } })
      expect(reply.status).toBe(200)
      expect(((await reply.json()) as { messages: unknown[] }).messages).toHaveLength(7)
    } finally {
      server.child.kill('SIGTERM')
    }
    expect(await server.exited).toBe(0)

    const again = run({ SANDBOX_PORT: '0', DATA_DIR: dataDir, SANDBOX_CALLS: '0', SANDBOX_MESSAGES: '0' })
    try {
      await waitFor(again.output, /listening on/)
      expect((await readFile(join(dataDir, 'sandbox-auth-token'), 'utf8')).trim()).toBe(firstToken)
    } finally {
      again.child.kill('SIGTERM')
    }
    expect(await again.exited).toBe(0)
  })

  it('uses the given account and token without writing a token file', async () => {
    const otherDir = join(dataDir, 'unused')
    const accountSid = `AC${'c'.repeat(32)}`
    const server = run({ SANDBOX_PORT: '0', DATA_DIR: otherDir, SANDBOX_ACCOUNT_SID: accountSid, SANDBOX_AUTH_TOKEN: 'given-token', SANDBOX_CALLS: '0', SANDBOX_MESSAGES: '0' })
    try {
      const [, baseUrl] = await waitFor(server.output, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
      const authorization = `Basic ${Buffer.from(`${accountSid}:given-token`).toString('base64')}`
      expect((await fetch(`${baseUrl ?? ''}/2010-04-01/Accounts/${accountSid}.json`, { headers: { authorization } })).status).toBe(200)
      await expect(stat(otherDir)).rejects.toThrow(/ENOENT/)
    } finally {
      server.child.kill('SIGINT')
    }
    expect(await server.exited).toBe(0)
  })

  it('exits with a message naming every bad variable', async () => {
    const bad = { SANDBOX_PORT: '70000', SANDBOX_ACCOUNT_SID: 'AC123', SANDBOX_MESSAGES: '1.5', SANDBOX_LATENCY_MS: 'slow', SANDBOX_RATE_429: '2', SANDBOX_RATE_5XX: '-0.1' }
    const server = run({ ...bad, DATA_DIR: dataDir })
    expect(await server.exited).toBe(1)
    for (const [name, value] of Object.entries(bad)) expect(server.output()).toContain(`Invalid ${name}: '${value}'`)
    expect(server.output()).not.toContain('listening')
  })
})
