/**
 * Only a connection that says so reaches the sandbox. Sandbox A is the gateway's built-in sandbox; sandbox B stands
 * in for Twilio (the operator's TWILIO_API_BASE_URL override), with its own account and token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SANDBOX_PATH, startGateway, type Answer, type TestGateway } from '../../helpers/gateway.js'
import { startSandbox, type TestSandbox } from '../../helpers/sandbox.js'
import { GOOGLE, OWNED_NUMBER, connection, connectionAt, entityPath, expectEntity, expectRpcError, manualClock } from './support.js'

const B_ACCOUNT = `AC${'b'.repeat(32)}`
const B_TOKEN = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0'

const plain = connectionAt('twilio')
const explicitFalse = connectionAt('twilio-sandbox-false')
const sandboxWithBCredentials = connectionAt('sandbox-with-b-credentials')
const asksSandbox = connectionAt('asks-for-sandbox')

let a: TestSandbox
let b: TestSandbox
let gateway: TestGateway
let bare: TestGateway

beforeAll(async () => {
  const clock = manualClock()
  a = await startSandbox({ now: clock.now, seed: { calls: 8, messages: 8 } })
  b = await startSandbox({ now: clock.now, accountSid: B_ACCOUNT, authToken: B_TOKEN, randomSeed: 2, seed: { calls: 8, messages: 8 } })
  gateway = await startGateway({ sandbox: a, config: { twilioApiBaseUrl: b.baseUrl } })
  const secret = gateway.secrets.addVersion('projects/p/secrets/b-token', B_TOKEN)
  gateway.connections.put(connection(plain.name, B_ACCOUNT, secret))
  gateway.connections.put(connection(explicitFalse.name, B_ACCOUNT, secret, { sandbox: false }))
  gateway.connections.put(connection(sandboxWithBCredentials.name, B_ACCOUNT, secret, { sandbox: true }))
  // A gateway without a sandbox, whose Twilio is B: a connection asking for the sandbox must not fall through to B.
  bare = await startGateway({ config: { twilioApiBaseUrl: b.baseUrl } })
  bare.connections.put(connection(asksSandbox.name, B_ACCOUNT, bare.secrets.addVersion('projects/p/secrets/b-token', B_TOKEN), { sandbox: true }))
})
afterAll(async () => {
  await bare.close()
  await gateway.close()
  await b.close()
  await a.close()
})

function clearLogs (): void {
  a.control.requests.clear()
  b.control.requests.clear()
}

/** A read, a list, a write and a status check through one connection. */
async function exercise (target: TestGateway, connectionPath: string): Promise<Answer[]> {
  return [
    await target.call('GET', entityPath('Messages', GOOGLE.message, connectionPath)),
    await target.call('GET', entityPath('Calls', undefined, connectionPath)),
    await target.call('POST', entityPath('Messages', undefined, connectionPath), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'routing' } }),
    await target.call('GET', `${connectionPath}:checkStatus`)
  ]
}

function expectOnlyReached (reached: TestSandbox, untouched: TestSandbox, accountSid: string): void {
  const requests = reached.control.requests.list()
  expect(requests.map((request) => request.method)).toEqual(['GET', 'GET', 'POST', 'GET'])
  for (const request of requests) {
    expect(request.username).toBe(accountSid)
    expect(request.path.startsWith(`/2010-04-01/Accounts/${accountSid}`)).toBe(true)
    expect(request.status).toBeLessThan(300)
  }
  expect(untouched.control.requests.list()).toEqual([])
}

describe('on a gateway with a sandbox and a Twilio override', () => {
  it('the sandbox connection reaches the sandbox, never Twilio', async () => {
    clearLogs()
    const [get, , create, status] = await exercise(gateway, SANDBOX_PATH)
    expectEntity(get!, 'Messages', GOOGLE.message)
    expect(create!.status).toBe(200)
    expect(status!.body.state).toBe('ACTIVE')
    expectOnlyReached(a, b, a.accountSid)
  })

  it('a connection without the sandbox variable reaches Twilio, never the sandbox', async () => {
    clearLogs()
    const [get, list, create, status] = await exercise(gateway, plain.path)
    expectEntity(get!, 'Messages', GOOGLE.message, plain.name)
    expect(list!.status).toBe(200)
    expect(create!.status).toBe(200)
    expect(status!.body).toEqual({ state: 'ACTIVE', description: expect.stringContaining(B_ACCOUNT) })
    expectOnlyReached(b, a, B_ACCOUNT)
  })

  it('a connection with sandbox=false reaches Twilio, never the sandbox', async () => {
    clearLogs()
    const answers = await exercise(gateway, explicitFalse.path)
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200])
    expectOnlyReached(b, a, B_ACCOUNT)
  })

  it('the sandbox variable alone decides: sandbox=true with Twilio\'s credentials still goes to the sandbox', async () => {
    clearLogs()
    const answer = await gateway.call('GET', entityPath('Messages', GOOGLE.message, sandboxWithBCredentials.path))
    expectRpcError(answer, 400, 'FAILED_PRECONDITION')
    // Refused once, then once more after the gateway re-read the secret (rotation): both at the sandbox.
    expect(a.control.requests.list().map((request) => [request.username, request.status])).toEqual([[B_ACCOUNT, 401], [B_ACCOUNT, 401]])
    expect(b.control.requests.list()).toEqual([])
  })
})

describe('on a gateway without a sandbox', () => {
  it('a connection with sandbox=true is refused with 400 FAILED_PRECONDITION and never reaches Twilio', async () => {
    clearLogs()
    for (const url of [entityPath('Messages', GOOGLE.message, asksSandbox.path), entityPath('Calls', undefined, asksSandbox.path)]) {
      expect(expectRpcError(await bare.call('GET', url), 400, 'FAILED_PRECONDITION').message).toMatch(/sandbox is not running/)
    }
    const create = await bare.call('POST', entityPath('Messages', undefined, asksSandbox.path), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'x' } })
    expectRpcError(create, 400, 'FAILED_PRECONDITION')
    expect((await bare.call('GET', `${asksSandbox.path}:checkStatus`)).body.state).toBe('ERROR')
    expect(b.control.requests.list()).toEqual([])
    expect(a.control.requests.list()).toEqual([])
  })
})
