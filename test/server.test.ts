/**
 * The built gateway as its users start it: `npm start` (the quickstart, sandbox on) and the Docker image (its CMD
 * and ENV read from the Dockerfile, as an unprivileged user, sandbox off). The image itself cannot be built here
 * (no Docker engine), so this is how "the image works" is checked.
 */
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openLocalSecretStore } from '../src/secrets/local.js'
import { freePort, ROOT, startProcess, type RunningGateway } from './helpers/process.js'

const MESSAGE = 'SM3ad97d41e786c02bca47c8ce1745053b'
const SANDBOX = '/v2/projects/local/locations/local/connections/sandbox'

let running: RunningGateway | undefined
const cleanups: Array<() => void> = []
afterEach(async () => {
  await running?.stop()
  running = undefined
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function tempDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-test-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The final stage's ENV and CMD of the Dockerfile. */
function dockerImage (): { env: Record<string, string>, command: string[] } {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ')
  const lines = text.split('\n')
  const finalStage = lines.slice(lines.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true))
  const env: Record<string, string> = {}
  let command: string[] = []
  for (const line of finalStage) {
    const envMatch = /^ENV\s+(.*)$/i.exec(line)
    if (envMatch) for (const pair of envMatch[1]!.trim().split(/\s+/)) env[pair.split('=')[0]!] = pair.slice(pair.indexOf('=') + 1)
    const cmdMatch = /^CMD\s+(\[.*\])\s*$/i.exec(line)
    if (cmdMatch) command = JSON.parse(cmdMatch[1]!) as string[]
  }
  return { env, command }
}

describe('npm start (the quickstart)', () => {
  it('answers /readyz within 15 s, keeps its generated token in a 0600 file it never prints, and serves the sandbox connection', async () => {
    const dataDir = tempDir()
    const port = await freePort()
    running = await startProcess(port, {
      env: { DATA_DIR: dataDir, PORT: String(port), SANDBOX_PORT: String(await freePort()) },
      readyWithinMs: 15_000
    })
    const tokenFile = join(dataDir, 'admin-token')
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600)
    const token = readFileSync(tokenFile, 'utf8').trim()
    expect(token).toMatch(/^[0-9a-f]{64}$/)
    expect(running.output()).toContain(tokenFile)
    expect(running.output()).not.toContain(token)
    const secrets = await openLocalSecretStore({}, dataDir)
    expect(running.output()).not.toContain(await secrets.access('projects/local/secrets/sandbox-auth-token/versions/latest'))

    const response = await fetch(`${running.baseUrl}${SANDBOX}/entityTypes/Messages/entities/${MESSAGE}`, {
      headers: { authorization: `Bearer ${token}` }
    })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { fields: unknown }).fields).toMatchObject({ Sid: MESSAGE })
    expect(await running.stop()).toBe(0)
  })

  it('announces TWILIO_API_BASE_URL loudly and refuses bad configuration by name', async () => {
    const dataDir = tempDir()
    const port = await freePort()
    running = await startProcess(port, {
      env: { DATA_DIR: dataDir, PORT: String(port), SANDBOX: 'off', TWILIO_API_BASE_URL: 'http://127.0.0.1:9' }
    })
    expect(running.output()).toMatch(/"level":40.*TWILIO_API_BASE_URL is set.*http:\/\/127\.0\.0\.1:9/)
    await running.stop()
    running = undefined

    const failing = startProcess(await freePort(), { env: { DATA_DIR: dataDir, SANDBOX: 'sometimes' }, readyWithinMs: 10_000 })
    await expect(failing).rejects.toThrow(/Configuration error: SANDBOX must be on or off/)
  })
})

describe('the Docker image (same command and environment, unprivileged user)', () => {
  it('runs with the sandbox off, owns its data directory and answers authenticated calls', async () => {
    const image = dockerImage()
    expect(image.command).toEqual(['node', 'dist/src/server.js'])
    expect(image.env).toMatchObject({ SANDBOX: 'off', HOST: '0.0.0.0', NODE_ENV: 'production' })

    const dataDir = tempDir()
    // As root (CI), drop to nobody as the image drops to its own user; otherwise this user is already unprivileged.
    const asRoot = process.getuid?.() === 0
    const user = asRoot ? { uid: 65534, gid: 65534 } : {}
    if (asRoot) {
      chownSync(dataDir, 65534, 65534)
      chmodSync(dataDir, 0o700)
    }
    const port = await freePort()
    running = await startProcess(port, {
      command: [process.execPath, ...image.command.slice(1)],
      env: { ...image.env, PORT: String(port), DATA_DIR: dataDir },
      ...user
    })
    const tokenFile = join(dataDir, 'admin-token')
    const stat = statSync(tokenFile)
    expect(stat.mode & 0o777).toBe(0o600)
    if (asRoot) expect(stat.uid).toBe(65534)
    const token = readFileSync(tokenFile, 'utf8').trim()

    expect((await fetch(`${running.baseUrl}/healthz`)).status).toBe(200)
    expect((await fetch(`${running.baseUrl}${SANDBOX}/entityTypes`)).status).toBe(401)
    // With the sandbox off there is no sandbox connection: production never reaches the simulator.
    const response = await fetch(`${running.baseUrl}${SANDBOX}/entityTypes`, { headers: { authorization: `Bearer ${token}` } })
    expect(response.status).toBe(404)
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({ status: 'NOT_FOUND', message: expect.stringContaining('connections/sandbox not found') })
    expect(running.output()).toContain('Sandbox off')
    expect(await running.stop()).toBe(0)
  })
})
