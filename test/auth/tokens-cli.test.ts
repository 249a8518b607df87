/**
 * The tokens CLI as operators run it (`npm run --silent tokens -- …` runs `node dist/src/cli/tokens.js`), as a real
 * child process, next to a real gateway process (`dist/src/server.js`, embedded database, sandbox on, a temporary
 * DATA_DIR): `create` prints only the token and the running gateway honours it within a second; `list` never shows
 * a token; `revoke` by token or by id takes effect within a second; all of it also works while no gateway runs; bad
 * arguments exit 2 with the usage, an invalid scope exits non-zero with a message.
 *
 * Runs the built files, as test/server.test.ts does: `npm test` builds them first (`pretest`).
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { temporaryDataDir } from '../helpers/database.js'
import { freePort, ROOT, startProcess, type RunningGateway } from '../helpers/process.js'

const CLI = join(ROOT, 'dist/src/cli/tokens.js')
const SANDBOX = '/v2/projects/local/locations/local/connections/sandbox'
const RUNTIME_CALL = `${SANDBOX}/entityTypes/Messages/entities?pageSize=1`
const HONOURED_WITHIN_MS = 1000
const TOKEN_LINE = /^gw_[A-Za-z0-9_-]{43}\n$/

interface Result { code: number | null, stdout: string, stderr: string }

/** Runs the CLI with only PATH and `env` in its environment. */
async function tokensCli (args: string[], env: Record<string, string>): Promise<Result> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (exitCode) => resolve(exitCode))
  })
  return { code, stdout, stderr }
}

const tokenId = (token: string): string => `tok_${createHash('sha256').update(token).digest('hex').slice(0, 16)}`

async function statusWith (gateway: RunningGateway, token: string, path = RUNTIME_CALL): Promise<number> {
  const response = await fetch(`${gateway.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })
  await response.arrayBuffer()
  return response.status
}

/** Polls until the gateway answers `path` with `status` for `token`; answers the time it took, or fails after a second. */
async function answersWithin (gateway: RunningGateway, token: string, status: number, path = RUNTIME_CALL): Promise<number> {
  const started = Date.now()
  let last = 0
  for (;;) {
    last = await statusWith(gateway, token, path)
    if (last === status) return Date.now() - started
    if (Date.now() - started > HONOURED_WITHIN_MS) throw new Error(`${path} answered ${last}, not ${status}, for over ${HONOURED_WITHIN_MS} ms`)
    await sleep(25)
  }
}

function expectCreated (result: Result): string {
  expect(result, JSON.stringify(result)).toMatchObject({ code: 0, stderr: '' })
  expect(result.stdout).toMatch(TOKEN_LINE)
  return result.stdout.trim()
}

/** The `list` line of a token id: id, role, live|revoked, scopes (`*` for none), description. */
function listLine (list: Result, id: string): string[] | undefined {
  return list.stdout.split('\n').map((line) => line.split('\t')).find((fields) => fields[0] === id)
}

async function startGatewayOn (dataDir: string, adminToken: string): Promise<RunningGateway> {
  const port = await freePort()
  return startProcess(port, {
    env: { DATA_DIR: dataDir, PORT: String(port), SANDBOX_PORT: String(await freePort()), GATEWAY_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn' },
    readyWithinMs: 30_000
  })
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`)
})

describe('with a running gateway', () => {
  const adminToken = randomBytes(24).toString('hex')
  let data: Awaited<ReturnType<typeof temporaryDataDir>>
  let gateway: RunningGateway
  let env: Record<string, string>
  const printed: string[] = []

  beforeAll(async () => {
    data = await temporaryDataDir('tokens-cli-')
    env = { DATA_DIR: data.dataDir }
    gateway = await startGatewayOn(data.dataDir, adminToken)
  })
  afterAll(async () => {
    const code = await gateway?.stop()
    // No token the CLI printed ever appears in the gateway's output.
    for (const token of printed) expect(gateway.output()).not.toContain(token)
    expect(code).toBe(0)
    data?.remove()
  })

  it('create prints only the token (one gw_ line), which the gateway honours within a second, within its scope and role', async () => {
    const token = expectCreated(await tokensCli(['create', '--role', 'invoker', '--scope', 'projects/local/locations/*/connections/*', '--description', 'ci runner'], env))
    printed.push(token)
    const took = await answersWithin(gateway, token, 200)
    expect(took).toBeLessThanOrEqual(HONOURED_WITHIN_MS + 100)
    expect(await statusWith(gateway, token, `${SANDBOX}:checkStatus`)).toBe(200)
    // Its role: the v1 management API is refused; its scope: another project's connection is refused.
    expect(await statusWith(gateway, token, '/v1/projects/local/locations/local/connections')).toBe(403)
    expect(await statusWith(gateway, token, '/v2/projects/globex/locations/local/connections/sandbox/entityTypes')).toBe(403)
  })

  it('an admin token created with several scopes works on v1 within its scopes', async () => {
    const token = expectCreated(await tokensCli(['create', '--role', 'admin', '--scope', 'projects/local', '--scope', 'projects/acme/locations/us/connections/team-a'], env))
    printed.push(token)
    await answersWithin(gateway, token, 200, '/v1/projects/local/locations/local/connections')
    expect(await statusWith(gateway, token)).toBe(200)
    expect(await statusWith(gateway, token, '/v1/projects/globex/locations/local/connections')).toBe(403)
  })

  it('list shows each token\'s id, role, state and scopes, never the token or its digest', async () => {
    const token = expectCreated(await tokensCli(['create', '--role', 'invoker', '--scope', 'projects/acme/locations/*/connections/*', '--description', 'listed'], env))
    printed.push(token)
    const list = await tokensCli(['list'], env)
    expect(list.code).toBe(0)
    expect(list.stderr).toBe('')
    expect(listLine(list, tokenId(token))).toEqual([tokenId(token), 'invoker', 'live', 'projects/acme/locations/*/connections/*', 'listed'])
    for (const shown of printed) {
      expect(listLine(list, tokenId(shown)), `a line for ${tokenId(shown)}`).toBeDefined()
      expect(list.stdout).not.toContain(shown.slice(3))
      expect(list.stdout).not.toContain(createHash('sha256').update(shown).digest('hex'))
    }
  })

  it.each(['token', 'id'] as const)('revoke <%s> makes the token stop working within a second', async (by) => {
    const token = expectCreated(await tokensCli(['create', '--role', 'invoker'], env))
    printed.push(token)
    await answersWithin(gateway, token, 200)
    const revoked = await tokensCli(['revoke', by === 'token' ? token : tokenId(token)], env)
    expect(revoked).toEqual({ code: 0, stdout: `revoked ${tokenId(token)}\n`, stderr: '' })
    const took = await answersWithin(gateway, token, 401)
    expect(took).toBeLessThanOrEqual(HONOURED_WITHIN_MS + 100)
    expect(listLine(await tokensCli(['list'], env), tokenId(token))?.[2]).toBe('revoked')
    // Revoking again is harmless.
    expect((await tokensCli(['revoke', tokenId(token)], env)).code).toBe(0)
  })

  it('revoking a token that does not exist fails with a message', async () => {
    const result = await tokensCli(['revoke', `gw_${randomBytes(32).toString('base64url')}`], env)
    expect(result.code).not.toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^tokens: No token tok_[0-9a-f]{16}/)
  })

  it.each([
    ['a name that is not a project', 'acme'],
    ['a pattern with a partial wildcard', 'projects/acme*'],
    ['another collection', 'organizations/acme']
  ])('an invalid scope (%s) exits non-zero with a message and creates nothing', async (_what, scope) => {
    const before = (await tokensCli(['list'], env)).stdout
    const result = await tokensCli(['create', '--role', 'invoker', '--scope', scope], env)
    expect(result.code).not.toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(`Not a scope pattern: ${scope}`)
    expect((await tokensCli(['list'], env)).stdout).toBe(before)
  })
})

describe('without a running gateway', () => {
  const adminToken = randomBytes(24).toString('hex')
  let data: Awaited<ReturnType<typeof temporaryDataDir>>
  let gateway: RunningGateway | undefined

  beforeAll(async () => { data = await temporaryDataDir('tokens-cli-offline-') })
  afterAll(async () => {
    await gateway?.stop()
    data?.remove()
  })

  it('creates, lists and revokes tokens in the embedded database, and a gateway started afterwards honours them', async () => {
    const env = { DATA_DIR: data.dataDir }
    const kept = expectCreated(await tokensCli(['create', '--role', 'invoker', '--scope', 'projects/local'], env))
    const dropped = expectCreated(await tokensCli(['create', '--role', 'admin'], env))
    expect(await tokensCli(['revoke', dropped], env)).toMatchObject({ code: 0, stdout: `revoked ${tokenId(dropped)}\n` })
    const list = await tokensCli(['list'], env)
    expect(listLine(list, tokenId(kept))).toEqual([tokenId(kept), 'invoker', 'live', 'projects/local'])
    expect(listLine(list, tokenId(dropped))).toEqual([tokenId(dropped), 'admin', 'revoked', '*'])

    gateway = await startGatewayOn(data.dataDir, adminToken)
    expect(await statusWith(gateway, kept)).toBe(200)
    expect(await statusWith(gateway, dropped)).toBe(401)
    expect(await statusWith(gateway, dropped, '/v1/projects/local/locations/local/connections')).toBe(401)
    // And the CLI now goes through the running gateway's database.
    const later = expectCreated(await tokensCli(['create', '--role', 'invoker'], env))
    await answersWithin(gateway, later, 200)
    expect(await gateway.stop()).toBe(0)
    gateway = undefined
  }, 120_000) // each CLI run opens the embedded database itself (seconds each)
})

describe('bad arguments: exit code 2 with the usage, before touching any database', () => {
  const dataDir = join(tmpdir(), `tokens-cli-untouched-${randomBytes(6).toString('hex')}`)
  afterEach(() => { expect(existsSync(dataDir), 'the CLI created a data directory').toBe(false) })

  it.each([
    ['no command', [], undefined],
    ['an unknown command', ['frob'], 'unknown command frob'],
    ['create without a role', ['create'], 'create needs --role'],
    ['create with an unknown role', ['create', '--role', 'root'], 'create needs --role'],
    ['create with --role but no value', ['create', '--role'], undefined],
    ['an unknown option', ['create', '--role', 'invoker', '--bogus'], undefined],
    ['revoke without a token', ['revoke'], 'revoke needs exactly one token'],
    ['revoke with two tokens', ['revoke', 'gw_a', 'gw_b'], 'revoke needs exactly one token']
  ])('%s', async (_what, args, message) => {
    const result = await tokensCli(args as string[], { DATA_DIR: dataDir })
    expect(result.code, JSON.stringify(result)).toBe(2)
    const said = result.stdout + result.stderr
    expect(said).toContain('usage:')
    expect(said).toContain('tokens create --role admin|invoker')
    if (message) expect(result.stderr).toContain(message)
    expect(result.stdout).not.toMatch(/gw_[A-Za-z0-9_-]{43}/)
  })

  it('--help prints the usage and exits 0', async () => {
    const result = await tokensCli(['--help'], { DATA_DIR: dataDir })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('usage:')
  })
})
