/**
 * Values the gateway generates once and keeps under its data directory, each in its own file readable only by
 * the gateway's user (mode 0600): the admin token, the page-token signing key, the sandbox's auth token.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

export async function ensureDataDir (dataDir: string): Promise<string> {
  const path = resolve(dataDir)
  await mkdir(path, { recursive: true, mode: 0o700 })
  return path
}

/** Reads `name` under `dataDir`, creating it with 32 random bytes (hex) on first use. Answers the value and its path. */
export async function generatedSecret (dataDir: string, name: string): Promise<{ value: string, path: string }> {
  const path = join(dataDir, name)
  try {
    const value = (await readFile(path, 'utf8')).trim()
    if (value) return { value, path }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const value = randomBytes(32).toString('hex')
  await writeFile(path, value + '\n', { mode: 0o600, flag: 'w' })
  await chmod(path, 0o600)
  return { value, path }
}
