/**
 * `npm run bench:push-down`: what pushing conditions down to Twilio's list filters saves. The gateway and the sandbox
 * (10,000 messages over 90 days) run in processes of their own; each condition is listed to its end (pages of 100)
 * twice — as written, and rewritten so that nothing can be pushed down (`NOT (x < d)` for `x >= d`) while selecting
 * the same rows — counting the rows, the upstream requests (from the sandbox's request log) and the time. Writes
 * `bench/results/push-down.md`.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ACCOUNT_SID, AUTH_TOKEN, adminHeaders, createConnection, startGateway, startSandbox, withFixture } from './fixture.js'
import { ROOT, type Running } from './processes.js'

const MESSAGES = 10_000
const PAGE_SIZE = 100
const basic = { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` }

interface Walk { rows: number, pages: number, upstreamRequests: number, ms: number, status?: number }

async function upstreamRequests (sandbox: Running): Promise<number> {
  const log = await (await fetch(`${sandbox.baseUrl}/__sandbox/requests`, { headers: basic })).json() as { requests: unknown[] }
  await fetch(`${sandbox.baseUrl}/__sandbox/requests`, { method: 'DELETE', headers: basic })
  return log.requests.length
}

/** Lists the condition to its end; the sandbox's log (its last 500 requests) is read after each page. */
async function walk (gateway: Running, sandbox: Running, entities: string, conditions: string, sortBy?: string): Promise<Walk> {
  await upstreamRequests(sandbox)
  const started = performance.now()
  const result: Walk = { rows: 0, pages: 0, upstreamRequests: 0, ms: 0 }
  let token = ''
  do {
    const query = new URLSearchParams({ pageSize: String(PAGE_SIZE), conditions, ...(sortBy ? { sortBy } : {}), ...(token ? { pageToken: token } : {}) })
    const response = await fetch(`${gateway.baseUrl}${entities}?${query}`, { headers: adminHeaders })
    const body = await response.json() as { entities?: unknown[], nextPageToken?: string }
    result.upstreamRequests += await upstreamRequests(sandbox)
    if (!response.ok) return { ...result, status: response.status, ms: performance.now() - started }
    result.pages++
    result.rows += body.entities!.length
    token = body.nextPageToken ?? ''
  } while (token)
  return { ...result, ms: performance.now() - started }
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

async function main (): Promise<void> {
  const sandbox = await startSandbox(MESSAGES)
  const gateway = await startGateway('push-down', sandbox, 1_000_000)
  const entities = `${await createConnection(gateway, 'push-down', 2)}/entityTypes/Messages/entities`

  const newest = await (await fetch(`${sandbox.baseUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?PageSize=1000`, { headers: basic })).json() as
    { messages: Array<{ date_sent: string | null, to: string }> }
  const sent = newest.messages.map((message) => message.date_sent).filter((date): date is string => date !== null).map((date) => Date.parse(date))
  const d = day(sent[Math.floor(sent.length / 2)]!)
  const next = day(Date.parse(`${d}T00:00:00Z`) + 86_400_000)
  const to = newest.messages[0]!.to

  const cases: Array<{ name: string, pushed: string, unpushed: string, sortBy?: string }> = [
    { name: 'one day (exact bounds)', pushed: `DateSent >= '${d}' AND DateSent < '${next}'`, unpushed: `NOT (DateSent < '${d}') AND NOT (DateSent >= '${next}')` },
    { name: 'half a day (widened, refined)', pushed: `DateSent >= '${d}T12:00:00Z' AND DateSent < '${next}'`, unpushed: `NOT (DateSent < '${d}T12:00:00Z') AND NOT (DateSent >= '${next}')` },
    { name: 'one recipient', pushed: `To = '${to}'`, unpushed: `To LIKE '${to.replaceAll('%', '')}'` },
    { name: 'one day, sorted by Body', pushed: `DateSent >= '${d}' AND DateSent < '${next}'`, unpushed: `NOT (DateSent < '${d}') AND NOT (DateSent >= '${next}')`, sortBy: 'Body' }
  ]
  const results: Array<{ name: string, pushed: Walk, unpushed: Walk }> = []
  for (const { name, pushed, unpushed, sortBy } of cases) {
    await walk(gateway, sandbox, entities, pushed, sortBy) // warm-up
    results.push({ name, pushed: await walk(gateway, sandbox, entities, pushed, sortBy), unpushed: await walk(gateway, sandbox, entities, unpushed, sortBy) })
  }

  const cell = (walk: Walk): string => walk.status ? `answered ${walk.status}` : `${walk.rows} rows, ${walk.pages} pages, ${walk.upstreamRequests} requests, ${Math.round(walk.ms)} ms`
  const ratio = (pushed: Walk, unpushed: Walk): string => pushed.status || unpushed.status
    ? '—'
    : `${(unpushed.upstreamRequests / pushed.upstreamRequests).toFixed(1)}× fewer requests, ${(unpushed.ms / pushed.ms).toFixed(1)}× faster`
  const markdown = [
    `# Push-down: ${MESSAGES.toLocaleString('en')} sandbox messages over 90 days, walked in pages of ${PAGE_SIZE}`,
    '',
    `Run ${new Date().toISOString()}, Node ${process.version}. The same rows selected with a pushable condition and with one the gateway`,
    'must evaluate alone (rewritten with NOT or LIKE); requests are upstream requests to the sandbox.',
    '',
    '| condition | pushed down | evaluated by the gateway only | saving |',
    '|---|---|---|---|',
    ...results.map(({ name, pushed, unpushed }) => `| ${name} | ${cell(pushed)} | ${cell(unpushed)} | ${ratio(pushed, unpushed)} |`),
    ''
  ].join('\n')
  for (const { name, pushed, unpushed } of results) {
    if (!pushed.status && !unpushed.status && pushed.rows !== unpushed.rows) throw new Error(`${name}: ${pushed.rows} rows pushed down, ${unpushed.rows} not`)
  }
  const directory = join(ROOT, 'bench/results')
  mkdirSync(directory, { recursive: true })
  writeFileSync(join(directory, 'push-down.md'), markdown)
  console.log(markdown)
}

await withFixture(main)
