/**
 * The local secret store: secret versions kept under DATA_DIR, encrypted at rest, addressed by Secret Manager's
 * names. One file per version:
 *
 *   ${DATA_DIR}/secrets/<project>/<secret>/<n>.json        mode 0600, directories 0700
 *   ${DATA_DIR}/secrets/key-check.json                     which key the store was created with (an HMAC, not the key)
 *
 * Each version file is JSON holding the value encrypted with AES-256-GCM (a random 96-bit IV per version, the
 * 128-bit tag stored), with the version's full name as additional authenticated data, so a file copied or renamed
 * to another version's place does not decrypt. Files are written to a temporary file and hard-linked into place:
 * the link is atomic and fails if the name is taken, so two processes adding at once never share a version
 * number and a reader never sees a half-written file. Nothing is cached: every access reads the disk, so a
 * version added by another process (the secrets CLI) is seen at once, and `latest` is always the highest number
 * on disk.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { link, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { FailedPreconditionError, GatewayError, InvalidArgumentError, NotFoundError } from '../errors.js'
import { parseSecretVersion, type SecretStore } from './secret-store.js'
import { resolveSecretsKey, SECRETS_KEY_BYTES } from './secret-key.js'

/** Secret Manager's limit on a version's payload. */
export const MAX_SECRET_BYTES = 64 * 1024

const SECRET_NAME = /^projects\/([^/]+)\/secrets\/([^/]+)$/
/** Project IDs and numbers: lowercase letters, digits and hyphens (no dots, so never `.` or `..`). */
const PROJECT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
/** Secret Manager's secret ID rule. */
const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/
const VERSION_FILE = /^([1-9][0-9]*)\.json$/
const FORMAT = 'twilio-connector-gateway/local-secret-version/v1'
const KEY_CHECK_FILE = 'key-check.json'
const KEY_CHECK_FORMAT = 'twilio-connector-gateway/local-secret-key-check/v1'
const MAX_ADD_ATTEMPTS = 1000

/** A version file that does not decrypt with this store's key: the wrong key, or a file that was altered or moved. */
export class SecretKeyMismatchError extends FailedPreconditionError {
  constructor (message: string) {
    super(message)
    this.name = 'SecretKeyMismatchError'
  }
}

interface VersionFile {
  format: string
  name: string
  createTime: string
  algorithm: 'AES-256-GCM'
  iv: string
  tag: string
  ciphertext: string
}

export interface LocalSecretStoreOptions {
  /** The gateway's data directory; versions live under `${dataDir}/secrets`. */
  dataDir: string
  /** 32 bytes (see `resolveSecretsKey`). */
  key: Buffer
  /** Where the key came from, named in errors (never the key): e.g. `GATEWAY_SECRETS_KEY`. */
  keySource?: string
}

export class LocalSecretStore implements SecretStore {
  readonly root: string
  readonly #key: Buffer
  readonly #keySource: string
  #keyChecked = false

  constructor (options: LocalSecretStoreOptions) {
    if (options.key.length !== SECRETS_KEY_BYTES) throw new Error(`The secrets key must be ${SECRETS_KEY_BYTES} bytes`)
    this.root = join(resolve(options.dataDir), 'secrets')
    this.#key = Buffer.from(options.key)
    this.#keySource = options.keySource ?? 'the configured key'
  }

  async access (versionName: string): Promise<string> {
    const { project, secret, version } = parseVersionName(versionName)
    const directory = join(this.root, project, secret)
    const number = version === 'latest' ? await latestVersion(directory) : Number(version)
    if (number === undefined) throw new NotFoundError(`Secret version ${versionName} not found`)
    let text: string
    try {
      text = await readFile(join(directory, `${number}.json`), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`Secret version ${versionName} not found`)
      throw error
    }
    const name = `projects/${project}/secrets/${secret}/versions/${number}`
    return this.#decrypt(name, text).toString('utf8')
  }

  /**
   * Adds a version to `secretName` (`projects/{p}/secrets/{s}`), creating the secret if needed, and answers the
   * new version's full name (`projects/{p}/secrets/{s}/versions/{n}`).
   */
  async addVersion (secretName: string, value: string): Promise<string> {
    const { project, secret } = parseSecretName(secretName)
    const plaintext = Buffer.from(value, 'utf8')
    if (plaintext.length === 0) throw new InvalidArgumentError(`The value for ${secretName} is empty`)
    if (plaintext.length > MAX_SECRET_BYTES) {
      throw new InvalidArgumentError(`The value for ${secretName} is ${plaintext.length} bytes; the limit is ${MAX_SECRET_BYTES}`)
    }
    await this.#checkKey(true)
    const directory = join(this.root, project, secret)
    await mkdir(directory, { recursive: true, mode: 0o700 })
    let number = ((await latestVersion(directory)) ?? 0) + 1
    for (let attempt = 0; attempt < MAX_ADD_ATTEMPTS; attempt++) {
      const name = `projects/${project}/secrets/${secret}/versions/${number}`
      const created = await createExclusive(join(directory, `${number}.json`), JSON.stringify(this.#encrypt(name, plaintext)) + '\n')
      if (created) return name
      // Another process took this number: try the next free one.
      number = Math.max(number, (await latestVersion(directory)) ?? 0) + 1
    }
    throw new GatewayError('ABORTED', `Could not allocate a version number for ${secretName}: too many concurrent additions`)
  }

  /**
   * Checks this store's key against the one the store was created with (recorded, as an HMAC, by the first
   * `addVersion`); does nothing for a store never written to. Refuses a different key with a
   * `SecretKeyMismatchError`, so a process started without the right key (say, the gateway restarted without
   * GATEWAY_SECRETS_KEY) fails at once instead of on every access. `addVersion` checks too, so the CLI cannot
   * write versions the gateway cannot read.
   */
  async verifyKey (): Promise<void> {
    await this.#checkKey(false)
  }

  /** With `create`, records this key as the store's key when none is recorded yet. */
  async #checkKey (create: boolean): Promise<void> {
    if (this.#keyChecked) return
    const path = join(this.root, KEY_CHECK_FILE)
    const mine = createHmac('sha256', this.#key).update(KEY_CHECK_FORMAT).digest()
    let text = await readIfExists(path)
    if (text === undefined) {
      if (!create) return
      await mkdir(this.root, { recursive: true, mode: 0o700 })
      const record = JSON.stringify({ format: KEY_CHECK_FORMAT, hmacSha256: mine.toString('base64') }) + '\n'
      if (await createExclusive(path, record)) {
        this.#keyChecked = true
        return
      }
      text = await readIfExists(path)
    }
    let recorded: Buffer | undefined
    try {
      const parsed = JSON.parse(text ?? '') as { format?: unknown, hmacSha256?: unknown }
      if (parsed.format === KEY_CHECK_FORMAT && typeof parsed.hmacSha256 === 'string') recorded = Buffer.from(parsed.hmacSha256, 'base64')
    } catch {}
    if (recorded === undefined || recorded.length !== mine.length) {
      throw new GatewayError('DATA_LOSS', `The local secret store's key record ${path} is damaged; restore it, or remove it to record the current key`)
    }
    if (!timingSafeEqual(recorded, mine)) {
      throw new SecretKeyMismatchError(
        `The secrets key (${this.#keySource}) does not match the key the local secret store under ${this.root} was created with; ` +
        'use the original key (GATEWAY_SECRETS_KEY, or the key file secrets.key in DATA_DIR)'
      )
    }
    this.#keyChecked = true
  }

  #encrypt (name: string, plaintext: Buffer): VersionFile {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: 16 })
    cipher.setAAD(Buffer.from(name, 'utf8'))
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
    return {
      format: FORMAT,
      name,
      createTime: new Date().toISOString(),
      algorithm: 'AES-256-GCM',
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64')
    }
  }

  /** Decrypts a version file read from `name`'s place. The name, not the file's own `name` field, is the AAD. */
  #decrypt (name: string, text: string): Buffer {
    let file: Partial<VersionFile>
    try {
      file = JSON.parse(text) as Partial<VersionFile>
    } catch {
      file = {}
    }
    if (file.format !== FORMAT || file.algorithm !== 'AES-256-GCM' || typeof file.iv !== 'string' ||
      typeof file.tag !== 'string' || typeof file.ciphertext !== 'string') {
      throw new GatewayError('DATA_LOSS', `Secret version ${name} cannot be read: its file is not a local secret version file`)
    }
    const iv = Buffer.from(file.iv, 'base64')
    const tag = Buffer.from(file.tag, 'base64')
    try {
      if (iv.length !== 12 || tag.length !== 16) throw new Error('bad lengths')
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: 16 })
      decipher.setAAD(Buffer.from(name, 'utf8'))
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(Buffer.from(file.ciphertext, 'base64')), decipher.final()])
    } catch {
      throw new SecretKeyMismatchError(
        `Secret version ${name} cannot be decrypted: the secrets key (${this.#keySource}) does not match the key it was ` +
        'encrypted with, or its file was altered or moved from another version'
      )
    }
  }
}

/**
 * The gateway's and the CLI's local store: the key by `resolveSecretsKey(env, dataDir)`, checked against the key
 * the store was created with (if it has been used).
 */
export async function openLocalSecretStore (env: Record<string, string | undefined>, dataDir: string): Promise<LocalSecretStore> {
  const { key, source } = await resolveSecretsKey(env, dataDir)
  const store = new LocalSecretStore({ dataDir, key, keySource: source })
  await store.verifyKey()
  return store
}

/** `projects/{p}/secrets/{s}` → its parts, or InvalidArgumentError. */
export function parseSecretName (secretName: string): { project: string, secret: string } {
  const match = SECRET_NAME.exec(secretName)
  if (!match) {
    const hint = parseVersionNameOrUndefined(secretName) ? ' (give the secret, not one of its versions)' : ''
    throw new InvalidArgumentError(`${secretName} is not a secret name (projects/*/secrets/*)${hint}`)
  }
  return checkIds(secretName, match[1]!, match[2]!)
}

function parseVersionName (versionName: string): { project: string, secret: string, version: string } {
  const { secret: secretName, version } = parseSecretVersion(versionName)
  const number = Number(version)
  if (version !== 'latest' && !Number.isSafeInteger(number)) {
    throw new InvalidArgumentError(`${versionName} is not a secret version name: the version number is too large`)
  }
  const match = SECRET_NAME.exec(secretName)!
  return { ...checkIds(versionName, match[1]!, match[2]!), version }
}

function parseVersionNameOrUndefined (name: string): unknown {
  try {
    return parseSecretVersion(name)
  } catch {
    return undefined
  }
}

function checkIds (name: string, project: string, secret: string): { project: string, secret: string } {
  if (!PROJECT_ID.test(project)) {
    throw new InvalidArgumentError(`${name}: the project "${project}" must be lowercase letters, digits and hyphens (at most 63)`)
  }
  if (!SECRET_ID.test(secret)) {
    throw new InvalidArgumentError(`${name}: the secret ID "${secret}" must be letters, digits, hyphens and underscores (at most 255)`)
  }
  return { project, secret }
}

/** The highest version number in `directory`, or undefined when it has none (or does not exist). */
async function latestVersion (directory: string): Promise<number | undefined> {
  let entries: string[]
  try {
    entries = await readdir(directory)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw error
  }
  let latest: number | undefined
  for (const entry of entries) {
    const match = VERSION_FILE.exec(entry)
    if (!match) continue
    const number = Number(match[1])
    if (Number.isSafeInteger(number) && (latest === undefined || number > latest)) latest = number
  }
  return latest
}

async function readIfExists (path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Writes `text` to `path` (mode 0600) whole and only if `path` does not exist yet: a temporary file, flushed, then
 * hard-linked into place (atomic, and refused if the name is taken). Answers false when the name was taken.
 */
async function createExclusive (path: string, text: string): Promise<boolean> {
  const temporary = join(dirname(path), `.${randomBytes(8).toString('hex')}.tmp`)
  const file = await open(temporary, 'wx', 0o600)
  try {
    await file.writeFile(text)
    await file.sync()
  } finally {
    await file.close()
  }
  try {
    await link(temporary, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    await unlink(temporary).catch(() => {})
  }
  await syncDirectory(dirname(path))
  return true
}

/** Makes a new directory entry durable; best effort (some platforms cannot open a directory). */
async function syncDirectory (directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {}
}
