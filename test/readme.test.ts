/**
 * The README's walk-through, run verbatim (block by block, in one shell) against a freshly started gateway with
 * its sandbox, so the documented commands and payloads keep working.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, ROOT, startProcess, type RunningGateway } from './helpers/process.js'

function walkthroughBlocks (): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.split('<!-- walkthrough:start -->')[1]?.split('<!-- walkthrough:end -->')[0]
  if (!section) throw new Error('README.md has no walkthrough markers')
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1]!)
}

describe('README walk-through', () => {
  let running: RunningGateway
  let dataDir: string
  let port: number

  beforeAll(async () => {
    for (const tool of ['curl', 'jq']) {
      if (spawnSync(tool, ['--version']).status !== 0) throw new Error(`the README walk-through needs ${tool}: install it (apt-get install ${tool})`)
    }
    dataDir = mkdtempSync(join(tmpdir(), 'gateway-readme-'))
    port = await freePort()
    running = await startProcess(port, {
      env: { DATA_DIR: dataDir, PORT: String(port), SANDBOX_PORT: String(await freePort()), LOG_LEVEL: 'warn' }
    })
  })
  afterAll(async () => {
    await running?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('runs every command of every block without an error, with the answers it promises', () => {
    const blocks = walkthroughBlocks()
    expect(blocks.length).toBeGreaterThanOrEqual(5)
    const output = execFileSync('bash', ['--norc', '--noprofile', '-euo', 'pipefail', '-c', blocks.join('\n')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: String(port) },
      encoding: 'utf8',
      timeout: 60_000
    })
    expect(output).toContain('"state":"ACTIVE"')
    expect(output).toContain('"Body":"Message is sent from Google Cloud"')
    expect(output).toContain('"Body":""')
    expect(output).toMatch(/"Sid":"FS[0-9a-f]{32}"/)
    expect(output).toContain('"Name":"name of IncomingPhoneNumber is getting updated"')
    expect(output).toContain('"Name":"Name Updated for 99025*****"')
    expect(output).toMatch(/"ValidationCode":"[0-9]{6}"/)
    expect(output).toContain('"Status":"paused"')
    expect(output).toContain('"Body":"Sent by the SendMessage action"')
    expect(output).toMatch(/\{"results":\[\{"Sid":"PN[0-9a-f]{32}","Released":true\}\]\}/)
    expect(output).not.toContain(readFileSync(join(dataDir, 'admin-token'), 'utf8').trim())
  }, 90_000)
})
