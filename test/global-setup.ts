/**
 * vitest global setup: one real PostgreSQL server for the whole run (see test/helpers/postgres.ts), its URL
 * provided to the test files as `inject('postgres')`, stopped and deleted at the end. Without PostgreSQL binaries
 * the real-PostgreSQL suites are skipped with a banner — unless REQUIRE_POSTGRES=1 (CI), which fails the run.
 * Also a scratch directory for the run (`inject('runDir')`), deleted at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { skipBanner, startTestPostgres } from './helpers/postgres.js'

export default async function setup (project: TestProject): Promise<() => Promise<void>> {
  const runDir = mkdtempSync(join(tmpdir(), 'gateway-test-run-'))
  project.provide('runDir', runDir)
  const removeRunDir = (): void => { rmSync(runDir, { recursive: true, force: true }) }
  let started
  try {
    started = await startTestPostgres(process.env)
  } catch (error) {
    removeRunDir()
    throw error
  }
  const { server, skipReason } = started
  if (!server) {
    console.warn(skipBanner(skipReason ?? 'no PostgreSQL server'))
    project.provide('postgres', { url: null, skipReason: skipReason ?? 'no PostgreSQL server' })
    return async () => { removeRunDir() }
  }
  project.provide('postgres', { url: server.url, skipReason: null })
  return async () => {
    await server.stop()
    removeRunDir()
  }
}
