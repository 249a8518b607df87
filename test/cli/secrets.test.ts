/**
 * The secrets CLI as users run it: a real child process (`node --import tsx src/cli/secrets.ts`, the same module
 * `npm run secrets` runs from dist/) with the value piped to its standard input and a temporary DATA_DIR, and a
 * `LocalSecretStore` in this process standing in for a running gateway.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openLocalSecretStore } from '../../src/secrets/local.js'
import { ROOT } from '../helpers/process.js'

const SECRET = 'projects/local/secrets/twilio-token'
const CLI = [process.execPath, '--import', 'tsx', 'src/cli/secrets.ts']

interface Result { code: number | null, stdout: string, stderr: string }

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function tempDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-cli-test-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function token (): string {
  return 'TOKEN-' + randomBytes(16).toString('hex')
}

/** Runs `command` with only PATH and `env` in its environment and `stdin` (if any) piped in. */
async function run (command: string[], env: Record<string, string>, stdin?: string | Buffer): Promise<Result> {
  const [file, ...args] = command
  const child = spawn(file!, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  child.stdin.end(stdin)
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (exitCode) => resolve(exitCode))
  })
  return { code, stdout, stderr }
}

function cli (args: string[], env: Record<string, string>, stdin?: string | Buffer): Promise<Result> {
  return run([...CLI, ...args], env, stdin)
}

/** `printf '%s' "$TOKEN" | <cli> add <secret>` through a real shell, exactly as the README shows it. */
function piped (printf: string, secret: string, env: Record<string, string>): Promise<Result> {
  return run(['/bin/sh', '-c', `${printf} | "$0" "$@"`, ...CLI, 'add', secret], env)
}

describe('secrets add', () => {
  it('prints only the new version\'s name, and a gateway store opened before it ran reads each value back', async () => {
    const dataDir = tempDir()
    const gateway = await openLocalSecretStore({}, dataDir) // the running gateway, before the CLI ever ran
    const first = token()
    const second = token()

    const one = await piped('printf \'%s\' "$TOKEN"', SECRET, { DATA_DIR: dataDir, TOKEN: first })
    expect(one).toEqual({ code: 0, stdout: `${SECRET}/versions/1\n`, stderr: '' })
    expect(await gateway.access(`${SECRET}/versions/latest`)).toBe(first)

    const two = await piped('printf \'%s\' "$TOKEN"', SECRET, { DATA_DIR: dataDir, TOKEN: second })
    expect(two).toEqual({ code: 0, stdout: `${SECRET}/versions/2\n`, stderr: '' })
    expect(await gateway.access(`${SECRET}/versions/1`)).toBe(first)
    expect(await gateway.access(`${SECRET}/versions/2`)).toBe(second)
    expect(await gateway.access(`${SECRET}/versions/latest`)).toBe(second)
    // The CLI used the gateway's key file; it did not make a key of its own.
    expect(readdirSync(dataDir).sort()).toEqual(['secrets', 'secrets.key'])
  })

  it('stores the bytes exactly as given: echo without -n keeps its newline, nothing else is added or stripped', async () => {
    const dataDir = tempDir()
    const value = token()
    const echoed = await piped('echo "$TOKEN"', SECRET, { DATA_DIR: dataDir, TOKEN: value })
    expect(echoed).toEqual({ code: 0, stdout: `${SECRET}/versions/1\n`, stderr: '' })
    const spaced = `  ${value}\t\r\n\n`
    expect(await cli(['add', SECRET], { DATA_DIR: dataDir }, spaced)).toEqual({ code: 0, stdout: `${SECRET}/versions/2\n`, stderr: '' })
    const store = await openLocalSecretStore({}, dataDir)
    expect(await store.access(`${SECRET}/versions/1`)).toBe(`${value}\n`)
    expect(await store.access(`${SECRET}/versions/2`)).toBe(spaced)
  })

  it('uses GATEWAY_SECRETS_KEY like the gateway, and refuses a key that does not match the store', async () => {
    const dataDir = tempDir()
    const key = randomBytes(32).toString('base64')
    const value = token()
    expect(await cli(['add', SECRET], { DATA_DIR: dataDir, GATEWAY_SECRETS_KEY: key }, value))
      .toEqual({ code: 0, stdout: `${SECRET}/versions/1\n`, stderr: '' })
    expect(readdirSync(dataDir)).toEqual(['secrets'])
    const gateway = await openLocalSecretStore({ GATEWAY_SECRETS_KEY: key }, dataDir)
    expect(await gateway.access(`${SECRET}/versions/1`)).toBe(value)

    // Forgetting GATEWAY_SECRETS_KEY in the CLI's shell must not write a version the gateway cannot read.
    const other = token()
    const forgot = await cli(['add', SECRET], { DATA_DIR: dataDir }, other)
    expect(forgot.code).not.toBe(0)
    expect(forgot.stdout).toBe('')
    expect(forgot.stderr).toMatch(/^secrets: The secrets key \(key file .*secrets\.key\) does not match the key the local secret store .* was created with/)
    expect(forgot.stderr).not.toContain(other)
    expect(await gateway.access(`${SECRET}/versions/latest`)).toBe(value)
  })

  it('gives distinct version numbers to several CLI processes adding at once', async () => {
    const dataDir = tempDir()
    await openLocalSecretStore({}, dataDir)
    const values = Array.from({ length: 5 }, token)
    const results = await Promise.all(values.map((value) => cli(['add', SECRET], { DATA_DIR: dataDir }, value)))
    const names = results.map((result) => {
      expect(result.code).toBe(0)
      return result.stdout.trim()
    })
    expect([...names].sort()).toEqual([1, 2, 3, 4, 5].map((n) => `${SECRET}/versions/${n}`))
    const store = await openLocalSecretStore({}, dataDir)
    for (const [i, name] of names.entries()) expect(await store.access(name)).toBe(values[i])
  })

  it.each([
    ['a malformed secret name', ['add', 'projects/local/twilio-token'], {}, /^secrets: projects\/local\/twilio-token is not a secret name \(projects\/\*\/secrets\/\*\)/],
    ['a version name instead of a secret', ['add', `${SECRET}/versions/1`], {}, /is not a secret name .*give the secret, not one of its versions/],
    ['a path in the name', ['add', 'projects/../secrets/x'], {}, /the project "\.\." must be lowercase letters/],
    ['a bad GATEWAY_SECRETS_KEY', ['add', SECRET], { GATEWAY_SECRETS_KEY: 'c2VjcmV0LWtleQ==' }, /^secrets: GATEWAY_SECRETS_KEY must be a 32-byte key given as base64/],
    ['no secret name', ['add'], {}, /add takes exactly one secret name/],
    ['an unknown command', ['list'], {}, /unknown command "list"/],
    ['an unknown option', ['add', '--value', 'x', SECRET], {}, /Unknown option '--value'/]
  ])('refuses %s with a non-zero exit, a message naming the problem, and the value nowhere', async (_, args, env, message) => {
    const dataDir = tempDir()
    const value = token()
    const result = await cli(args, { DATA_DIR: dataDir, ...env }, value)
    expect(result.code).not.toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toContain(value)
    expect(result.stderr).not.toContain('c2VjcmV0LWtleQ==')
    expect(readdirSync(dataDir)).toEqual([])
  })

  it('refuses an empty standard input', async () => {
    const dataDir = tempDir()
    const result = await cli(['add', SECRET], { DATA_DIR: dataDir }, '')
    expect(result).toMatchObject({ code: 1, stdout: '' })
    expect(result.stderr).toBe('secrets: the value on standard input is empty; pipe in the secret value\n')
    expect(readdirSync(dataDir)).toEqual([])
  })

  it('refuses input that is not UTF-8 text rather than store something else', async () => {
    const result = await cli(['add', SECRET], { DATA_DIR: tempDir() }, Buffer.from([0x74, 0x6f, 0xff, 0x6b]))
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'secrets: the value on standard input is not valid UTF-8 text\n' })
  })
})

describe('secrets --help', () => {
  it('prints the usage on stdout and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const result = await cli([flag], { DATA_DIR: tempDir() })
      expect(result.code).toBe(0)
      expect(result.stderr).toBe('')
      expect(result.stdout).toMatch(/^Usage: secrets add projects\/<project>\/secrets\/<secret>/)
      expect(result.stdout).toContain('printf \'%s\' "$TOKEN" | npm run --silent secrets -- add projects/local/secrets/twilio-token')
      expect(result.stdout).toContain('GATEWAY_SECRETS_KEY')
      expect(result.stdout).toContain('DATA_DIR')
    }
  })

  it('without a command, prints the usage on stderr and exits 2', async () => {
    const result = await cli([], { DATA_DIR: tempDir() })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^secrets: no command given\n\nUsage: /)
  })
})
