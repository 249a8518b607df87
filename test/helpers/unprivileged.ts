/**
 * Servers the tests start (PostgreSQL, squid) refuse to run as root, and CI runs as root: there they run as
 * `nobody`, in a directory `nobody` can reach.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export interface Account { uid: number, gid: number }

/** The account to run servers as: `nobody` (65534 on Debian) when the tests run as root, else the tests' own. */
export function serverAccount (): Account | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined
  const id = (flag: string): number => {
    const result = spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' })
    const value = Number(result.stdout.trim())
    return result.status === 0 && Number.isInteger(value) ? value : 65534
  }
  return { uid: id('-u'), gid: id('-g') }
}

/** Whether every directory from `/` to `path` lets others through (so `nobody` can reach what is below). */
function traversableByOthers (path: string): boolean {
  let current = path
  for (;;) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false
    } catch {
      return false
    }
    const parent = dirname(current)
    if (parent === current) return true
    current = parent
  }
}

/** A new temporary directory (mode 0700) under a parent `account` can reach: the temporary directory unless it is private. */
export function serverDirectory (prefix: string, account: Account | undefined): string {
  const parent = account && !traversableByOthers(tmpdir()) ? '/tmp' : tmpdir()
  return mkdtempSync(join(parent, prefix))
}
