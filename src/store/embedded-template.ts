/**
 * The embedded PostgreSQL's data directory as PGlite's initdb leaves it. initdb takes most of a first start (about
 * 5 s of the 9 s on a 2-core machine), so `npm run build` makes the directory once, into `dist/pgdata-template`, and
 * a gateway's first start copies it instead. A template made by another PGlite version is made again; without one
 * (running from the sources), the first start runs initdb as before.
 */
import { existsSync, readFileSync } from 'node:fs'
import { chmod, cp, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** `dist/pgdata-template` when running from `dist/src/store/`. */
export const EMBEDDED_TEMPLATE = fileURLToPath(new URL('../../pgdata-template', import.meta.url))
const VERSION_FILE = `${EMBEDDED_TEMPLATE}.version`

/** The installed PGlite's version, from its package.json (which its `exports` do not expose). */
function pgliteVersion (): string {
  for (let directory = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')); directory !== dirname(directory); directory = dirname(directory)) {
    const manifest = join(directory, 'package.json')
    if (!existsSync(manifest)) continue
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string, version: string }
    if (name === '@electric-sql/pglite') return version
  }
  throw new Error('cannot find the version of @electric-sql/pglite')
}

function templateIsCurrent (): boolean {
  return existsSync(EMBEDDED_TEMPLATE) && existsSync(VERSION_FILE) && readFileSync(VERSION_FILE, 'utf8') === pgliteVersion()
}

/**
 * Copies the template to `dataPath` (which must not exist yet), through a temporary sibling so that a copy cut short
 * never looks like a data directory; false when there is no current template.
 */
export async function copyEmbeddedTemplate (dataPath: string): Promise<boolean> {
  if (!templateIsCurrent()) return false
  const partial = `${dataPath}.partial`
  await rm(partial, { recursive: true, force: true })
  await cp(EMBEDDED_TEMPLATE, partial, { recursive: true })
  await chmod(partial, 0o700)
  await rename(partial, dataPath)
  return true
}

/**
 * Opens the template to every user: it is built by whoever builds (root, in the Docker image) and copied by whoever
 * runs the gateway. Each copy is a data directory of mode 0700.
 */
async function readableByAll (directory: string): Promise<void> {
  await chmod(directory, 0o755)
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    await chmod(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644)
  }
}

/** Makes the template unless a current one exists (`npm run build` runs this). */
export async function buildEmbeddedTemplate (): Promise<void> {
  if (templateIsCurrent()) return
  const { PGlite } = await import('@electric-sql/pglite')
  const building = await mkdtemp(join(dirname(EMBEDDED_TEMPLATE), 'pgdata-template-'))
  try {
    const db = await PGlite.create(join(building, 'pgdata'))
    await db.close()
    await readableByAll(join(building, 'pgdata'))
    await rm(EMBEDDED_TEMPLATE, { recursive: true, force: true })
    await rename(join(building, 'pgdata'), EMBEDDED_TEMPLATE)
    await writeFile(VERSION_FILE, pgliteVersion())
  } finally {
    await rm(building, { recursive: true, force: true })
  }
}
