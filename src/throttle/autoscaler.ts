/**
 * When a connection's node count should change, from what one process sees of its traffic — slowly, like Google's
 * autoscaling: one node more after it has been throttled for a sustained minute, one node fewer after five quiet
 * minutes in which its busiest ten seconds would have fit in one node fewer with a fifth to spare. Each step starts
 * a new window. Pure arithmetic over an injected time; the throttle applies the steps (once per cluster).
 */

/** Throttled this long without a break of more than a slot → one node more. */
export const SCALE_UP_AFTER_MS = 60_000
/** Quiet this long → one node fewer. */
export const SCALE_DOWN_AFTER_MS = 300_000
/** Traffic is counted in slots of this length; a pause of a whole slot breaks a throttled streak. */
export const SLOT_MS = 10_000
/** A step down must leave this share of the smaller capacity unused at the busiest slot. */
const SCALE_DOWN_HEADROOM = 0.2

export type Step = -1 | 0 | 1

export interface ScalingLimits {
  nodes: number
  min: number
  max: number
  /** Transactions per second one node admits in this process (its share of the cluster's). */
  perNodeRate: number
}

export class Autoscaler {
  #streakStart: number | undefined
  #lastRejection: number | undefined
  #windowStart: number
  /** Admitted transactions per slot, keyed by slot number, for the last scale-down window. */
  readonly #slots = new Map<number, number>()

  constructor (now: number) {
    this.#windowStart = now
  }

  admitted (now: number, cost: number): void {
    const slot = Math.floor(now / SLOT_MS)
    this.#slots.set(slot, (this.#slots.get(slot) ?? 0) + cost)
  }

  rejected (now: number): void {
    if (this.#lastRejection === undefined || now - this.#lastRejection > SLOT_MS) this.#streakStart = now
    this.#lastRejection = now
  }

  /** The step the connection should take now, if any. */
  decide (now: number, limits: ScalingLimits): Step {
    this.#prune(now)
    const throttledFor = this.#lastRejection !== undefined && now - this.#lastRejection <= SLOT_MS && this.#streakStart !== undefined
      ? now - this.#streakStart
      : 0
    if (limits.nodes < limits.max && throttledFor >= SCALE_UP_AFTER_MS) return 1
    const quietSince = Math.max(this.#windowStart, this.#lastRejection ?? -Infinity)
    if (limits.nodes > limits.min && now - quietSince >= SCALE_DOWN_AFTER_MS) {
      const busiestPerSecond = Math.max(0, ...this.#slots.values()) / (SLOT_MS / 1000)
      const smaller = (limits.nodes - 1) * limits.perNodeRate
      if (busiestPerSecond <= smaller * (1 - SCALE_DOWN_HEADROOM)) return -1
    }
    return 0
  }

  /** Starts new windows after the node count changed (here or in another process). */
  reset (now: number): void {
    this.#windowStart = now
    this.#streakStart = this.#lastRejection !== undefined && now - this.#lastRejection <= SLOT_MS ? now : undefined
    this.#slots.clear()
  }

  #prune (now: number): void {
    const oldest = Math.floor((now - SCALE_DOWN_AFTER_MS) / SLOT_MS)
    for (const slot of this.#slots.keys()) if (slot < oldest) this.#slots.delete(slot)
  }
}
