/**
 * `npm run bench`: the gateway against the Twilio sandbox, side by side in one run, on loopback. Each runs in a
 * process of its own, from the built `dist/`, logging at the production level (info). Writes
 * `bench/results/latest.md` and `bench/results/latest.json`.
 *
 * Measured:
 * 1. pass-through (throttle raised, so the gateway is measured, not the policy): Get, List and Create as the
 *    Twilio SDK sends them straight to the sandbox (with its default HTTP stack and with the gateway's undici
 *    transport behind its `httpClient` option), as plain HTTP to the sandbox, and through the gateway;
 * 2. added latency at 500 requests/s: the same request rate to the sandbox and through the gateway;
 * 3. the throttle's reject path (25 per node, 2 nodes) and its accuracy (4× the limit for 10 s);
 * 4. a List walked to the end over 100,000 sandbox messages: time and the gateway's peak memory.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import pino from 'pino'
import twilio from 'twilio'
import type RequestClient from 'twilio/lib/base/RequestClient.js'
import { AccountConcurrency } from '../src/twilio/concurrency.js'
import { RetryPolicy } from '../src/twilio/retry.js'
import { UpstreamTransport } from '../src/twilio/transport.js'
import { closedLoop, openLoop, requester, type LoadResult, type Target } from './load.js'
import { ACCOUNT_SID, AUTH_TOKEN, OWNED_NUMBER, adminHeaders, createConnection, startGateway, startSandbox, withFixture } from './fixture.js'
import { ROOT, cpuMs, machineCpu, rssMb, rssSampler, type Running } from './processes.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONCURRENCY = 16
const LATENCY_RATE = 500

function machine (): { cpu: string, cores: number, memoryGiB: number, os: string, node: string } {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version
  }
}

interface Operation { name: 'Get' | 'List' | 'Create', sandbox: Target, gateway: Target }

function operations (sandbox: Running, gateway: Running, connection: string, sid: string): Operation[] {
  const basic = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`
  const messages = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages`
  const entities = `${connection}/entityTypes/Messages/entities`
  const form = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }
  return [
    { name: 'Get', sandbox: { origin: sandbox.baseUrl, path: `${messages}/${sid}.json`, headers: { authorization: basic } }, gateway: { origin: gateway.baseUrl, path: `${entities}/${sid}`, headers: adminHeaders } },
    { name: 'List', sandbox: { origin: sandbox.baseUrl, path: `${messages}.json?PageSize=25`, headers: { authorization: basic } }, gateway: { origin: gateway.baseUrl, path: `${entities}?pageSize=25`, headers: adminHeaders } },
    {
      name: 'Create',
      sandbox: { origin: sandbox.baseUrl, path: `${messages}.json`, method: 'POST', headers: form, body: new URLSearchParams({ To: '+14155550100', From: OWNED_NUMBER, Body: 'bench' }).toString() },
      gateway: { origin: gateway.baseUrl, path: entities, method: 'POST', headers: adminHeaders, body: JSON.stringify({ fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'bench' } }) }
    }
  ]
}

interface Throughput { perSecond: number, p50Ms: number, p99Ms: number, non2xx: number, errors: number }

/** autocannon's closed loop: CONCURRENCY connections, each sending as soon as the previous answer arrives. */
async function cannon (target: Target, seconds = SECONDS, connections = CONCURRENCY): Promise<Throughput & { statuses: Record<string, number> }> {
  const result = await autocannon({
    url: `${target.origin}${target.path}`,
    method: target.method ?? 'GET',
    headers: target.headers,
    body: target.body,
    connections,
    duration: seconds
  })
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, stats]) => [status, stats.count ?? 0]))
  const answered = Object.values(statuses).reduce((sum, count) => sum + count, 0)
  return { perSecond: answered / result.duration, p50Ms: result.latency.p50, p99Ms: result.latency.p99, non2xx: result.non2xx, errors: result.errors, statuses }
}

function fromLoad (result: LoadResult): Throughput {
  const ok = Object.entries(result.statuses).filter(([status]) => /^2/.test(status)).reduce((sum, [, count]) => sum + count, 0)
  return { perSecond: result.perSecond, p50Ms: result.p50Ms, p99Ms: result.p99Ms, non2xx: result.requests - ok, errors: 0 }
}

/** The Twilio SDK pointed at the sandbox: its own HTTP stack (axios), or the gateway's undici transport. */
function sdkClients (sandbox: Running): Record<'sdkDefault' | 'sdkUndici', ReturnType<typeof twilio>> {
  class SandboxRequestClient extends twilio.RequestClient {
    override request<TData> (options: RequestClient.RequestOptions<TData>) {
      return super.request({ ...options, uri: options.uri.replace(/^https:\/\/[^/]+/, sandbox.baseUrl) })
    }
  }
  const transport = new UpstreamTransport({
    baseUrl: sandbox.baseUrl,
    timeoutMs: 30_000,
    log: pino({ level: 'silent' }),
    connection: 'bench',
    accountSid: ACCOUNT_SID,
    concurrency: new AccountConcurrency(CONCURRENCY * 2),
    retry: new RetryPolicy()
  })
  return {
    sdkDefault: twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: new SandboxRequestClient({ keepAlive: true }) }),
    sdkUndici: twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: transport as unknown as twilio.RequestClient })
  }
}

function sdkCall (client: ReturnType<typeof twilio>, operation: Operation['name'], sid: string): () => Promise<number> {
  switch (operation) {
    case 'Get': return async () => { await client.messages(sid).fetch(); return 200 }
    case 'List': return async () => { await client.messages.page({ pageSize: 25 }); return 200 }
    case 'Create': return async () => { await client.messages.create({ to: '+14155550100', from: OWNED_NUMBER, body: 'bench' }); return 201 }
  }
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits))

/** CPU time (all threads) the gateway and the sandbox spent per call through the gateway, in µs. */
type CpuPerCall = Record<string, { gatewayUsPerCall: number, sandboxUsPerCall: number }>

async function passThrough (sandbox: Running, gateway: Running, connection: string, sid: string, cpu: CpuPerCall): Promise<Record<string, Record<string, Throughput>>> {
  const sdk = sdkClients(sandbox)
  const results: Record<string, Record<string, Throughput>> = {}
  for (const operation of operations(sandbox, gateway, connection, sid)) {
    console.error(`pass-through ${operation.name}…`)
    const row: Record<string, Throughput> = {}
    for (const [label, client] of Object.entries(sdk)) {
      await closedLoop(sdkCall(client, operation.name, sid), CONCURRENCY, 1)
      row[label] = fromLoad(await closedLoop(sdkCall(client, operation.name, sid), CONCURRENCY, SECONDS))
    }
    row.httpToSandbox = await cannon(operation.sandbox)
    const cpuBefore = [cpuMs(gateway.child.pid!), cpuMs(sandbox.child.pid!)] as const
    row.gateway = await cannon(operation.gateway)
    const answered = row.gateway.perSecond * SECONDS
    cpu[operation.name] = {
      gatewayUsPerCall: Math.round((cpuMs(gateway.child.pid!) - cpuBefore[0]) * 1000 / answered),
      sandboxUsPerCall: Math.round((cpuMs(sandbox.child.pid!) - cpuBefore[1]) * 1000 / answered)
    }
    results[operation.name] = row
  }
  return results
}

interface AddedLatency { sandbox: LoadResult, gateway: LoadResult, addedP50Ms: number, addedP99Ms: number }

async function addedLatency (sandbox: Running, gateway: Running, connection: string, sid: string): Promise<Record<string, AddedLatency>> {
  const results: Record<string, AddedLatency> = {}
  for (const operation of operations(sandbox, gateway, connection, sid)) {
    console.error(`latency at ${LATENCY_RATE}/s ${operation.name}…`)
    const measured: Record<'sandbox' | 'gateway', LoadResult> = {} as never
    for (const side of ['sandbox', 'gateway'] as const) {
      const client = requester(operation[side], 64)
      await openLoop(client.send, LATENCY_RATE, 3)
      measured[side] = await openLoop(client.send, LATENCY_RATE, SECONDS)
      await client.close()
    }
    results[operation.name] = {
      ...measured,
      addedP50Ms: measured.gateway.p50Ms - measured.sandbox.p50Ms,
      addedP99Ms: measured.gateway.p99Ms - measured.sandbox.p99Ms
    }
  }
  return results
}

async function throttle (sandbox: Running, sid: string): Promise<{ reject: Throughput & { statuses: Record<string, number>, gatewayUsPerCall: number }, accuracy: Record<string, number> }> {
  const gateway = await startGateway('throttled', sandbox, 25)
  const rejecting = await createConnection(gateway, 'flooded', 2)
  console.error('reject path…')
  const target = { origin: gateway.baseUrl, path: `${rejecting}/entityTypes/Messages/entities/${sid}`, headers: adminHeaders }
  await cannon(target, 2, 64)
  const cpuBefore = cpuMs(gateway.child.pid!)
  const reject = await cannon(target, SECONDS, 64)
  reject.perSecond = (reject.statuses['429'] ?? 0) / SECONDS
  const rejectCpuUs = Math.round((cpuMs(gateway.child.pid!) - cpuBefore) * 1000 / (reject.perSecond * SECONDS))

  console.error('throttle accuracy…')
  const measured = await createConnection(gateway, 'measured', 2)
  const limit = 25 * 2
  const client = requester({ origin: gateway.baseUrl, path: `${measured}/entityTypes/Messages/entities/${sid}`, headers: adminHeaders }, 64)
  const offered = await openLoop(client.send, 4 * limit, SECONDS)
  await client.close()
  const admitted = offered.statuses['200'] ?? 0
  // The bucket starts full (one second's worth) and refills at the limit while requests arrive.
  const expected = limit + limit * offered.seconds
  await gateway.stop()
  return {
    reject: { ...reject, gatewayUsPerCall: rejectCpuUs },
    accuracy: { limitPerSecond: limit, offered: offered.requests, seconds: round(offered.seconds, 3), admitted, rejected: offered.statuses['429'] ?? 0, expected: round(expected, 1), errorPercent: round((admitted - expected) / expected * 100) }
  }
}

async function walk (): Promise<Record<string, number>> {
  console.error('100,000-row walk…')
  const sandbox = await startSandbox(100_000)
  const gateway = await startGateway('walk', sandbox, 1_000_000)
  const connection = await createConnection(gateway, 'walk', 2)
  const list = `${gateway.baseUrl}${connection}/entityTypes/Messages/entities?pageSize=200`
  await fetch(list, { headers: adminHeaders }).then((response) => response.arrayBuffer())
  const rssBefore = rssMb(gateway.child.pid!)
  const sampler = rssSampler(gateway.child.pid!)
  const started = performance.now()
  let rows = 0
  let pages = 0
  let token = ''
  do {
    const response = await fetch(token ? `${list}&pageToken=${encodeURIComponent(token)}` : list, { headers: adminHeaders })
    if (!response.ok) throw new Error(`walk page ${pages + 1}: ${response.status} ${await response.text()}`)
    const page = await response.json() as { entities: unknown[], nextPageToken?: string }
    rows += page.entities.length
    pages++
    token = page.nextPageToken ?? ''
  } while (token)
  const seconds = (performance.now() - started) / 1000
  const peak = sampler.stop()
  await gateway.stop()
  await sandbox.stop()
  return { rows, pages, seconds: round(seconds), rowsPerSecond: Math.round(rows / seconds), rssBeforeMb: round(rssBefore, 1), rssPeakMb: round(peak, 1), rssGrowthMb: round(peak - rssBefore, 1) }
}

function table (header: string[], rows: Array<Array<string | number>>): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n')
}

const ms = (value: number): string => value.toFixed(2)
const rate = (value: number): string => Math.round(value).toLocaleString('en-US')

async function main (): Promise<void> {
  const startedAt = new Date().toISOString()
  const cpuAtStart = machineCpu()
  const sandbox = await startSandbox()
  const gateway = await startGateway('pass-through', sandbox, 1_000_000)
  const connection = await createConnection(gateway, 'bench', 2)
  const firstPage = await (await fetch(`${sandbox.baseUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?PageSize=1`, {
    headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` }
  })).json() as { messages: Array<{ sid: string }> }
  const sid = firstPage.messages[0]!.sid

  // A fresh process is slow for its first seconds (JIT compilation, the embedded database settling): warm every
  // operation up first, so the figures are those of steady service.
  console.error('warm-up…')
  for (const operation of operations(sandbox, gateway, connection, sid)) await cannon(operation.gateway, 5)
  const cpu: CpuPerCall = {}
  const throughput = await passThrough(sandbox, gateway, connection, sid, cpu)
  const latency = await addedLatency(sandbox, gateway, connection, sid)
  await gateway.stop()
  const { reject, accuracy } = await throttle(sandbox, sid)
  await sandbox.stop()
  const walked = await walk()
  const cpuAtEnd = machineCpu()
  const stolenPercent = round((cpuAtEnd.steal - cpuAtStart.steal) / (cpuAtEnd.total - cpuAtStart.total) * 100, 1)

  const worstAddedP50 = Math.max(...Object.values(latency).map((row) => row.addedP50Ms))
  const worstAddedP99 = Math.max(...Object.values(latency).map((row) => row.addedP99Ms))
  const slowestGateway = Math.min(...Object.values(throughput).map((row) => row.gateway!.perSecond))
  const targets = [
    { target: `added latency p50 ≤ 1 ms at ${LATENCY_RATE}/s (worst operation)`, measured: `${ms(worstAddedP50)} ms`, met: worstAddedP50 <= 1 },
    { target: `added latency p99 ≤ 3 ms at ${LATENCY_RATE}/s (worst operation)`, measured: `${ms(worstAddedP99)} ms`, met: worstAddedP99 <= 3 },
    { target: '≥ 3,000 pass-through operations/s on one process (slowest operation)', measured: `${rate(slowestGateway)}/s`, met: slowestGateway >= 3000 },
    { target: '≥ 20,000 rejected requests/s', measured: `${rate(reject.perSecond)}/s`, met: reject.perSecond >= 20_000 },
    { target: 'admitted within ±2% of expected', measured: `${accuracy.errorPercent}%`, met: Math.abs(accuracy.errorPercent!) <= 2 },
    { target: '100,000-row walk: gateway RSS growth < 50 MB', measured: `${walked.rssGrowthMb} MB`, met: walked.rssGrowthMb! < 50 }
  ]
  const report = { startedAt, machine: { ...machine(), cpuStolenByHypervisorPercent: stolenPercent }, settings: { seconds: SECONDS, concurrency: CONCURRENCY, latencyRate: LATENCY_RATE, logLevel: 'info' }, targets, latency, throughput, cpu, reject, accuracy, walk: walked }

  const markdown = [
    '# Benchmark report',
    '',
    `Run ${startedAt} on ${report.machine.cpu} (${report.machine.cores} cores, ${report.machine.memoryGiB} GiB), ${report.machine.os}, Node ${report.machine.node}. ` +
      'Gateway, sandbox and load generator share the machine, each in its own process, on loopback; the gateway logs at info. ' +
      `The hypervisor took ${stolenPercent}% of the machine's CPU time during the run.`,
    '',
    '## Targets',
    '',
    table(['target', 'measured', 'met'], targets.map((row) => [row.target, row.measured, row.met ? 'yes' : 'no'])),
    '',
    `## Added latency at ${LATENCY_RATE} requests/s (open loop, ${SECONDS} s, plain HTTP client)`,
    '',
    table(['operation', 'sandbox p50', 'sandbox p99', 'gateway p50', 'gateway p99', 'added p50', 'added p99'],
      Object.entries(latency).map(([name, row]) => [name, ms(row.sandbox.p50Ms), ms(row.sandbox.p99Ms), ms(row.gateway.p50Ms), ms(row.gateway.p99Ms), ms(row.addedP50Ms), ms(row.addedP99Ms)])),
    '',
    `## Pass-through throughput (closed loop, ${CONCURRENCY} in flight, ${SECONDS} s; throttle raised)`,
    '',
    'Operations/s, p50 / p99 in ms. "SDK" rows call the sandbox directly with the `twilio` SDK: with its own HTTP stack, and with the gateway\'s undici transport behind its `httpClient` option.',
    '',
    table(['operation', 'SDK (default HTTP) → sandbox', 'SDK (undici transport) → sandbox', 'HTTP → sandbox', 'HTTP → gateway → sandbox'],
      Object.entries(throughput).map(([name, row]) => [name, ...(['sdkDefault', 'sdkUndici', 'httpToSandbox', 'gateway'] as const).map((key) => `${rate(row[key]!.perSecond)}/s (${ms(row[key]!.p50Ms)} / ${ms(row[key]!.p99Ms)})`)])),
    '',
    'CPU time per call through the gateway (all threads of each process, during the gateway runs above):',
    '',
    table(['operation', 'gateway µs/call', 'sandbox µs/call'], Object.entries(cpu).map(([name, row]) => [name, row.gatewayUsPerCall, row.sandboxUsPerCall])),
    '',
    '## Throttle',
    '',
    `Reject path (25 per node × 2 nodes, 64 connections flooding one connection): ${rate(reject.perSecond)} rejections/s, p50 ${ms(reject.p50Ms)} ms, p99 ${ms(reject.p99Ms)} ms (statuses ${JSON.stringify(reject.statuses)}); the gateway spent ${reject.gatewayUsPerCall} µs of CPU per rejection.`,
    '',
    `Accuracy (4× the limit, open loop, ${accuracy.seconds} s): offered ${accuracy.offered}, admitted ${accuracy.admitted}, expected ${accuracy.expected} (one second's burst + ${accuracy.limitPerSecond}/s × elapsed), error ${accuracy.errorPercent}%.`,
    '',
    '## 100,000-row List walk (pageSize 200)',
    '',
    `${walked.rows} rows in ${walked.pages} pages, ${walked.seconds} s (${rate(walked.rowsPerSecond!)} rows/s); gateway RSS ${walked.rssBeforeMb} MB before, ${walked.rssPeakMb} MB at peak (growth ${walked.rssGrowthMb} MB).`,
    ''
  ].join('\n')
  const directory = join(ROOT, 'bench/results')
  mkdirSync(directory, { recursive: true })
  writeFileSync(join(directory, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  writeFileSync(join(directory, 'latest.md'), markdown)
  console.log(markdown)
}

await withFixture(main)
