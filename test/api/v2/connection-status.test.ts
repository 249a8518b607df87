/**
 * `:checkStatus` and `:checkReadiness` for healthy and broken connections, how a broken connection's entity calls
 * fail, and that no secret ever shows in an answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SANDBOX_PATH, startGateway, type Answer, type TestGateway } from '../../helpers/gateway.js'
import {
  GOOGLE, OWNED_NUMBER, connection, connectionAt, entityPath, expectRpcError, startWorld, withoutUpstream, type World
} from './support.js'

const WRONG_TOKEN = 'ffffffffffffffffffffffffffffffff'
const MISSING_VERSION = 'projects/p/secrets/absent/versions/3'

const wrong = connectionAt('wrong-token')
const missing = connectionAt('missing-secret')
const suspended = connectionAt('suspended')
const asksSandbox = connectionAt('asks-for-sandbox')

let world: World
let bare: TestGateway
const bareAnswers: Answer[] = []

beforeAll(async () => {
  world = await startWorld({ sandbox: { seed: { calls: 10, messages: 10 } } })
  const { gateway, sandbox } = world
  gateway.connections.put(connection(wrong.name, sandbox.accountSid, gateway.secrets.addVersion('projects/p/secrets/wrong', WRONG_TOKEN), { sandbox: true }))
  gateway.connections.put(connection(missing.name, sandbox.accountSid, MISSING_VERSION, { sandbox: true }))
  gateway.connections.put(connection(suspended.name, sandbox.accountSid,
    gateway.secrets.addVersion('projects/p/secrets/suspended', sandbox.authToken), { sandbox: true, suspended: true }))
  // A gateway without a sandbox, holding a connection that asks for one.
  bare = await startGateway({})
  bare.connections.put(connection(asksSandbox.name, sandbox.accountSid, bare.secrets.addVersion('projects/p/secrets/s', sandbox.authToken), { sandbox: true }))
})
afterAll(async () => {
  await bare.close()
  await world.close()
})

const bareCall: TestGateway['call'] = async (method, url, body, headers) => {
  const answer = await bare.call(method, url, body, headers)
  bareAnswers.push(answer)
  return answer
}

/** The entity calls a broken connection must refuse: a read, a list, a write. */
const entityCalls = (connectionPath: string): Array<[string, string, unknown?]> => [
  ['GET', entityPath('Messages', GOOGLE.message, connectionPath)],
  ['GET', entityPath('Calls', undefined, connectionPath)],
  ['POST', entityPath('Messages', undefined, connectionPath), { fields: { To: '+14155550100', Sender: OWNED_NUMBER, Body: 'x' } }]
]

describe('a working connection', () => {
  it(':checkStatus answers ACTIVE after one read of the account at Twilio', async () => {
    world.clearUpstream()
    const answer = await world.call('GET', `${SANDBOX_PATH}:checkStatus`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ state: 'ACTIVE', description: expect.any(String) })
    const [request, ...rest] = world.upstream()
    expect(rest).toEqual([])
    expect(request?.method).toBe('GET')
    expect(request?.path).toBe(`/2010-04-01/Accounts/${world.sandbox.accountSid}.json`)
    expect(request?.status).toBe(200)
  })

  it(':checkReadiness answers ACTIVE without calling Twilio', async () => {
    const answer = await withoutUpstream(world, () => world.call('GET', `${SANDBOX_PATH}:checkReadiness`))
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ status: 'ACTIVE' })
  })

  it(':checkStatus answers 200 ERROR (not AUTH_ERROR) while Twilio is failing', async () => {
    // Through every attempt the gateway makes (it retries a read 3 times).
    world.sandbox.control.faults.add([{ kind: 'status', status: 503, count: 4, when: 'before', pathContains: '/Accounts/' }])
    const answer = await world.call('GET', `${SANDBOX_PATH}:checkStatus`)
    expect(answer.status).toBe(200)
    expect(answer.body.state).toBe('ERROR')
    expect(answer.body.description).toMatch(/503/)
  })
})

describe('a connection whose secret holds a wrong token', () => {
  it(':checkStatus answers 200 AUTH_ERROR with a description', async () => {
    const answer = await world.call('GET', `${wrong.path}:checkStatus`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ state: 'AUTH_ERROR', description: expect.stringMatching(/refused the credentials/) })
    expect(world.upstream().at(-1)?.status).toBe(401)
  })

  it(':checkReadiness answers ACTIVE: the gateway can serve it, Twilio refuses it', async () => {
    expect((await world.call('GET', `${wrong.path}:checkReadiness`)).body).toEqual({ status: 'ACTIVE' })
  })

  it('its entity calls answer 400 FAILED_PRECONDITION', async () => {
    expectRpcError(await world.call('GET', entityPath('Messages', GOOGLE.message, wrong.path)), 400, 'FAILED_PRECONDITION')
  })
})

describe('a connection whose secret version does not exist', () => {
  it(':checkStatus answers 200 ERROR naming the secret version, without calling Twilio', async () => {
    const answer = await withoutUpstream(world, () => world.call('GET', `${missing.path}:checkStatus`))
    expect(answer.status).toBe(200)
    expect(answer.body.state).toBe('ERROR')
    expect(answer.body.description).toContain(MISSING_VERSION)
  })

  it(':checkReadiness answers ERROR', async () => {
    expect((await world.call('GET', `${missing.path}:checkReadiness`)).body).toEqual({ status: 'ERROR' })
  })

  it('its entity calls answer 400 FAILED_PRECONDITION (the connection exists; it cannot be used), never 404', async () => {
    for (const [method, url, body] of entityCalls(missing.path)) {
      const answer = await withoutUpstream(world, () => world.call(method as 'GET' | 'POST', url, body))
      expect(expectRpcError(answer, 400, 'FAILED_PRECONDITION').message).toContain(MISSING_VERSION)
    }
  })
})

describe('a connection with sandbox=true on a gateway without a sandbox', () => {
  it(':checkStatus answers 200 ERROR explaining that the sandbox is not running', async () => {
    const answer = await bareCall('GET', `${asksSandbox.path}:checkStatus`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ state: 'ERROR', description: expect.stringMatching(/sandbox is not running/) })
  })

  it(':checkReadiness answers ERROR', async () => {
    expect((await bareCall('GET', `${asksSandbox.path}:checkReadiness`)).body).toEqual({ status: 'ERROR' })
  })

  it('its entity calls answer 400 FAILED_PRECONDITION', async () => {
    for (const [method, url, body] of entityCalls(asksSandbox.path)) {
      const answer = await bareCall(method as 'GET' | 'POST', url, body)
      expect(expectRpcError(answer, 400, 'FAILED_PRECONDITION').message).toMatch(/sandbox is not running/)
    }
  })
})

describe('a suspended connection', () => {
  it(':checkStatus answers 200 ERROR and :checkReadiness ERROR, without calling Twilio', async () => {
    await withoutUpstream(world, async () => {
      const status = await world.call('GET', `${suspended.path}:checkStatus`)
      expect(status.status).toBe(200)
      expect(status.body).toEqual({ state: 'ERROR', description: expect.stringMatching(/suspended/) })
      expect((await world.call('GET', `${suspended.path}:checkReadiness`)).body).toEqual({ status: 'ERROR' })
    })
  })

  it('its entity calls answer 400 FAILED_PRECONDITION, without calling Twilio', async () => {
    for (const [method, url, body] of entityCalls(suspended.path)) {
      const answer = await withoutUpstream(world, () => world.call(method as 'GET' | 'POST', url, body))
      expect(expectRpcError(answer, 400, 'FAILED_PRECONDITION').message).toMatch(/suspended/)
    }
  })
})

describe('an unknown connection', () => {
  it.each([':checkStatus', ':checkReadiness'])('%s answers 404 NOT_FOUND', async (verb) => {
    const answer = await world.call('GET', `/v2/projects/p/locations/l/connections/nowhere${verb}`)
    expect(expectRpcError(answer, 404, 'NOT_FOUND').message).toContain('projects/p/locations/l/connections/nowhere')
  })
})

describe('secrets', () => {
  it('no answer of this file carries a secret value', () => {
    const answers = [...world.answers, ...bareAnswers]
    expect(answers.length).toBeGreaterThan(15)
    for (const answer of answers) {
      const text = JSON.stringify(answer.body) + JSON.stringify(answer.headers)
      expect(text).not.toContain(world.sandbox.authToken)
      expect(text).not.toContain(WRONG_TOKEN)
    }
  })
})
