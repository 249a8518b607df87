/**
 * Deterministic pseudo-random numbers (mulberry32), so that a given `randomSeed` always yields the same seed
 * data, the same new SIDs and the same injected faults.
 */
export class Random {
  private state: number

  constructor (seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next (): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max]. */
  int (min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance (probability: number): boolean {
    return this.next() < probability
  }

  pick<T> (items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)]
    if (item === undefined) throw new Error('pick from an empty list')
    return item
  }

  /** Picks a value according to `[value, weight]` pairs. */
  weighted<T> (choices: ReadonlyArray<readonly [T, number]>): T {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0)
    let roll = this.next() * total
    for (const [value, weight] of choices) {
      roll -= weight
      if (roll < 0) return value
    }
    return this.pick(choices)[0]
  }

  /** `length` lowercase hex digits. */
  hex (length: number): string {
    let out = ''
    while (out.length < length) out += Math.floor(this.next() * 0x10000).toString(16).padStart(4, '0')
    return out.slice(0, length)
  }

  /** A Twilio SID: the two-letter prefix and 32 lowercase hex digits. */
  sid (prefix: string): string {
    return prefix + this.hex(32)
  }

  digits (length: number): string {
    let out = ''
    for (let i = 0; i < length; i++) out += String(this.int(0, 9))
    return out
  }
}
