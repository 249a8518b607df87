/**
 * What the benchmarks share: the sandbox and gateways in processes of their own (from the built `dist/`), a
 * connection made through the v1 API as Terraform makes it, and their clean-up. Everything stays on loopback.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { ROOT, freePort, startNode, type Running } from './processes.js'

export const ACCOUNT_SID = 'AC5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47'
export const AUTH_TOKEN = 'bench-sandbox-auth-token-0123456789abcdef'
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef0123456789'
export const OWNED_NUMBER = '+15005550006'
const SECRET = 'projects/bench/secrets/twilio-token'
const PARENT = 'projects/bench/locations/local'

const work = mkdtempSync(join(os.tmpdir(), 'gateway-bench-'))
const stops: Array<() => Promise<void>> = []

export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }

/** The sandbox, seeded with `messages` messages when given. */
export async function startSandbox (messages?: number): Promise<Running> {
  const port = await freePort()
  const sandbox = await startNode('dist/src/sandbox/server.js', {
    SANDBOX_PORT: String(port),
    SANDBOX_AUTH_TOKEN: AUTH_TOKEN,
    DATA_DIR: join(work, `sandbox-${port}`),
    ...(messages === undefined ? {} : { SANDBOX_MESSAGES: String(messages) })
  }, port, '/healthz', true)
  stops.push(() => sandbox.stop())
  return sandbox
}

/** A gateway reaching `upstream` as if it were Twilio, with the sandbox token in its local secret store. */
export async function startGateway (name: string, upstream: Running, tpsPerNode: number): Promise<Running> {
  const dataDir = join(work, name)
  mkdirSync(dataDir)
  execFileSync(process.execPath, ['dist/src/cli/secrets.js', 'add', SECRET], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, input: AUTH_TOKEN })
  const port = await freePort()
  const gateway = await startNode('dist/src/server.js', {
    PORT: String(port),
    DATA_DIR: dataDir,
    SANDBOX: 'off',
    TWILIO_API_BASE_URL: upstream.baseUrl,
    GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'info',
    THROTTLE_TPS_PER_NODE: String(tpsPerNode)
  }, port, '/readyz')
  stops.push(() => gateway.stop())
  return gateway
}

/** Creates a connection through the v1 API (as Terraform does) and waits until it is ACTIVE. */
export async function createConnection (gateway: Running, id: string, nodes: number): Promise<string> {
  const body = {
    connectorVersion: 'projects/bench/locations/global/providers/twilio/connectors/twilio/versions/1',
    authConfig: { authType: 'USER_PASSWORD', userPassword: { username: ACCOUNT_SID, password: { secretVersion: `${SECRET}/versions/1` } } },
    nodeConfig: { minNodeCount: nodes, maxNodeCount: nodes }
  }
  const created = await fetch(`${gateway.baseUrl}/v1/${PARENT}/connections?connectionId=${id}`, { method: 'POST', headers: adminHeaders, body: JSON.stringify(body) })
  if (!created.ok) throw new Error(`creating connection ${id}: ${created.status} ${await created.text()}`)
  for (let attempt = 0; attempt < 100; attempt++) {
    const connection = await (await fetch(`${gateway.baseUrl}/v1/${PARENT}/connections/${id}`, { headers: adminHeaders })).json() as { status?: { state?: string } }
    if (connection.status?.state === 'ACTIVE') return `/v2/${PARENT}/connections/${id}`
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`connection ${id} did not become ACTIVE`)
}


/** Runs a benchmark, then stops every process it started and deletes their data. */
export async function withFixture (main: () => Promise<void>): Promise<void> {
  try {
    await main()
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    rmSync(work, { recursive: true, force: true })
  }
}
