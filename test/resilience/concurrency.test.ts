/**
 * The per-account cap on concurrent upstream requests, and upstream timeouts, measured where Twilio would see
 * them: between the gateway and the sandbox sits a gate, an HTTP relay that counts the requests in flight per
 * account and holds them until the test lets them through, so "how many at once" does not depend on timing.
 * Connections of one account share its cap; another account (the sandbox's subaccount) has its own. A request
 * that cannot get a slot within its call's deadline is refused without being sent; a timed-out request frees its
 * slot; a read that times out is retried, a create that times out is not (its outcome is unknown).
 */
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Fault, FaultSpec } from '../../src/sandbox/app.js'
import { startGateway, type Answer, type TestGateway } from '../helpers/gateway.js'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { eventually } from '../store/backends.js'
import {
  GOOGLE, OWNED_NUMBER, SANDBOX_CONNECTION, connection, connectionAt, entityPath, expectEntity, expectRpcError
} from '../api/v2/support.js'

/** A request that reached the gate. */
interface Arrival { account: string, method: string, path: string }

/** The relay between the gateway and the sandbox. */
interface Gate {
  url: string
  /** Requests held, oldest first. */
  held: Arrival[]
  /** Requests in flight now, and the most there ever were at once, per account SID. */
  inFlight: (account: string) => number
  maxInFlight: (account: string) => number
  /** Holds every request from now on. */
  hold: () => void
  /** Lets the held requests through, and every later one at once. */
  open: () => void
  /** Forgets the maxima. */
  resetMaxima: () => void
  close: () => Promise<void>
}

async function startGate (target: string): Promise<Gate> {
  let holding = false
  const held: Array<Arrival & { forward: () => void }> = []
  const current = new Map<string, number>()
  const maxima = new Map<string, number>()
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]!
    const account = /\/Accounts\/(AC[0-9a-f]{32})/.exec(path)?.[1] ?? ''
    current.set(account, (current.get(account) ?? 0) + 1)
    maxima.set(account, Math.max(maxima.get(account) ?? 0, current.get(account)!))
    let finished = false
    // The answer was sent, or the gateway gave up on it (a timeout): no longer in flight.
    response.on('close', () => {
      if (finished) return
      finished = true
      current.set(account, current.get(account)! - 1)
    })
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const forward = (): void => {
        if (finished) return
        const relayed = httpRequest(`${target}${request.url ?? ''}`, { method: request.method, headers: request.headers }, (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(response)
        })
        relayed.on('error', () => response.destroy())
        relayed.end(Buffer.concat(chunks))
      }
      if (holding) held.push({ account, method: request.method ?? '', path, forward })
      else forward()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    held,
    inFlight: (account) => current.get(account) ?? 0,
    maxInFlight: (account) => maxima.get(account) ?? 0,
    hold: () => { holding = true },
    open: () => {
      holding = false
      for (const request of held.splice(0)) request.forward()
    },
    resetMaxima: () => { maxima.clear() },
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}

const CAP = 3
let sandbox: TestSandbox
let gate: Gate
/** Cap 3 per account, through the gate; three connections: two of the main account, one of the subaccount. */
let capped: TestGateway
const sibling = connectionAt('same-account')
const other = connectionAt('subaccount')

beforeAll(async () => {
  sandbox = await startSandbox({ seed: { calls: 10, messages: 10 } })
  gate = await startGate(sandbox.baseUrl)
  capped = await startGateway({ sandbox, config: { sandboxBaseUrl: gate.url, upstreamConcurrencyPerAccount: CAP } })
  const mainToken = capped.secrets.addVersion('projects/p/secrets/main-token', sandbox.authToken)
  const subToken = capped.secrets.addVersion('projects/p/secrets/sub-token', sandbox.subaccount.authToken)
  capped.connections.put(connection(sibling.name, sandbox.accountSid, mainToken, { sandbox: true }))
  capped.connections.put(connection(other.name, sandbox.subaccount.sid, subToken, { sandbox: true }))
})
afterAll(async () => {
  await capped?.close()
  await gate?.close()
  await sandbox?.close()
})
beforeEach(() => {
  gate.open()
  gate.resetMaxima()
  sandbox.control.faults.clear()
  sandbox.control.requests.clear()
})

const main = (): string => sandbox.accountSid
const heldFor = (account: string): number => gate.held.filter((request) => request.account === account).length

describe(`at most ${CAP} requests per account in flight from one process`, () => {
  it(`10 concurrent Gets: ${CAP} reach Twilio at once and no more, the rest wait their turn, and all 10 succeed`, async () => {
    gate.hold()
    const calls = Array.from({ length: 10 }, () => capped.call('GET', entityPath('Messages', GOOGLE.message)))
    await eventually(`${CAP} requests held at the gate`, () => heldFor(main()) === CAP || undefined, 5000)
    // Given time, no fourth request is sent while the first three are in flight.
    await sleep(200)
    expect(heldFor(main())).toBe(CAP)
    expect(gate.maxInFlight(main())).toBe(CAP)
    gate.open()
    const answers = await Promise.all(calls)
    for (const answer of answers) expectEntity(answer, 'Messages', GOOGLE.message)
    expect(gate.maxInFlight(main())).toBe(CAP)
    expect(sandbox.control.requests.list()).toHaveLength(10)
  })

  it('two connections of the same account share its cap; a connection of another account does not wait for it', async () => {
    gate.hold()
    const sameAccount = [
      ...Array.from({ length: 4 }, () => capped.call('GET', entityPath('Messages', GOOGLE.message))),
      ...Array.from({ length: 4 }, () => capped.call('GET', entityPath('Messages', GOOGLE.message, sibling.path)))
    ]
    await eventually(`${CAP} requests of the main account held`, () => heldFor(main()) === CAP || undefined, 5000)
    await sleep(200)
    expect(heldFor(main())).toBe(CAP)

    // The subaccount's request goes straight through while the main account's cap is full.
    const subaccount = capped.call('GET', `${entityPath('Messages', undefined, other.path)}?pageSize=1`)
    await eventually('the subaccount\'s request reaches the gate', () => heldFor(sandbox.subaccount.sid) === 1 || undefined, 5000)
    expect(heldFor(main())).toBe(CAP)

    gate.open()
    const answers = await Promise.all(sameAccount)
    answers.slice(0, 4).forEach((answer) => expectEntity(answer, 'Messages', GOOGLE.message))
    answers.slice(4).forEach((answer) => expectEntity(answer, 'Messages', GOOGLE.message, sibling.name))
    expect((await subaccount).status).toBe(200)
    expect(gate.maxInFlight(main())).toBe(CAP)
    expect(gate.maxInFlight(sandbox.subaccount.sid)).toBe(1)
  })
})

describe('a request that cannot get a slot within its call\'s deadline', () => {
  /** Cap 1 and a 400 ms call deadline; upstream requests themselves may take 10 s. */
  let tight: TestGateway

  beforeAll(async () => {
    tight = await startGateway({
      sandbox,
      config: { sandboxBaseUrl: gate.url, upstreamConcurrencyPerAccount: 1, callLimits: { deadlineMs: 400 }, upstreamTimeoutMs: 10_000 }
    })
  })
  afterAll(async () => {
    await tight?.close()
  })

  it('is refused with 503 UNAVAILABLE and Retry-After, and nothing is sent to Twilio', async () => {
    gate.hold()
    // A status check is no runtime call (no deadline of 400 ms): it holds the account's only slot for now.
    const probe = tight.call('GET', `/v2/${SANDBOX_CONNECTION}:checkStatus`)
    await eventually('the status check is held at the gate', () => heldFor(main()) === 1 || undefined, 5000)

    const answer = await tight.call('GET', entityPath('Messages', GOOGLE.message))
    const error = expectRpcError(answer, 503, 'UNAVAILABLE')
    expect(error.message).toMatch(/already in flight.*nothing was sent/)
    expect(answer.headers['retry-after']).toBe('1')
    // Still only the status check at the gate: the Get never left the gateway.
    expect(gate.held.map((request) => [request.method, request.path])).toEqual([['GET', `/2010-04-01/Accounts/${main()}.json`]])

    gate.open()
    expect((await probe).body).toMatchObject({ state: 'ACTIVE' })
    // Only the status check reached Twilio.
    expect(sandbox.control.requests.list().map((request) => request.method)).toEqual(['GET'])
    expect(sandbox.control.requests.list()[0]!.path).toBe(`/2010-04-01/Accounts/${main()}.json`)
  })
})

describe('upstream timeouts', () => {
  /** Cap 1 and a 300 ms upstream timeout, straight to the sandbox. */
  let impatient: TestGateway
  const upstream = (): Array<[string, number | null]> =>
    sandbox.control.requests.list().map((request) => [request.method, request.status])
  const inject = (fault: FaultSpec): void => {
    sandbox.control.faults.add([{ count: 1, when: 'before', ...fault } as Fault])
  }

  beforeAll(async () => {
    impatient = await startGateway({
      sandbox,
      config: { upstreamConcurrencyPerAccount: 1, upstreamTimeoutMs: 300, retry: { baseDelayMs: 1, maxDelayMs: 5 } }
    })
  })
  afterAll(async () => {
    await impatient?.close()
  })

  it('a Get whose first request never answers is retried once it times out, and succeeds (the timed-out request freed the only slot)', async () => {
    inject({ kind: 'hang', method: 'GET' })
    expectEntity(await impatient.call('GET', entityPath('Messages', GOOGLE.message)), 'Messages', GOOGLE.message)
    expect(upstream()).toEqual([['GET', null], ['GET', 200]])
  })

  it('a Get that times out on every attempt → 503 UNAVAILABLE naming the timeout, after 4 requests; the next call is served', async () => {
    inject({ kind: 'hang', method: 'GET', count: 4 })
    const answer = await impatient.call('GET', entityPath('Messages', GOOGLE.message))
    expect(expectRpcError(answer, 503, 'UNAVAILABLE').message).toMatch(/ETIMEDOUT/)
    expect(upstream()).toEqual(Array.from({ length: 4 }, () => ['GET', null]))
    expectEntity(await impatient.call('GET', entityPath('Messages', GOOGLE.message)), 'Messages', GOOGLE.message)
  })

  it('a Create that times out → 504 DEADLINE_EXCEEDED, UPSTREAM_OUTCOME_UNKNOWN, after exactly one POST', async () => {
    inject({ kind: 'hang', method: 'POST', when: 'after' })
    const messages = sandbox.control.store.account(sandbox.accountSid)!.messages
    const before = messages.size
    const answer: Answer = await impatient.call('POST', entityPath('Messages'), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'hi' } })
    expect(answer.status).not.toBe(503)
    expectRpcError(answer, 504, 'DEADLINE_EXCEEDED')
    expect(answer.body.error.details).toContainEqual(expect.objectContaining({ reason: 'UPSTREAM_OUTCOME_UNKNOWN' }))
    expect(upstream()).toEqual([['POST', null]])
    // Twilio did create it: retrying would have sent it twice.
    expect(messages.size).toBe(before + 1)
  })
})
