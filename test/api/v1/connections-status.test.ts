/**
 * The status a create or update records (the gateway reads the connection's secret and asks Twilio for the account):
 * ACTIVE, AUTHORIZATION_REQUIRED, ERROR, INACTIVE when suspended, never CREATING / UPDATING once the operation is
 * answered; suspended connections refusing runtime calls; locked connections refusing every change but unlocking;
 * and no secret value in any answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, type Answer, type TestGateway } from '../../helpers/gateway.js'
import { basicAuth } from '../../helpers/sandbox.js'
import { PARENT, connectionBody, connectionUrl, expectRpcError, recording, runtimeUrl, startTestGateway, type Body } from './support.js'

const WRONG_TOKEN = 'ffffffffffffffffffffffffffffffff'
const MISSING_VERSION = 'projects/my-proj/secrets/never-stored/versions/7'

let gateway: TestGateway
let call: TestGateway['call']
let answers: Answer[]

beforeAll(async () => {
  gateway = await startTestGateway({ sandbox: true })
  ;({ call, answers } = recording(gateway))
})
afterAll(async () => {
  await gateway.close()
})

const auth = (secretVersion: string): Body => ({
  authType: 'USER_PASSWORD',
  userPassword: { username: gateway.sandbox!.accountSid, password: { secretVersion } }
})

/** Creates through the API; asserts the operation finished without error; answers the Connection it carries. */
async function create (id: string, extra: Body = {}): Promise<Body> {
  const answer = await call('POST', `/v1/${PARENT}/connections?connectionId=${id}&alt=json`, connectionBody(gateway, extra))
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  expect(answer.body.done).toBe(true)
  expect(answer.body).not.toHaveProperty('error')
  return answer.body.response
}

async function patch (id: string, mask: string, body: Body): Promise<Answer> {
  return call('PATCH', `${connectionUrl(id)}?updateMask=${mask}&alt=json`, body)
}

async function state (id: string): Promise<Body> {
  const answer = await call('GET', connectionUrl(id))
  expect(answer.status).toBe(200)
  return answer.body.status
}

describe('the probe', () => {
  it('records ACTIVE for credentials Twilio accepts', async () => {
    const connection = await create('healthy')
    expect(connection.status).toEqual({ state: 'ACTIVE', description: expect.any(String) })
    expect(await state('healthy')).toEqual(connection.status)
  })

  it('records AUTHORIZATION_REQUIRED with a description for a token Twilio refuses; the connection exists', async () => {
    const secret = gateway.secrets.addVersion('projects/my-proj/secrets/wrong-token', WRONG_TOKEN)
    const connection = await create('wrong-token', { authConfig: auth(secret) })
    expect(connection.status.state).toBe('AUTHORIZATION_REQUIRED')
    expect(connection.status.description.length).toBeGreaterThan(0)
    expect(connection.name).toBe(`${PARENT}/connections/wrong-token`)
    expect(await state('wrong-token')).toEqual(connection.status)
    const list = await call('GET', `/v1/${PARENT}/connections?filter=${encodeURIComponent('status.state = "AUTHORIZATION_REQUIRED"')}`)
    expect(list.body.connections.map((item: Body) => item.name)).toEqual([`${PARENT}/connections/wrong-token`])
  })

  it('records ERROR naming a secret version that does not exist; the connection exists', async () => {
    const connection = await create('missing-secret', { authConfig: auth(MISSING_VERSION) })
    expect(connection.status.state).toBe('ERROR')
    expect(connection.status.description).toContain(MISSING_VERSION)
    expect(await state('missing-secret')).toEqual(connection.status)
  })

  it('records ACTIVE again once an update gives the connection a readable, accepted secret', async () => {
    const operation = await patch('missing-secret', 'authConfig', { authConfig: auth('projects/local/secrets/sandbox-auth-token/versions/1') })
    expect(operation.status).toBe(200)
    expect(operation.body.response.status.state).toBe('ACTIVE')
    expect((await state('missing-secret')).state).toBe('ACTIVE')
  })

  it('records AUTHORIZATION_REQUIRED after an update to a token Twilio refuses, and ACTIVE after the fix', async () => {
    const secret = gateway.secrets.addVersion('projects/my-proj/secrets/rotated-wrong', WRONG_TOKEN)
    const operation = await patch('healthy', 'auth_config', { authConfig: auth(secret) })
    expect(operation.body.response.status.state).toBe('AUTHORIZATION_REQUIRED')
    const fixed = await patch('healthy', 'auth_config', { authConfig: auth('projects/local/secrets/sandbox-auth-token/versions/1') })
    expect(fixed.body.response.status.state).toBe('ACTIVE')
  })
})

describe('a suspended connection', () => {
  it('is INACTIVE and refuses runtime calls with 400 FAILED_PRECONDITION', async () => {
    const connection = await create('paused', { suspended: true })
    expect(connection.suspended).toBe(true)
    expect(connection.status.state).toBe('INACTIVE')
    expect((await state('paused')).state).toBe('INACTIVE')
    const runtime = await call('GET', runtimeUrl('paused'))
    const error = expectRpcError(runtime, 400, 'FAILED_PRECONDITION')
    expect(error.message).toContain('suspended')
  })

  it('is ACTIVE again after PATCH updateMask=suspended without suspended (as Terraform sends it), and serves runtime calls', async () => {
    const operation = await patch('paused', 'suspended', {})
    expect(operation.status).toBe(200)
    expect(operation.body.response.status.state).toBe('ACTIVE')
    expect([undefined, false]).toContain(operation.body.response.suspended)
    expect((await state('paused')).state).toBe('ACTIVE')
    expect((await call('GET', runtimeUrl('paused'))).status).toBe(200)
  })

  it('refuses runtime calls at once when suspended by an update', async () => {
    const operation = await patch('paused', 'suspended', { suspended: true })
    expect(operation.body.response.status.state).toBe('INACTIVE')
    expectRpcError(await call('GET', runtimeUrl('paused')), 400, 'FAILED_PRECONDITION')
    expectRpcError(await call('POST', `/v2/${PARENT}/connections/paused/entityTypes/Messages/entities`, { fields: { To: '+14155550100', Sender: '+15005550006', Body: 'hi' } }), 400, 'FAILED_PRECONDITION')
  })
})

describe('a locked connection', () => {
  const lock = { locked: true, reason: 'change freeze' }

  beforeAll(async () => {
    await create('frozen', { lockConfig: lock, description: 'frozen' })
  })

  it('is stored with its lockConfig and still probed (ACTIVE)', async () => {
    const answer = await call('GET', connectionUrl('frozen'))
    expect(answer.body.lockConfig).toEqual(lock)
    expect(answer.body.status.state).toBe('ACTIVE')
  })

  it.each<[string, () => Body]>([
    ['description', () => ({ description: 'changed' })],
    ['labels', () => ({ labels: { env: 'prod' } })],
    ['suspended', () => ({ suspended: true })],
    ['lockConfig,description', () => ({ lockConfig: { locked: false }, description: 'changed' })],
    ['lockConfig', () => ({ lockConfig: { locked: true, reason: 'another reason' } })],
    ['lockConfig.reason', () => ({ lockConfig: { reason: 'another reason' } })],
    ['*', () => connectionBody(gateway)]
  ])('refuses PATCH updateMask=%s with 400 FAILED_PRECONDITION, unchanged', async (mask, body) => {
    const before = await call('GET', connectionUrl('frozen'))
    const error = expectRpcError(await patch('frozen', mask, body()), 400, 'FAILED_PRECONDITION')
    expect(error.message).toContain('locked')
    expect(await call('GET', connectionUrl('frozen'))).toEqual(before)
  })

  it('refuses DELETE with 400 FAILED_PRECONDITION, and still exists', async () => {
    expectRpcError(await call('DELETE', connectionUrl('frozen')), 400, 'FAILED_PRECONDITION')
    expect((await call('GET', connectionUrl('frozen'))).status).toBe(200)
  })

  it('unlocks with mask lockConfig and a body without it (Terraform removing the block)', async () => {
    const operation = await patch('frozen', 'lockConfig', {})
    expect(operation.status, JSON.stringify(operation.body)).toBe(200)
    expect(operation.body.response).not.toHaveProperty('lockConfig')
    expect(operation.body.response.description).toBe('frozen')
  })

  it('unlocks with mask lock_config and locked: false', async () => {
    expect((await patch('frozen', 'lockConfig', { lockConfig: lock })).status).toBe(200)
    expectRpcError(await call('DELETE', connectionUrl('frozen')), 400, 'FAILED_PRECONDITION')
    const operation = await patch('frozen', 'lock_config', { lockConfig: { locked: false } })
    expect(operation.status, JSON.stringify(operation.body)).toBe(200)
    expect(operation.body.response.lockConfig).toEqual({ locked: false })
  })

  it('accepts changes and DELETE once unlocked', async () => {
    expect((await patch('frozen', 'description', { description: 'thawed' })).status).toBe(200)
    expect((await call('DELETE', connectionUrl('frozen'))).status).toBe(200)
    expect((await call('GET', connectionUrl('frozen'))).status).toBe(404)
  })
})

describe('every answer', () => {
  it('carries a status with a state, never CREATING or UPDATING once an operation is answered', () => {
    const connections = answers.flatMap((answer) => {
      const body = answer.body ?? {}
      if (body.response?.name?.includes('/connections/')) return [body.response]
      if (typeof body.name === 'string' && body.name.includes('/connections/')) return [body]
      return body.connections ?? []
    }) as Body[]
    expect(connections.length).toBeGreaterThan(20)
    for (const connection of connections) {
      expect(typeof connection.status?.state, JSON.stringify(connection)).toBe('string')
      expect(['CREATING', 'UPDATING', 'STATE_UNSPECIFIED']).not.toContain(connection.status.state)
    }
  })

  it('holds no secret value: neither the auth token, nor the wrong token, nor a Basic credential', () => {
    const forbidden = [gateway.sandbox!.authToken, WRONG_TOKEN, ADMIN_TOKEN, basicAuth(gateway.sandbox!.accountSid, gateway.sandbox!.authToken).slice('Basic '.length)]
    expect(answers.length).toBeGreaterThan(30)
    for (const answer of answers) {
      const text = JSON.stringify(answer)
      for (const secret of forbidden) expect(text).not.toContain(secret)
    }
  })
})
