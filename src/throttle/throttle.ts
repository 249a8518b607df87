/**
 * The per-connection throttle: one token bucket per connection, refilled at `tpsPerNode` × the connection's node
 * count, shared evenly among the live gateway processes, with a burst of one second's worth (at least one token).
 * A runtime call is admitted by taking a token, or refused with 429 RESOURCE_EXHAUSTED, Retry-After, RetryInfo and
 * ErrorInfo (reason RATE_LIMIT_EXCEEDED). Connections never share a bucket. The node count autoscales between
 * `minNodeCount` and `maxNodeCount` (see autoscaler.ts); it lives in NodeCounts, never in the connection resource.
 */
import type { Connection } from '../connections/connection.js'
import { NODE_LIMITS } from '../connections/templates.js'
import { ERROR_DOMAIN, GatewayError, errorInfoDetail, retryInfoDetail } from '../errors.js'
import type { ClusterMembership } from '../cluster/membership.js'
import { Autoscaler, SCALE_DOWN_AFTER_MS, SCALE_UP_AFTER_MS, type Step } from './autoscaler.js'
import { CallAllowance } from './call-allowance.js'
import type { NodeCounts } from './node-counts.js'
import { TokenBucket, systemClock, type Clock } from './token-bucket.js'

export const DEFAULT_TPS_PER_NODE = 25

export interface ThrottleOptions {
  /** Transactions per second one node admits (THROTTLE_TPS_PER_NODE). */
  tpsPerNode: number
  nodeCounts: NodeCounts
  membership: ClusterMembership
  clock?: Clock
  sleep?: (ms: number) => Promise<unknown>
  /** Told of refusals and of node count changes (metrics, logs). */
  onRejected?: (connection: string) => void
  onScaled?: (connection: string, from: number, to: number) => void
  onError?: (error: Error) => void
}

/** What a call may spend beyond its first request. */
export interface CallLimits {
  /** Upstream requests, retries included. */
  budget: number
  /** Milliseconds from admission until the call sends nothing more. */
  deadlineMs: number
}

interface ConnectionState {
  bucket: TokenBucket
  scaler: Autoscaler
  /** The node count and process count the bucket is sized for. */
  nodes: number
  processes: number
  min: number
  max: number
  scaling?: Promise<void>
}

/**
 * 429 RESOURCE_EXHAUSTED for a connection over its limit. The ErrorInfo says the cluster-wide limit, the node count
 * and how many gateway processes share it.
 */
export class ThrottledError extends GatewayError {
  constructor (connection: string, state: { nodes: number, processes: number }, limitPerSecond: number, retryAfterMs: number) {
    const seconds = Math.max(retryAfterMs, 1) / 1000
    super('RESOURCE_EXHAUSTED',
      `Connection ${connection} is over its rate limit of ${formatRate(limitPerSecond)} transactions per second ` +
      `(${state.nodes} node${state.nodes === 1 ? '' : 's'}); retry in ${seconds.toFixed(3)} s`,
      [
        retryInfoDetail(Number(seconds.toFixed(3))),
        errorInfoDetail('RATE_LIMIT_EXCEEDED', ERROR_DOMAIN, {
          connection,
          limit: formatRate(limitPerSecond),
          nodes: String(state.nodes),
          gatewayProcesses: String(state.processes)
        })
      ],
      { retryAfterSeconds: seconds })
  }
}

function formatRate (rate: number): string {
  return Number.isInteger(rate) ? String(rate) : rate.toFixed(2)
}

/** The node limits of a connection, with Google's defaults. */
export function nodeLimits (connection: Connection): { min: number, max: number } {
  const min = connection.nodeConfig?.minNodeCount ?? NODE_LIMITS.defaultMin
  const max = connection.nodeConfig?.maxNodeCount ?? Math.max(NODE_LIMITS.defaultMax, min)
  return { min, max: Math.max(min, max) }
}

export class ConnectionThrottle {
  readonly #states = new Map<string, ConnectionState>()
  readonly #clock: Clock

  constructor (private readonly options: ThrottleOptions) {
    this.#clock = options.clock ?? systemClock
  }

  /** The node count the connection runs on now. */
  nodes (connection: Connection): number {
    const { min, max } = nodeLimits(connection)
    return Math.min(max, Math.max(min, this.options.nodeCounts.get(connection.name) ?? min))
  }

  /** The connection's cluster-wide limit in transactions per second. */
  limit (connection: Connection): number {
    return this.options.tpsPerNode * this.nodes(connection)
  }

  /**
   * Admits a call on the connection by taking one token, answering what the rest of the call may spend; throws
   * ThrottledError beyond the limit.
   */
  admit (connection: Connection, limits: CallLimits): CallAllowance {
    const now = this.#clock()
    const state = this.#state(connection, now)
    const admission = state.bucket.tryTake(1)
    if (!admission.admitted) {
      this.#refused(connection, state, now)
      throw new ThrottledError(connection.name, state, this.limit(connection), admission.retryAfterMs)
    }
    state.scaler.admitted(now, 1)
    this.#consider(connection, state, now)
    return new CallAllowance({
      connection: connection.name,
      deadline: now + limits.deadlineMs,
      budget: limits.budget,
      prepaid: 1,
      clock: this.#clock,
      sleep: this.options.sleep,
      reserve: (maxWaitMs) => {
        const at = this.#clock()
        const reservation = this.#state(connection, at).bucket.reserve(1, maxWaitMs)
        if (reservation.reserved) state.scaler.admitted(at, 1)
        else this.#refused(connection, state, at)
        return reservation
      },
      throttled: (retryAfterMs) => new ThrottledError(connection.name, state, this.limit(connection), retryAfterMs)
    })
  }

  /**
   * Looks at every connection this process knows of (and every one with a scaled count) and scales down the quiet
   * ones; call it every few seconds. `lookup` finds a connection by name (gone ones are forgotten).
   */
  async tick (lookup: (name: string) => Promise<Connection | undefined>): Promise<void> {
    const now = this.#clock()
    const names = new Set([...this.#states.keys(), ...this.options.nodeCounts.names()])
    for (const name of names) {
      const connection = await lookup(name)
      if (!connection) {
        this.#states.delete(name)
        continue
      }
      const state = this.#state(connection, now)
      this.#consider(connection, state, now)
      await state.scaling
    }
  }

  /** Node counts of the connections this process has seen, for metrics. */
  nodeCounts (): Array<[connection: string, nodes: number]> {
    return [...this.#states.entries()].map(([name, state]) => [name, state.nodes])
  }

  #refused (connection: Connection, state: ConnectionState, now: number): void {
    state.scaler.rejected(now)
    this.options.onRejected?.(connection.name)
    this.#consider(connection, state, now)
  }

  /** The connection's bucket, resized when its node count, limits or the number of live processes changed. */
  #state (connection: Connection, now: number): ConnectionState {
    const nodes = this.nodes(connection)
    const { min, max } = nodeLimits(connection)
    const processes = this.options.membership.liveProcesses()
    const rate = (this.options.tpsPerNode * nodes) / processes
    const capacity = Math.max(1, rate)
    let state = this.#states.get(connection.name)
    if (!state) {
      state = { bucket: new TokenBucket(rate, capacity, this.#clock), scaler: new Autoscaler(now), nodes, processes, min, max }
      this.#states.set(connection.name, state)
    } else if (state.nodes !== nodes || state.processes !== processes || state.min !== min || state.max !== max) {
      state.bucket.resize(rate, capacity)
      if (state.nodes !== nodes) state.scaler.reset(now)
      Object.assign(state, { nodes, processes, min, max })
    }
    return state
  }

  /** Takes an autoscaling step when one is due (one at a time per connection). */
  #consider (connection: Connection, state: ConnectionState, now: number): void {
    if (state.scaling) return
    const step: Step = state.scaler.decide(now, {
      nodes: state.nodes,
      min: state.min,
      max: state.max,
      perNodeRate: this.options.tpsPerNode / state.processes
    })
    if (step === 0) return
    const from = state.nodes
    const to = from + step
    const minGapMs = step > 0 ? SCALE_UP_AFTER_MS : SCALE_DOWN_AFTER_MS
    state.scaling = this.options.nodeCounts.change(connection.name, to, now, minGapMs)
      .then((changed) => {
        // Whether this process or another changed it, the next window starts now.
        state.scaler.reset(now)
        if (changed) this.options.onScaled?.(connection.name, from, to)
      }, (error: Error) => this.options.onError?.(error))
      .finally(() => { state.scaling = undefined })
  }
}
