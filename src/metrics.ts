/**
 * The gateway's Prometheus metrics, in a registry of its own (several apps can live in one process, as in tests):
 * runtime calls, throttle refusals and node counts, upstream latency, retries and 429s, secret cache lookups, and
 * Node's process metrics. Served at `/metrics`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export class GatewayMetrics {
  readonly registry = new Registry()
  #nodeCounts: () => Array<[connection: string, nodes: number]> = () => []
  #liveProcesses: () => number = () => 1

  readonly runtimeCalls = new Counter({
    name: 'gateway_runtime_calls_total',
    help: 'v2 runtime calls answered, by connection, entity, operation and google.rpc status',
    labelNames: ['connection', 'entity', 'operation', 'status'] as const,
    registers: [this.registry]
  })

  readonly runtimeSeconds = new Histogram({
    name: 'gateway_runtime_call_duration_seconds',
    help: 'Time to answer v2 runtime calls, by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry]
  })

  readonly throttleRejections = new Counter({
    name: 'gateway_throttle_rejections_total',
    help: 'Calls refused with 429 RESOURCE_EXHAUSTED because the connection was over its rate limit',
    labelNames: ['connection'] as const,
    registers: [this.registry]
  })

  readonly connectionNodes = new Gauge({
    name: 'gateway_connection_nodes',
    help: 'Nodes a connection runs on (its rate limit is THROTTLE_TPS_PER_NODE times this), for connections this process has served',
    labelNames: ['connection'] as const,
    registers: [this.registry],
    collect: () => {
      this.connectionNodes.reset()
      for (const [connection, nodes] of this.#nodeCounts()) this.connectionNodes.set({ connection }, nodes)
    }
  })

  readonly clusterProcesses = new Gauge({
    name: 'gateway_cluster_processes',
    help: 'Live gateway processes sharing the database (each admits its even share of every connection\'s limit)',
    registers: [this.registry],
    collect: () => { this.clusterProcesses.set(this.#liveProcesses()) }
  })

  readonly upstreamSeconds = new Histogram({
    name: 'gateway_upstream_request_duration_seconds',
    help: 'Twilio request latency by connection, method and HTTP status (or network failure code)',
    labelNames: ['connection', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry]
  })

  readonly upstreamRetries = new Counter({
    name: 'gateway_upstream_retries_total',
    help: 'Twilio requests tried again, by connection and reason (429, 5xx, network)',
    labelNames: ['connection', 'reason'] as const,
    registers: [this.registry]
  })

  readonly upstream429 = new Counter({
    name: 'gateway_upstream_429_total',
    help: 'Twilio answers with HTTP 429 (Too Many Requests), by connection',
    labelNames: ['connection'] as const,
    registers: [this.registry]
  })

  readonly secretCacheLookups = new Counter({
    name: 'gateway_secret_cache_lookups_total',
    help: 'Secret reads by outcome: hit (cached), miss (read from the backend), stale (served in the grace period)',
    labelNames: ['outcome'] as const,
    registers: [this.registry]
  })

  constructor () {
    collectDefaultMetrics({ register: this.registry })
  }

  /** Where the node counts and the number of live processes are read from at each scrape. */
  observeCapacity (nodeCounts: () => Array<[connection: string, nodes: number]>, liveProcesses: () => number): void {
    this.#nodeCounts = nodeCounts
    this.#liveProcesses = liveProcesses
  }
}
