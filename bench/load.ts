/**
 * Load with exact latencies: a closed loop (N requests in flight, as fast as the server answers) and an open loop
 * (a fixed rate, whatever the answers do), over undici with keep-alive connections. Latencies are measured with
 * `performance.now()` to the microsecond — autocannon, used for the throughput figures, reports whole milliseconds,
 * too coarse for a gateway's added latency.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'

export interface Target {
  origin: string
  path: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
}

export interface LoadResult {
  requests: number
  seconds: number
  perSecond: number
  statuses: Record<string, number>
  p50Ms: number
  p99Ms: number
}

function percentile (sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!
}

function summarize (latencies: number[], statuses: Record<string, number>, seconds: number): LoadResult {
  const sorted = Float64Array.from(latencies).sort()
  return {
    requests: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    statuses,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99)
  }
}

/** A request function that sends one request of the target and answers its status. */
export function requester (target: Target, connections: number): { send: () => Promise<number>, close: () => Promise<void> } {
  const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 })
  return {
    async send () {
      const response = await pool.request({ path: target.path, method: target.method ?? 'GET', headers: target.headers, body: target.body })
      await response.body.dump()
      return response.statusCode
    },
    close: () => pool.close()
  }
}

/** `concurrency` loops, each sending the next request when the previous is answered, for `seconds`. */
export async function closedLoop (send: () => Promise<number | string>, concurrency: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  const started = performance.now()
  const until = started + seconds * 1000
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      const sent = performance.now()
      const status = await send().catch((error: Error & { code?: string }) => error.code ?? 'error')
      latencies.push(performance.now() - sent)
      statuses[status] = (statuses[status] ?? 0) + 1
    }
  }))
  return summarize(latencies, statuses, (performance.now() - started) / 1000)
}

/** Sends at `rate` requests per second for `seconds`, each on schedule whether or not earlier ones were answered. */
export async function openLoop (send: () => Promise<number | string>, rate: number, seconds: number): Promise<LoadResult & { firstAt: number, lastAt: number }> {
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  const total = Math.round(rate * seconds)
  const pending: Array<Promise<void>> = []
  const started = performance.now()
  let firstAt = Infinity
  let lastAt = 0
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / rate
    const wait = due - performance.now()
    if (wait > 1) await sleep(wait)
    const sent = performance.now()
    firstAt = Math.min(firstAt, sent)
    lastAt = sent
    pending.push(send().catch((error: Error & { code?: string }) => error.code ?? 'error').then((status) => {
      latencies.push(performance.now() - sent)
      statuses[status] = (statuses[status] ?? 0) + 1
    }))
  }
  await Promise.all(pending)
  return { ...summarize(latencies, statuses, (lastAt - firstAt) / 1000), firstAt, lastAt }
}
