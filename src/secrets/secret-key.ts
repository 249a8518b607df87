/**
 * The key that encrypts the local secret store: `GATEWAY_SECRETS_KEY` when set, else the key file
 * `${DATA_DIR}/secrets.key`, created (32 random bytes, mode 0600) on first use and reused afterwards. The gateway
 * and the secrets CLI both call `resolveSecretsKey`, so they always agree on the key. The key is never logged,
 * printed or put in an error message.
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ConfigError } from '../config.js'

export const SECRETS_KEY_ENV = 'GATEWAY_SECRETS_KEY'
export const SECRETS_KEY_FILE = 'secrets.key'
export const SECRETS_KEY_BYTES = 32

export interface SecretsKey {
  /** 32 bytes, for AES-256-GCM. */
  key: Buffer
  /** Where the key came from, for messages: `GATEWAY_SECRETS_KEY` or `key file /abs/path/secrets.key`. */
  source: string
}

type Env = Record<string, string | undefined>

const HEX_KEY = /^[0-9a-fA-F]{64}$/
const BASE64_KEY = /^(?:[A-Za-z0-9+/]{43}|[A-Za-z0-9_-]{43})=?$/

/**
 * Decodes a 32-byte key given as 64 hex characters or as base64 (standard or URL-safe, padding optional).
 * Surrounding white space is ignored. `origin` names where the text came from; the text itself never appears in
 * the error.
 */
export function parseSecretsKey (text: string, origin: string): Buffer {
  const trimmed = text.trim()
  if (HEX_KEY.test(trimmed)) return Buffer.from(trimmed, 'hex')
  if (BASE64_KEY.test(trimmed)) {
    const key = Buffer.from(trimmed, 'base64')
    if (key.length === SECRETS_KEY_BYTES) return key
  }
  throw new ConfigError(
    `${origin} must be a ${SECRETS_KEY_BYTES}-byte key given as base64 (44 characters, e.g. \`openssl rand -base64 32\`) ` +
    `or as 64 hex characters (\`openssl rand -hex 32\`); the value given (${trimmed.length} characters) is neither`
  )
}

/** The key from `GATEWAY_SECRETS_KEY`, or else from `${dataDir}/secrets.key`, which is created on first use. */
export async function resolveSecretsKey (env: Env, dataDir: string): Promise<SecretsKey> {
  const fromEnv = env[SECRETS_KEY_ENV]
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { key: parseSecretsKey(fromEnv, SECRETS_KEY_ENV), source: SECRETS_KEY_ENV }
  }
  const path = join(resolve(dataDir), SECRETS_KEY_FILE)
  const source = `key file ${path}`
  const existing = await readKeyFile(path)
  if (existing !== undefined) return { key: parseSecretsKey(existing, `The ${source}`), source }
  await mkdir(resolve(dataDir), { recursive: true, mode: 0o700 })
  const created = await createKeyFile(path)
  // Another process (the gateway and the CLI starting together) may have created it first: use theirs.
  const text = created ?? await readKeyFile(path)
  if (text === undefined) throw new ConfigError(`The ${source} could not be created`)
  return { key: parseSecretsKey(text, `The ${source}`), source }
}

async function readKeyFile (path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Writes a new random key to a temporary file and links it into place, so the key file appears whole and only
 * once: if it already exists the link fails and the existing key wins. Answers the new file's text, or undefined
 * when another process created the file first.
 */
async function createKeyFile (path: string): Promise<string | undefined> {
  const text = randomBytes(SECRETS_KEY_BYTES).toString('hex') + '\n'
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const file = await open(temporary, 'wx', 0o600)
  try {
    await file.writeFile(text)
    await file.sync()
  } finally {
    await file.close()
  }
  try {
    await link(temporary, path)
    return text
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined
    throw error
  } finally {
    await unlink(temporary).catch(() => {})
  }
}
