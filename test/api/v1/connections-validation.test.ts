/**
 * What a create refuses, each with 400 INVALID_ARGUMENT and a google.rpc.BadRequest naming the field, and what it
 * accepts: the connection id rule, the connector version, the credentials, the config variables against the
 * connector version's templates, the proxy destination, node counts, labels, unknown fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestGateway } from '../../helpers/gateway.js'
import { startSandbox, type TestSandbox } from '../../helpers/sandbox.js'
import {
  CONNECTOR_VERSION, PARENT, SANDBOX_TOKEN_VERSION, V1,
  connectionBody, connectionUrl, createConnection, created, expectRpcError, fieldViolations, violatedFields, startTestGateway, type Body
} from './support.js'

let sandbox: TestSandbox
let gateway: TestGateway

beforeAll(async () => {
  sandbox = await startSandbox()
  // Connections without the `sandbox` variable (what Terraform users send) reach the sandbox too, as "Twilio".
  gateway = await startTestGateway({ sandbox, config: { twilioApiBaseUrl: sandbox.baseUrl } })
})
afterAll(async () => {
  await gateway.close()
  await sandbox.close()
})

let next = 0
/** A connection id not used before in this file. */
const freshId = (): string => `conn-${++next}`

/** Asserts that the create is refused naming exactly these fields, and that nothing was created. */
async function expectRefused (body: Body, fields: string[]): Promise<void> {
  const id = freshId()
  const answer = await createConnection(gateway, id, body)
  expect(violatedFields(answer).sort()).toEqual([...fields].sort())
  expectRpcError(await gateway.call('GET', connectionUrl(id)), 404, 'NOT_FOUND')
}

const auth = (username: string, secretVersion = SANDBOX_TOKEN_VERSION): Body =>
  ({ authType: 'USER_PASSWORD', userPassword: { username, password: { secretVersion } } })

describe('the connection id', () => {
  it.each([
    ['uppercase letters', 'Twilio-1'],
    ['a leading digit', '1twilio'],
    ['a leading hyphen', '-twilio'],
    ['a trailing hyphen', 'twilio-'],
    ['an underscore', 'twilio_1'],
    ['a dot', 'twilio.1'],
    ['64 characters', `a${'b'.repeat(63)}`]
  ])('with %s is refused: 400 naming connectionId', async (_, id) => {
    const answer = await createConnection(gateway, id, connectionBody(gateway))
    expect(violatedFields(answer)).toEqual(['connectionId'])
    expect(answer.body.error.message).toContain(id)
  })

  it('is required: 400 naming connectionId', async () => {
    const answer = await gateway.call('POST', `${V1}/connections?alt=json`, connectionBody(gateway))
    expect(violatedFields(answer)).toEqual(['connectionId'])
    const empty = await gateway.call('POST', `${V1}/connections?connectionId=&alt=json`, connectionBody(gateway))
    expect(violatedFields(empty)).toEqual(['connectionId'])
  })

  it.each([
    ['63 characters', `a${'b'.repeat(61)}9`],
    ['a single letter', 'x'],
    ['letters, digits and hyphens', 'tw-2-prod-eu']
  ])('with %s is accepted', async (_, id) => {
    const connection = await created(gateway, id, connectionBody(gateway))
    expect(connection.name).toBe(`${PARENT}/connections/${id}`)
  })
})

describe('the connector version', () => {
  it.each([
    ['another provider', 'projects/my-proj/locations/global/providers/zendesk/connectors/twilio/versions/1'],
    ['another connector', 'projects/my-proj/locations/global/providers/twilio/connectors/sendgrid/versions/1'],
    ['a location other than global', 'projects/my-proj/locations/us-central1/providers/twilio/connectors/twilio/versions/1'],
    ['version 2', 'projects/my-proj/locations/global/providers/twilio/connectors/twilio/versions/2'],
    ['a short name', 'providers/twilio/connectors/twilio/versions/1'],
    ['an empty string', '']
  ])('naming %s is refused: 400 naming connection.connectorVersion', async (_, connectorVersion) => {
    await expectRefused(connectionBody(gateway, { connectorVersion }), ['connection.connectorVersion'])
  })

  it('is required', async () => {
    const { connectorVersion: _, ...body } = connectionBody(gateway)
    await expectRefused(body, ['connection.connectorVersion'])
  })

  it('may name any project', async () => {
    const connection = await created(gateway, freshId(), connectionBody(gateway, { connectorVersion: 'projects/another-project/locations/global/providers/twilio/connectors/twilio/versions/1' }))
    expect(connection.connectorVersion).toBe('projects/another-project/locations/global/providers/twilio/connectors/twilio/versions/1')
  })
})

describe('the credentials (authConfig)', () => {
  it('are required: 400 naming connection.authConfig', async () => {
    const { authConfig: _, ...body } = connectionBody(gateway)
    await expectRefused(body, ['connection.authConfig'])
  })

  it.each([
    ['OAUTH2_CLIENT_CREDENTIALS', { authType: 'OAUTH2_CLIENT_CREDENTIALS', oauth2ClientCredentials: { clientId: 'x', clientSecret: { secretVersion: 'projects/p/secrets/s/versions/1' } } }],
    ['AUTH_TYPE_UNSPECIFIED', { authType: 'AUTH_TYPE_UNSPECIFIED', userPassword: { username: 'AC5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47', password: { secretVersion: SANDBOX_TOKEN_VERSION } } }]
  ])('of type %s are refused: 400 naming connection.authConfig.authType', async (_, authConfig) => {
    const answer = await createConnection(gateway, freshId(), connectionBody(gateway, { authConfig }))
    expect(violatedFields(answer)).toContain('connection.authConfig.authType')
  })

  it.each([
    ['not a SID', 'twilio-user'],
    ['too short', 'AC123'],
    ['with non-hex characters', `AC${'z'.repeat(32)}`],
    ['a subaccount-style prefix that is not AC or SK', `PN${'a'.repeat(32)}`],
    ['empty', '']
  ])('with a username %s are refused: 400 naming connection.authConfig.userPassword.username', async (_, username) => {
    await expectRefused(connectionBody(gateway, { authConfig: auth(username) }), ['connection.authConfig.userPassword.username'])
  })

  it.each([
    ['a secret without a version', 'projects/my-proj/secrets/twilio-token'],
    ['a bare secret id', 'twilio-token'],
    ['version 0', 'projects/my-proj/secrets/twilio-token/versions/0'],
    ['a secret of another API', 'projects/my-proj/locations/global/keyRings/r'],
    ['an empty string', '']
  ])('whose password secretVersion is %s are refused: 400 naming …password.secretVersion', async (_, secretVersion) => {
    await expectRefused(connectionBody(gateway, { authConfig: auth(gateway.sandbox!.accountSid, secretVersion) }),
      ['connection.authConfig.userPassword.password.secretVersion'])
  })

  it('without a password are refused', async () => {
    const authConfig = { authType: 'USER_PASSWORD', userPassword: { username: gateway.sandbox!.accountSid } }
    await expectRefused(connectionBody(gateway, { authConfig }), ['connection.authConfig.userPassword.password.secretVersion'])
  })

  it('with an API key (SK…) need the account_sid config variable: 400 naming connection.configVariables', async () => {
    await expectRefused(connectionBody(gateway, { authConfig: auth(gateway.sandbox!.apiKey.sid) }), ['connection.configVariables'])
  })

  it('may use "latest" as the secret version', async () => {
    const connection = await created(gateway, freshId(), connectionBody(gateway, {
      authConfig: auth(gateway.sandbox!.accountSid, 'projects/local/secrets/sandbox-auth-token/versions/latest')
    }))
    expect(connection.status.state).toBe('ACTIVE')
  })
})

describe('config variables', () => {
  const withVariables = (...variables: Body[]): Body => connectionBody(gateway, { configVariables: [{ key: 'sandbox', boolValue: true }, ...variables] })

  it('refuse an unknown key: 400 naming its key', async () => {
    const answer = await createConnection(gateway, freshId(), withVariables({ key: 'project_id', stringValue: 'x' }))
    expect(violatedFields(answer)).toEqual(['connection.configVariables[1].key'])
    expect(fieldViolations(answer)[0]!.description).toContain('project_id')
  })

  it.each([
    ['proxy_enabled as a string', { key: 'proxy_enabled', stringValue: 'true' }],
    ['proxy_enabled as an int', { key: 'proxy_enabled', intValue: '1' }],
    ['sandbox as a string', { key: 'sandbox', stringValue: 'yes' }],
    ['proxy_user as a bool', { key: 'proxy_user', boolValue: true }],
    ['proxy_password as a string', { key: 'proxy_password', stringValue: 'hunter2' }],
    ['proxy_auth_scheme as a bool', { key: 'proxy_auth_scheme', boolValue: true }],
    ['account_sid with two kinds of value', { key: 'account_sid', stringValue: 'AC5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47', boolValue: true }]
  ])('refuse the wrong kind of value (%s): 400 naming the variable', async (_, variable) => {
    const answer = await createConnection(gateway, freshId(), connectionBody(gateway, { configVariables: [variable] }))
    expect(violatedFields(answer)).toEqual(['connection.configVariables[0]'])
  })

  it.each([
    ['proxy_auth_scheme', 'KERBEROS'],
    ['proxy_ssltype', 'SOMETIMES'],
    ['proxy_ssltype', 'always']
  ])('refuse %s = %s (not an enum option): 400 naming its stringValue', async (key, stringValue) => {
    const answer = await createConnection(gateway, freshId(), withVariables({ key, stringValue }))
    expect(violatedFields(answer)).toEqual(['connection.configVariables[1].stringValue'])
  })

  it.each([
    ['a string', { key: 'proxy_password', stringValue: 'hunter2' }, 'connection.configVariables[1]'],
    ['a malformed secret version', { key: 'proxy_password', secretValue: { secretVersion: 'projects/p/secrets/proxy' } }, 'connection.configVariables[1].secretValue.secretVersion']
  ])('refuse proxy_password as %s', async (_, variable, field) => {
    const answer = await createConnection(gateway, freshId(), withVariables(variable))
    expect(violatedFields(answer)).toEqual([field])
  })

  it.each([
    ['an API key SID', 'SK5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47'],
    ['too short', 'AC123'],
    ['lowercase prefix', 'ac5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47']
  ])('refuse an account_sid that is not AC… (%s): 400 naming its stringValue', async (_, stringValue) => {
    const answer = await createConnection(gateway, freshId(), withVariables({ key: 'account_sid', stringValue }))
    expect(violatedFields(answer)).toEqual(['connection.configVariables[1].stringValue'])
  })

  it('refuse a key given twice', async () => {
    const answer = await createConnection(gateway, freshId(), withVariables({ key: 'sandbox', boolValue: true }))
    expect(violatedFields(answer)).toEqual(['connection.configVariables[1].key'])
  })

  it('refuse a variable without a key (a shape error naming key)', async () => {
    const answer = await createConnection(gateway, freshId(), withVariables({ boolValue: true }))
    expect(violatedFields(answer)).toEqual(['connection.configVariables.1.key'])
  })
})

describe('destinations', () => {
  it('refuse a destination whose key is not proxy_server: 400 naming its key', async () => {
    const answer = await createConnection(gateway, freshId(), connectionBody(gateway, {
      destinationConfigs: [{ key: 'twilio_host', destinations: [{ host: 'api.twilio.com', port: 443 }] }]
    }))
    expect(violatedFields(answer)).toEqual(['connection.destinationConfigs[0].key'])
  })

  it('refuse proxy_enabled without a proxy_server destination: 400 naming connection.destinationConfigs', async () => {
    const answer = await createConnection(gateway, freshId(), connectionBody(gateway, {
      configVariables: [{ key: 'sandbox', boolValue: true }, { key: 'proxy_enabled', boolValue: true }]
    }))
    expect(violatedFields(answer)).toEqual(['connection.destinationConfigs'])
  })

  it('refuse a proxy_server without a host, or with a port out of range', async () => {
    const answer = await createConnection(gateway, freshId(), connectionBody(gateway, {
      destinationConfigs: [{ key: 'proxy_server', destinations: [{ port: 3128 }] }]
    }))
    expect(violatedFields(answer)).toEqual(['connection.destinationConfigs[0].destinations[0].host'])
    const port = await createConnection(gateway, freshId(), connectionBody(gateway, {
      destinationConfigs: [{ key: 'proxy_server', destinations: [{ host: 'proxy', port: 70000 }] }]
    }))
    expect(violatedFields(port)).toEqual(['connection.destinationConfigs[0].destinations[0].port'])
  })
})

describe('nodeConfig', () => {
  it.each([
    ['minNodeCount 0', { minNodeCount: 0, maxNodeCount: 5 }, ['connection.nodeConfig.minNodeCount']],
    ['minNodeCount 101', { minNodeCount: 101, maxNodeCount: 100 }, ['connection.nodeConfig.minNodeCount', 'connection.nodeConfig']],
    ['maxNodeCount 101', { minNodeCount: 2, maxNodeCount: 101 }, ['connection.nodeConfig.maxNodeCount']],
    ['a negative minNodeCount', { minNodeCount: -1, maxNodeCount: 5 }, ['connection.nodeConfig.minNodeCount']],
    ['min > max', { minNodeCount: 5, maxNodeCount: 4 }, ['connection.nodeConfig']]
  ])('refuses %s: 400 naming the count', async (_, nodeConfig, fields) => {
    await expectRefused(connectionBody(gateway, { nodeConfig }), fields)
  })

  it.each([
    [{ minNodeCount: 1, maxNodeCount: 1 }],
    [{ minNodeCount: 100, maxNodeCount: 100 }],
    [{ minNodeCount: 1, maxNodeCount: 100 }]
  ])('accepts %j (the bounds are 1 and 100)', async (nodeConfig) => {
    const connection = await created(gateway, freshId(), connectionBody(gateway, { nodeConfig }))
    expect(connection.nodeConfig).toEqual(nodeConfig)
  })

  it('fills what Terraform leaves out: only a minimum of 60 → maximum 60; only a maximum of 10 → minimum 2', async () => {
    expect((await created(gateway, freshId(), connectionBody(gateway, { nodeConfig: { minNodeCount: 60 } }))).nodeConfig)
      .toEqual({ minNodeCount: 60, maxNodeCount: 60 })
    expect((await created(gateway, freshId(), connectionBody(gateway, { nodeConfig: { maxNodeCount: 10 } }))).nodeConfig)
      .toEqual({ minNodeCount: 2, maxNodeCount: 10 })
  })
})

describe('other fields', () => {
  it('refuses an unknown top-level field, naming it in the message', async () => {
    const answer = await createConnection(gateway, freshId(), connectionBody(gateway, { proxyServer: 'proxy:3128' }))
    expect(violatedFields(answer)).toEqual(['connection.proxyServer'])
    expect(answer.body.error.message).toContain('proxyServer')
  })

  it('refuses an unknown nested field, naming its path', async () => {
    const answer = await createConnection(gateway, freshId(), connectionBody(gateway, { logConfig: { enabled: true, verbosity: 'high' } }))
    expect(violatedFields(answer)).toEqual(['connection.logConfig.verbosity'])
  })

  it.each([
    ['eventingEnablementType', { eventingEnablementType: 'EVENTING_AND_CONNECTION' }],
    ['ONLY_EVENTING', { eventingEnablementType: 'ONLY_EVENTING' }],
    ['eventingConfig', { eventingConfig: { enrichmentEnabled: true } }]
  ])('refuses eventing (%s): 400 naming connection.eventingEnablementType', async (_, extra) => {
    await expectRefused(connectionBody(gateway, extra), ['connection.eventingEnablementType'])
  })

  it.each([
    ['an uppercase key', 'Env'],
    ['a key starting with a digit', '1env'],
    ['a key with a dot', 'app.kubernetes.io'],
    ['a 64-character key', `a${'b'.repeat(63)}`]
  ])('refuses a label with %s: 400 naming the label', async (_, key) => {
    await expectRefused(connectionBody(gateway, { labels: { env: 'dev', [key]: 'x' } }), [`connection.labels.${key}`])
  })

  it('refuses a label value with uppercase letters', async () => {
    await expectRefused(connectionBody(gateway, { labels: { env: 'Dev' } }), ['connection.labels.env'])
  })

  it('refuses a serviceAccount that is not an e-mail address', async () => {
    await expectRefused(connectionBody(gateway, { serviceAccount: 'compute' }), ['connection.serviceAccount'])
  })

  it('refuses a body that is not a JSON object', async () => {
    const answer = await gateway.call('POST', `${V1}/connections?connectionId=${freshId()}`, '[1,2]', { 'content-type': 'application/json' })
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
  })

  it('ignores output-only fields in the body (name, status, createTime, …): they are neither errors nor stored', async () => {
    const id = freshId()
    const connection = await created(gateway, id, connectionBody(gateway, {
      name: 'projects/elsewhere/locations/x/connections/other',
      status: { state: 'ERROR', description: 'set by the client' },
      createTime: '2001-01-01T00:00:00Z',
      updateTime: '2001-01-01T00:00:00Z',
      connectionRevision: '42',
      serviceDirectory: 'projects/x/locations/y/namespaces/z/services/s',
      subscriptionType: 'PAID'
    }))
    expect(connection.name).toBe(`${PARENT}/connections/${id}`)
    expect(connection.status.state).toBe('ACTIVE')
    expect(connection.createTime).not.toBe('2001-01-01T00:00:00Z')
    expect(connection.connectionRevision).toBe('1')
    expect(connection).not.toHaveProperty('serviceDirectory')
    expect(connection).not.toHaveProperty('subscriptionType')
  })
})

describe('a body breaking several rules', () => {
  it('is answered with every violation at once', async () => {
    const answer = await createConnection(gateway, freshId(), {
      connectorVersion: 'projects/my-proj/locations/global/providers/twilio/connectors/twilio/versions/2',
      authConfig: { authType: 'USER_PASSWORD', userPassword: { username: 'me', password: { secretVersion: 'my-token' } } },
      configVariables: [{ key: 'proxy_enabled', boolValue: true }, { key: 'colour', stringValue: 'blue' }, { key: 'proxy_ssltype', stringValue: 'SOMETIMES' }],
      destinationConfigs: [{ key: 'upstream', destinations: [{ host: 'h' }] }],
      nodeConfig: { minNodeCount: 9, maxNodeCount: 3 },
      labels: { Env: 'dev' },
      eventingEnablementType: 'ONLY_EVENTING'
    })
    expect(violatedFields(answer).sort()).toEqual([
      'connection.authConfig.userPassword.password.secretVersion',
      'connection.authConfig.userPassword.username',
      'connection.configVariables[1].key',
      'connection.configVariables[2].stringValue',
      'connection.connectorVersion',
      'connection.destinationConfigs',
      'connection.destinationConfigs[0].key',
      'connection.eventingEnablementType',
      'connection.labels.Env',
      'connection.nodeConfig'
    ])
    for (const field of ['connectorVersion', 'username', 'secretVersion', 'colour', 'configVariables[2]', 'destinationConfigs[0]', 'nodeConfig', 'Env', 'eventing']) {
      expect(answer.body.error.message).toContain(field)
    }
  })

  it('reports every unknown or mistyped field at once', async () => {
    const answer = await createConnection(gateway, freshId(), connectionBody(gateway, { colour: 'blue', suspended: 'yes', nodeConfig: { minNodeCount: '2' } }))
    expect(violatedFields(answer).sort()).toEqual(['connection.colour', 'connection.nodeConfig.minNodeCount', 'connection.suspended'])
  })
})

describe('valid variants', () => {
  it('accepts every proxy variable with a proxy_server destination', async () => {
    const body = connectionBody(gateway, {
      configVariables: [
        { key: 'sandbox', boolValue: true },
        { key: 'proxy_enabled', boolValue: true },
        { key: 'proxy_auth_scheme', stringValue: 'DIGEST' },
        { key: 'proxy_user', stringValue: 'gateway' },
        { key: 'proxy_password', secretValue: { secretVersion: 'projects/my-proj/secrets/proxy-password/versions/1' } },
        { key: 'proxy_ssltype', stringValue: 'ALWAYS' }
      ],
      destinationConfigs: [{ key: 'proxy_server', destinations: [{ host: 'proxy.corp.example', port: 8080 }] }]
    })
    const connection = await created(gateway, freshId(), body)
    expect(connection.configVariables).toEqual(body.configVariables)
    expect(connection.destinationConfigs).toEqual(body.destinationConfigs)
  })

  it.each(['BASIC', 'DIGEST', 'NONE'])('accepts proxy_auth_scheme %s', async (stringValue) => {
    await created(gateway, freshId(), connectionBody(gateway, { configVariables: [{ key: 'proxy_auth_scheme', stringValue }] }))
  })

  it.each(['AUTO', 'ALWAYS', 'NEVER', 'TUNNEL'])('accepts proxy_ssltype %s', async (stringValue) => {
    await created(gateway, freshId(), connectionBody(gateway, { configVariables: [{ key: 'proxy_ssltype', stringValue }] }))
  })

  it('accepts an API key username with account_sid, and reaches Twilio with it', async () => {
    const { apiKey, accountSid } = gateway.sandbox!
    const secret = gateway.secrets.addVersion('projects/my-proj/secrets/api-key-secret', apiKey.secret)
    const id = freshId()
    const connection = await created(gateway, id, connectionBody(gateway, {
      authConfig: auth(apiKey.sid, secret),
      configVariables: [{ key: 'sandbox', boolValue: true }, { key: 'account_sid', stringValue: accountSid }]
    }))
    expect(connection.authConfig.userPassword.username).toBe(apiKey.sid)
    expect(connection.status.state).toBe('ACTIVE')
    expect((await gateway.call('GET', `/v2/${PARENT}/connections/${id}/entityTypes/Messages/entities?pageSize=1`)).status).toBe(200)
  })

  it('accepts region and edge', async () => {
    const configVariables = [{ key: 'sandbox', boolValue: true }, { key: 'region', stringValue: 'ie1' }, { key: 'edge', stringValue: 'dublin' }]
    const connection = await created(gateway, freshId(), connectionBody(gateway, { configVariables }))
    expect(connection.configVariables).toEqual(configVariables)
  })

  it.each([
    ['region', 'Ireland'],
    ['edge', 'dublin 1']
  ])('refuses a malformed %s', async (key, stringValue) => {
    const answer = await createConnection(gateway, freshId(), connectionBody(gateway, { configVariables: [{ key, stringValue }] }))
    expect(violatedFields(answer)).toEqual(['connection.configVariables[0].stringValue'])
  })

  it('accepts variables that arrive as their key alone (Terraform dropped false / "")', async () => {
    const configVariables = [{ key: 'sandbox', boolValue: true }, { key: 'proxy_enabled' }, { key: 'proxy_user' }, { key: 'account_sid' }]
    const connection = await created(gateway, freshId(), connectionBody(gateway, { configVariables }))
    expect(connection.configVariables).toEqual(configVariables)
  })

  it('accepts the minimal body Terraform sends (no config variables, no labels besides its own)', async () => {
    const connection = await created(gateway, freshId(), {
      connectorVersion: CONNECTOR_VERSION,
      authConfig: auth(gateway.sandbox!.accountSid),
      labels: { 'goog-terraform-provisioned': 'true' }
    })
    expect(connection).not.toHaveProperty('configVariables')
    expect(connection.labels).toEqual({ 'goog-terraform-provisioned': 'true' })
  })
})
