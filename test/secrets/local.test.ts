/**
 * The local secret store and its key, through the files they really write under a temporary DATA_DIR.
 */
import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config.js'
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../src/errors.js'
import { LocalSecretStore, openLocalSecretStore, SecretKeyMismatchError } from '../../src/secrets/local.js'
import { resolveSecretsKey } from '../../src/secrets/secret-key.js'

const TOKEN = 'AUTH-TOKEN-' + randomBytes(16).toString('hex')
const SECRET = 'projects/local/secrets/twilio-token'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function tempDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-test-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The error `promise` rejects with (failing the test if it resolves). */
async function failure (promise: Promise<unknown>): Promise<Error> {
  return promise.then(() => { throw new Error('expected a failure') }, (error: Error) => error)
}

function store (dataDir: string, key = randomBytes(32)): LocalSecretStore {
  return new LocalSecretStore({ dataDir, key, keySource: 'GATEWAY_SECRETS_KEY' })
}

/** Every file under `dir`, recursively. */
function filesUnder (dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

describe('LocalSecretStore', () => {
  it('gives back the value it stored, byte for byte, by version number and by latest', async () => {
    const secrets = store(tempDir())
    const value = `${TOKEN} with spaces, a tab\t, a trailing newline and ünïcödé ✓\n`
    const name = await secrets.addVersion(SECRET, value)
    expect(name).toBe(`${SECRET}/versions/1`)
    expect(await secrets.access(name)).toBe(value)
    expect(await secrets.access(`${SECRET}/versions/latest`)).toBe(value)
  })

  it('numbers versions 1, 2, 3 and latest follows the highest', async () => {
    const secrets = store(tempDir())
    for (const n of [1, 2, 3]) {
      expect(await secrets.addVersion(SECRET, `value-${n}`)).toBe(`${SECRET}/versions/${n}`)
      expect(await secrets.access(`${SECRET}/versions/latest`)).toBe(`value-${n}`)
    }
    expect(await secrets.access(`${SECRET}/versions/1`)).toBe('value-1')
    expect(await secrets.access(`${SECRET}/versions/2`)).toBe('value-2')
    // Each secret has its own numbering.
    expect(await secrets.addVersion('projects/local/secrets/other', 'x')).toBe('projects/local/secrets/other/versions/1')
    expect(await secrets.addVersion('projects/acme-prod/secrets/twilio-token', 'y')).toBe('projects/acme-prod/secrets/twilio-token/versions/1')
    expect(await secrets.access(`${SECRET}/versions/latest`)).toBe('value-3')
  })

  it('answers NOT_FOUND naming the version for a missing secret or version, without any value', async () => {
    const secrets = store(tempDir())
    await expect(secrets.access(`${SECRET}/versions/latest`)).rejects.toThrow(NotFoundError)
    await expect(secrets.access(`${SECRET}/versions/latest`)).rejects.toThrow(`Secret version ${SECRET}/versions/latest not found`)
    await secrets.addVersion(SECRET, TOKEN)
    const missing = secrets.access(`${SECRET}/versions/2`)
    await expect(missing).rejects.toThrow(NotFoundError)
    const error = await failure(missing)
    expect(error.message).toBe(`Secret version ${SECRET}/versions/2 not found`)
    await expect(secrets.access('projects/local/secrets/nope/versions/1')).rejects.toThrow('projects/local/secrets/nope/versions/1 not found')
  })

  it.each([
    'projects/local/secrets/twilio-token',
    'projects/local/secrets/twilio-token/versions/0',
    'projects/local/secrets/twilio-token/versions/01',
    'projects/local/secrets/twilio-token/versions/newest',
    'projects/local/secrets//versions/1',
    'projects/../secrets/twilio-token/versions/1',
    'projects/local/secrets/../versions/1',
    'projects/local/secrets/a.b/versions/1',
    'projects/Local/secrets/twilio-token/versions/1',
    'projects/local/secrets/twilio-token/versions/99999999999999999999',
    'secrets/twilio-token/versions/1'
  ])('refuses the malformed version name %s with INVALID_ARGUMENT', async (name) => {
    await expect(store(tempDir()).access(name)).rejects.toThrow(InvalidArgumentError)
  })

  it.each([
    'projects/local/secrets/twilio-token/versions/1',
    'projects/local/secrets/',
    'projects/local/secrets/../../etc',
    'projects/local/secrets/a%2Fb',
    'local/twilio-token'
  ])('refuses to add to the malformed secret name %s and writes nothing', async (name) => {
    const dataDir = tempDir()
    await expect(store(dataDir).addVersion(name, TOKEN)).rejects.toThrow(InvalidArgumentError)
    expect(readdirSync(dataDir)).toEqual([])
  })

  it('refuses an empty value', async () => {
    await expect(store(tempDir()).addVersion(SECRET, '')).rejects.toThrow(`The value for ${SECRET} is empty`)
  })

  it('writes each version to a 0600 file (directories 0700) that holds no plaintext', async () => {
    const dataDir = tempDir()
    const secrets = store(dataDir)
    await secrets.addVersion(SECRET, TOKEN)
    await secrets.addVersion(SECRET, TOKEN)
    const file = join(dataDir, 'secrets', 'local', 'twilio-token', '1.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(join(dataDir, 'secrets', 'local', 'twilio-token')).mode & 0o777).toBe(0o700)
    expect(statSync(join(dataDir, 'secrets')).mode & 0o777).toBe(0o700)
    const files = filesUnder(dataDir)
    expect(files.map((path) => path.slice(dataDir.length)).sort()).toEqual([
      '/secrets/key-check.json', '/secrets/local/twilio-token/1.json', '/secrets/local/twilio-token/2.json'
    ])
    for (const path of files) {
      expect(statSync(path).mode & 0o777).toBe(0o600)
      const bytes = readFileSync(path)
      expect(bytes.includes(TOKEN)).toBe(false)
      expect(bytes.includes(Buffer.from(TOKEN).toString('base64'))).toBe(false)
      expect(bytes.includes(Buffer.from(TOKEN).toString('hex'))).toBe(false)
    }
    // Same value twice, yet different ciphertexts (a fresh IV per version).
    const one = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
    const two = JSON.parse(readFileSync(join(dataDir, 'secrets', 'local', 'twilio-token', '2.json'), 'utf8')) as Record<string, string>
    expect(one).toMatchObject({ name: `${SECRET}/versions/1`, algorithm: 'AES-256-GCM' })
    expect(Buffer.from(one.iv!, 'base64')).toHaveLength(12)
    expect(Buffer.from(one.tag!, 'base64')).toHaveLength(16)
    expect(one.iv).not.toBe(two.iv)
    expect(one.ciphertext).not.toBe(two.ciphertext)
  })

  it('does not decrypt a version file copied to another version\'s or another secret\'s place', async () => {
    const dataDir = tempDir()
    const secrets = store(dataDir)
    await secrets.addVersion(SECRET, 'first')
    await secrets.addVersion(SECRET, 'second')
    await secrets.addVersion('projects/local/secrets/other', 'other')
    const versions = join(dataDir, 'secrets', 'local', 'twilio-token')
    copyFileSync(join(versions, '1.json'), join(versions, '2.json'))
    copyFileSync(join(versions, '1.json'), join(versions, '7.json'))
    copyFileSync(join(versions, '1.json'), join(dataDir, 'secrets', 'local', 'other', '1.json'))
    for (const name of [`${SECRET}/versions/2`, `${SECRET}/versions/7`, `${SECRET}/versions/latest`, 'projects/local/secrets/other/versions/1']) {
      await expect(secrets.access(name)).rejects.toThrow(SecretKeyMismatchError)
    }
    await expect(secrets.access(`${SECRET}/versions/2`)).rejects.toThrow(/versions\/2 cannot be decrypted/)
    expect(await secrets.access(`${SECRET}/versions/1`)).toBe('first')
  })

  it('does not decrypt a tampered file', async () => {
    const dataDir = tempDir()
    const secrets = store(dataDir)
    await secrets.addVersion(SECRET, TOKEN)
    const file = join(dataDir, 'secrets', 'local', 'twilio-token', '1.json')
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
    const ciphertext = Buffer.from(stored.ciphertext!, 'base64')
    ciphertext[0] = ciphertext[0]! ^ 1
    writeFileSync(file, JSON.stringify({ ...stored, ciphertext: ciphertext.toString('base64') }))
    await expect(secrets.access(`${SECRET}/versions/1`)).rejects.toThrow(SecretKeyMismatchError)
  })

  it('with the wrong key, fails with an error that says the key does not match and shows no content', async () => {
    const dataDir = tempDir()
    await store(dataDir).addVersion(SECRET, TOKEN)
    const wrong = store(dataDir)
    const error = await failure(wrong.access(`${SECRET}/versions/1`))
    expect(error).toBeInstanceOf(SecretKeyMismatchError)
    expect(error).toBeInstanceOf(FailedPreconditionError)
    expect(error.message).toMatch(/^Secret version projects\/local\/secrets\/twilio-token\/versions\/1 cannot be decrypted: the secrets key \(GATEWAY_SECRETS_KEY\) does not match/)
    expect(error.message).not.toContain(TOKEN)
    // …and refuses to add versions the right key could not read.
    await expect(wrong.addVersion(SECRET, 'more')).rejects.toThrow(/does not match the key the local secret store .* was created with/)
    await expect(wrong.verifyKey()).rejects.toThrow(SecretKeyMismatchError)
    expect(readdirSync(join(dataDir, 'secrets', 'local', 'twilio-token'))).toEqual(['1.json'])
  })

  it('lets two stores (two processes) add to one secret at once: distinct, consecutive versions, every value readable', async () => {
    const dataDir = tempDir()
    const key = randomBytes(32)
    const gateway = store(dataDir, key)
    const cli = store(dataDir, key)
    const values = Array.from({ length: 40 }, (_, i) => `value-${i}-${randomBytes(4).toString('hex')}`)
    const names = await Promise.all(values.map((value, i) => (i % 2 === 0 ? gateway : cli).addVersion(SECRET, value)))
    const numbers = names.map((name) => Number(/\/versions\/(\d+)$/.exec(name)![1]))
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    for (const [i, name] of names.entries()) {
      expect(await (i % 2 === 0 ? cli : gateway).access(name)).toBe(values[i])
    }
    expect(await gateway.access(`${SECRET}/versions/latest`)).toBe(values[numbers.indexOf(40)])
    // No temporary files left behind.
    expect(readdirSync(join(dataDir, 'secrets', 'local', 'twilio-token')).filter((entry) => !/^\d+\.json$/.test(entry))).toEqual([])
  })

  it('sees a version another store added after it was created (nothing cached)', async () => {
    const dataDir = tempDir()
    const key = randomBytes(32)
    const gateway = store(dataDir, key)
    await expect(gateway.access(`${SECRET}/versions/latest`)).rejects.toThrow(NotFoundError)
    await store(dataDir, key).addVersion(SECRET, 'one')
    expect(await gateway.access(`${SECRET}/versions/latest`)).toBe('one')
    await store(dataDir, key).addVersion(SECRET, 'two')
    expect(await gateway.access(`${SECRET}/versions/latest`)).toBe('two')
  })
})

describe('the secrets key', () => {
  it('comes from GATEWAY_SECRETS_KEY in base64 or in hex, and no key file is created', async () => {
    const dataDir = tempDir()
    const key = randomBytes(32)
    for (const text of [key.toString('base64'), key.toString('base64url'), key.toString('hex'), key.toString('hex').toUpperCase(), ` ${key.toString('hex')}\n`]) {
      const resolved = await resolveSecretsKey({ GATEWAY_SECRETS_KEY: text }, dataDir)
      expect(resolved.key.equals(key)).toBe(true)
      expect(resolved.source).toBe('GATEWAY_SECRETS_KEY')
    }
    expect(readdirSync(dataDir)).toEqual([])
    // A store opened with the base64 form reads what the hex form wrote.
    const fromHex = await openLocalSecretStore({ GATEWAY_SECRETS_KEY: key.toString('hex') }, dataDir)
    await fromHex.addVersion(SECRET, TOKEN)
    const fromBase64 = await openLocalSecretStore({ GATEWAY_SECRETS_KEY: key.toString('base64') }, dataDir)
    expect(await fromBase64.access(`${SECRET}/versions/1`)).toBe(TOKEN)
  })

  it.each([
    ['not a key'],
    [randomBytes(16).toString('base64')],
    [randomBytes(31).toString('hex')],
    [randomBytes(33).toString('base64')],
    [randomBytes(32).toString('hex').slice(0, 63) + 'g'],
    [randomBytes(32).toString('base64').replace(/.$/, '!')]
  ])('refuses GATEWAY_SECRETS_KEY=%s, naming the variable and not echoing the value', async (text) => {
    const dataDir = tempDir()
    const error = await failure(resolveSecretsKey({ GATEWAY_SECRETS_KEY: text }, dataDir))
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.message).toMatch(/^GATEWAY_SECRETS_KEY must be a 32-byte key given as base64 .* or as 64 hex characters/)
    expect(error.message).not.toContain(text)
    expect(readdirSync(dataDir)).toEqual([])
  })

  it('otherwise is created in DATA_DIR/secrets.key with mode 0600 on first use and reused afterwards', async () => {
    const dataDir = join(tempDir(), 'not-yet-there')
    const first = await resolveSecretsKey({}, dataDir)
    const file = join(dataDir, 'secrets.key')
    expect(first.source).toBe(`key file ${file}`)
    expect(first.key).toHaveLength(32)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).toBe(first.key.toString('hex') + '\n')
    const again = await resolveSecretsKey({ GATEWAY_SECRETS_KEY: '' }, dataDir)
    expect(again.key.equals(first.key)).toBe(true)
    // A store opened later reads what an earlier one wrote.
    await (await openLocalSecretStore({}, dataDir)).addVersion(SECRET, TOKEN)
    expect(await (await openLocalSecretStore({}, dataDir)).access(`${SECRET}/versions/latest`)).toBe(TOKEN)
  })

  it('is created once when several processes start together', async () => {
    const dataDir = tempDir()
    const keys = await Promise.all(Array.from({ length: 8 }, () => resolveSecretsKey({}, dataDir)))
    for (const { key } of keys) expect(key.equals(keys[0]!.key)).toBe(true)
    expect(readdirSync(dataDir)).toEqual(['secrets.key'])
  })

  it('refuses a damaged key file, naming it', async () => {
    const dataDir = tempDir()
    writeFileSync(join(dataDir, 'secrets.key'), 'garbage\n', { mode: 0o600 })
    await expect(resolveSecretsKey({}, dataDir)).rejects.toThrow(`The key file ${join(dataDir, 'secrets.key')} must be a 32-byte key`)
  })

  it('refuses to open the store with a key other than the one it was created with', async () => {
    const dataDir = tempDir()
    const original = randomBytes(32).toString('hex')
    await (await openLocalSecretStore({ GATEWAY_SECRETS_KEY: original }, dataDir)).addVersion(SECRET, TOKEN)
    // Restarted without GATEWAY_SECRETS_KEY: a key file appears, but it is not the store's key.
    const error = await failure(openLocalSecretStore({}, dataDir))
    expect(error).toBeInstanceOf(SecretKeyMismatchError)
    expect(error.message).toContain(`The secrets key (key file ${join(dataDir, 'secrets.key')}) does not match`)
    expect(await (await openLocalSecretStore({ GATEWAY_SECRETS_KEY: original }, dataDir)).access(`${SECRET}/versions/1`)).toBe(TOKEN)
  })
})
