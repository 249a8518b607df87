/**
 * The token bucket's arithmetic, on a clock the tests move by hand: it starts full, refills continuously at its
 * rate up to its capacity, says exactly how long a refused take must wait, keeps what it earned when resized, and
 * lets reservations go into debt that later callers must wait out.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TokenBucket } from '../../src/throttle/token-bucket.js'

function handClock (start = 1_700_000_000_000): { now: () => number, advance: (ms: number) => void, set: (ms: number) => void } {
  let now = start
  return { now: () => now, advance: (ms) => { now += ms }, set: (ms) => { now = ms } }
}

/** Takes single tokens until one is refused; answers how many were admitted. */
function drain (bucket: TokenBucket, atMost = 10_000): number {
  let admitted = 0
  while (admitted < atMost && bucket.tryTake().admitted) admitted++
  return admitted
}

describe('a new bucket', () => {
  it('starts full: it admits exactly its capacity at once, then refuses', () => {
    const clock = handClock()
    const bucket = new TokenBucket(50, 50, clock.now)
    expect(bucket.tokens).toBe(50)
    expect(drain(bucket)).toBe(50)
    expect(bucket.tryTake()).toEqual({ admitted: false, retryAfterMs: 20 })
  })

  it('with a capacity above its rate allows that larger burst', () => {
    const clock = handClock()
    const bucket = new TokenBucket(5, 12, clock.now)
    expect(drain(bucket)).toBe(12)
  })

  it('takes several tokens at once when asked, and refuses a take larger than what it holds without taking any', () => {
    const clock = handClock()
    const bucket = new TokenBucket(10, 10, clock.now)
    expect(bucket.tryTake(7)).toEqual({ admitted: true })
    expect(bucket.tokens).toBe(3)
    expect(bucket.tryTake(4)).toEqual({ admitted: false, retryAfterMs: 100 })
    expect(bucket.tokens).toBe(3)
    expect(bucket.tryTake(3)).toEqual({ admitted: true })
    expect(bucket.tokens).toBe(0)
  })
})

describe('refill', () => {
  it('adds rate × elapsed seconds: 50/s refills one token every 20 ms', () => {
    const clock = handClock()
    const bucket = new TokenBucket(50, 50, clock.now)
    drain(bucket)
    clock.advance(19)
    expect(bucket.tryTake().admitted).toBe(false)
    clock.advance(1)
    expect(bucket.tryTake()).toEqual({ admitted: true })
    expect(bucket.tryTake().admitted).toBe(false)
    clock.advance(200)
    expect(drain(bucket)).toBe(10)
  })

  it('never fills above its capacity, however long it idles', () => {
    const clock = handClock()
    const bucket = new TokenBucket(25, 25, clock.now)
    expect(bucket.tryTake(5).admitted).toBe(true)
    clock.advance(24 * 3_600_000)
    expect(bucket.tokens).toBe(25)
    expect(drain(bucket)).toBe(25)
  })

  it('earns fractions of a token: 3/s gives 0.3 after 100 ms, and a whole token only after 334 ms in all', () => {
    const clock = handClock()
    const bucket = new TokenBucket(3, 3, clock.now)
    drain(bucket)
    clock.advance(100)
    expect(bucket.tokens).toBeCloseTo(0.3, 10)
    const refused = bucket.tryTake()
    // (1 − 0.3) / 3 s = 233.3 ms, rounded up to whole milliseconds.
    expect(refused).toEqual({ admitted: false, retryAfterMs: 234 })
    clock.advance(233)
    expect(bucket.tryTake().admitted).toBe(false)
    clock.advance(1)
    expect(bucket.tryTake()).toEqual({ admitted: true })
  })

  it('keeps fractions across many small steps (no rounding lost per step)', () => {
    const clock = handClock()
    const bucket = new TokenBucket(7, 7, clock.now)
    drain(bucket)
    // 1,000 steps of 1 ms at 7/s: 7 tokens, as one step of a second would give.
    for (let step = 0; step < 1000; step++) {
      clock.advance(1)
      expect(bucket.tokens).toBeLessThanOrEqual(7)
    }
    expect(bucket.tokens).toBeCloseTo(7, 9)
  })

  it('does not lose tokens when the clock steps backwards', () => {
    const clock = handClock()
    const bucket = new TokenBucket(10, 10, clock.now)
    expect(bucket.tryTake(4).admitted).toBe(true)
    clock.advance(-5_000)
    expect(bucket.tokens).toBe(6)
    clock.advance(100)
    expect(bucket.tokens).toBeCloseTo(7, 10)
  })
})

describe('retryAfterMs', () => {
  it('is the exact wait, in whole milliseconds rounded up, for the missing tokens at the bucket\'s rate', () => {
    const clock = handClock()
    const bucket = new TokenBucket(4, 8, clock.now)
    drain(bucket)
    expect(bucket.tryTake(1)).toEqual({ admitted: false, retryAfterMs: 250 })
    expect(bucket.tryTake(3)).toEqual({ admitted: false, retryAfterMs: 750 })
    clock.advance(100)
    // 0.4 tokens held: 0.6 missing at 4/s = 150 ms.
    expect(bucket.tryTake(1)).toEqual({ admitted: false, retryAfterMs: 150 })
    clock.advance(150)
    expect(bucket.tryTake(1)).toEqual({ admitted: true })
  })

  it('always suffices: after waiting what a refusal said, the same take is admitted', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 2_000 }),
      fc.integer({ min: 1, max: 100 }),
      fc.integer({ min: 0, max: 5_000 }),
      fc.integer({ min: 1, max: 5 }),
      (rate, extraCapacity, idleMs, cost) => {
        const clock = handClock()
        const capacity = Math.max(cost, Math.min(rate, 100)) + extraCapacity
        const bucket = new TokenBucket(rate, capacity, clock.now)
        drain(bucket, capacity + 1)
        clock.advance(idleMs % Math.ceil((1000 * cost) / rate))
        const answer = bucket.tryTake(cost)
        if (answer.admitted) return
        expect(answer.retryAfterMs).toBeGreaterThan(0)
        clock.advance(answer.retryAfterMs)
        expect(bucket.tryTake(cost)).toEqual({ admitted: true })
      }))
  })
})

describe('resize', () => {
  it('keeps the tokens earned so far (refilled at the old rate up to the resize) and refills at the new rate after', () => {
    const clock = handClock()
    const bucket = new TokenBucket(10, 10, clock.now)
    drain(bucket)
    clock.advance(500)
    bucket.resize(100, 100)
    // Five tokens earned at 10/s: not scaled up to the new size, not reset to full.
    expect(bucket.tokens).toBeCloseTo(5, 10)
    clock.advance(100)
    expect(bucket.tokens).toBeCloseTo(15, 10)
    clock.advance(10_000)
    expect(bucket.tokens).toBe(100)
  })

  it('growing a full bucket does not grant the larger burst at once', () => {
    const clock = handClock()
    const bucket = new TokenBucket(50, 50, clock.now)
    bucket.resize(75, 75)
    expect(drain(bucket)).toBe(50)
    clock.advance(1000)
    expect(drain(bucket)).toBe(75)
  })

  it('shrinking caps the tokens at the new capacity', () => {
    const clock = handClock()
    const bucket = new TokenBucket(50, 50, clock.now)
    expect(bucket.tryTake(10).admitted).toBe(true)
    bucket.resize(25, 25)
    expect(bucket.tokens).toBe(25)
    expect(drain(bucket)).toBe(25)
    expect(bucket.tryTake()).toEqual({ admitted: false, retryAfterMs: 40 })
  })

  it('shrinking keeps fewer tokens than the new capacity as they are', () => {
    const clock = handClock()
    const bucket = new TokenBucket(50, 50, clock.now)
    expect(bucket.tryTake(40).admitted).toBe(true)
    bucket.resize(25, 25)
    expect(bucket.tokens).toBe(10)
  })

  it('keeps a debt: a bucket owed tokens stays owed after a resize, repaid at the new rate', () => {
    const clock = handClock()
    const bucket = new TokenBucket(10, 10, clock.now)
    drain(bucket)
    expect(bucket.reserve(2, 1_000)).toEqual({ reserved: true, waitMs: 200 })
    bucket.resize(20, 20)
    expect(bucket.tokens).toBe(-2)
    expect(bucket.tryTake()).toEqual({ admitted: false, retryAfterMs: 150 })
  })
})

describe('reserve', () => {
  it('takes tokens the bucket holds with no wait', () => {
    const clock = handClock()
    const bucket = new TokenBucket(10, 10, clock.now)
    expect(bucket.reserve(1, 0)).toEqual({ reserved: true, waitMs: 0 })
    expect(bucket.tokens).toBe(9)
  })

  it('goes into debt and answers the wait; each further reservation waits one token longer', () => {
    const clock = handClock()
    const bucket = new TokenBucket(10, 10, clock.now)
    drain(bucket)
    expect(bucket.reserve(1, 60_000)).toEqual({ reserved: true, waitMs: 100 })
    expect(bucket.tokens).toBe(-1)
    expect(bucket.reserve(1, 60_000)).toEqual({ reserved: true, waitMs: 200 })
    expect(bucket.tokens).toBe(-2)
  })

  it('makes later takes wait until the debt is repaid, so the rate holds', () => {
    const clock = handClock()
    const bucket = new TokenBucket(10, 10, clock.now)
    drain(bucket)
    bucket.reserve(1, 60_000)
    bucket.reserve(1, 60_000)
    expect(bucket.tryTake()).toEqual({ admitted: false, retryAfterMs: 300 })
    clock.advance(299)
    expect(bucket.tryTake().admitted).toBe(false)
    clock.advance(1)
    expect(bucket.tryTake()).toEqual({ admitted: true })
    expect(bucket.tryTake().admitted).toBe(false)
  })

  it('reserves nothing when the wait would exceed the longest the caller may wait, and says the wait', () => {
    const clock = handClock()
    const bucket = new TokenBucket(10, 10, clock.now)
    drain(bucket)
    expect(bucket.reserve(1, 99)).toEqual({ reserved: false, retryAfterMs: 100 })
    expect(bucket.tokens).toBe(0)
    // Exactly the wait is allowed.
    expect(bucket.reserve(1, 100)).toEqual({ reserved: true, waitMs: 100 })
  })

  it('counts its reservations against the rate: 20 reservations at 10/s end two seconds out', () => {
    const clock = handClock()
    const bucket = new TokenBucket(10, 10, clock.now)
    const waits = Array.from({ length: 20 }, () => bucket.reserve(1, 60_000))
    expect(waits.slice(0, 10).every((wait) => wait.reserved && wait.waitMs === 0)).toBe(true)
    expect(waits.at(-1)).toEqual({ reserved: true, waitMs: 1000 })
    clock.advance(1000)
    expect(bucket.tokens).toBeCloseTo(0, 10)
    expect(bucket.tryTake().admitted).toBe(false)
  })
})
