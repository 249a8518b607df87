/**
 * Connection create / get / list / delete as Terraform and other clients use them: the exact Operation JSON, the
 * Connection answered exactly as it was sent, list filters, ordering and paging, namespaces, conflicts, and the
 * runtime following the management API at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestGateway } from '../../helpers/gateway.js'
import {
  CONNECTION_TYPE, CONNECTOR_VERSION, EMPTY_TYPE, LOCATION, OPERATION_METADATA_TYPE, PARENT, PROJECT, SANDBOX_TOKEN_VERSION, TIMESTAMP, V1,
  connectionBody, connectionUrl, createConnection, created, expectRpcError, operationNamePattern, runtimeUrl, tamperedToken, violatedFields,
  startTestGateway, type Body
} from './support.js'

let gateway: TestGateway

beforeAll(async () => {
  gateway = await startTestGateway({ sandbox: true })
})
afterAll(async () => {
  await gateway.close()
})

/** What the gateway adds to every Connection it answers. */
function serverFields (name: string): Body {
  return {
    name,
    createTime: expect.stringMatching(TIMESTAMP),
    updateTime: expect.stringMatching(TIMESTAMP),
    status: { state: 'ACTIVE', description: expect.any(String) },
    connectionRevision: '1',
    connectorVersionLaunchStage: 'GA',
    connectorVersionInfraConfig: { ratelimitThreshold: '25' }
  }
}

describe('create', () => {
  let operation: Body
  let body: Body

  beforeAll(async () => {
    body = connectionBody(gateway)
    const answer = await gateway.call('POST', `${V1}/connections?connectionId=twilio-1&alt=json`, body)
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    operation = answer.body
  })

  it('answers a finished Operation in the exact JSON of google.longrunning.Operation', async () => {
    const get = await gateway.call('GET', connectionUrl('twilio-1'))
    expect(get.status).toBe(200)
    expect(operation).toEqual({
      name: expect.stringMatching(operationNamePattern()),
      metadata: {
        '@type': OPERATION_METADATA_TYPE,
        createTime: expect.stringMatching(TIMESTAMP),
        endTime: expect.stringMatching(TIMESTAMP),
        target: `${PARENT}/connections/twilio-1`,
        verb: 'create',
        requestedCancellation: false,
        apiVersion: 'v1'
      },
      done: true,
      response: { '@type': CONNECTION_TYPE, ...get.body }
    })
    expect(Date.parse(operation.metadata.endTime)).toBeGreaterThanOrEqual(Date.parse(operation.metadata.createTime))
  })

  it('stores the connection: GET answers it with the server fields and the status Terraform waits on', async () => {
    const answer = await gateway.call('GET', `${connectionUrl('twilio-1')}?alt=json`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({
      ...body,
      ...serverFields(`${PARENT}/connections/twilio-1`),
      nodeConfig: { minNodeCount: 2, maxNodeCount: 50 }
    })
    expect(answer.body.createTime).toBe(answer.body.updateTime)
  })

  it('answers the same resource for view BASIC, FULL and CONNECTION_VIEW_UNSPECIFIED', async () => {
    const plain = await gateway.call('GET', connectionUrl('twilio-1'))
    for (const view of ['BASIC', 'FULL', 'CONNECTION_VIEW_UNSPECIFIED']) {
      const answer = await gateway.call('GET', `${connectionUrl('twilio-1')}?view=${view}`)
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual(plain.body)
    }
  })

  it('serves the runtime API of the new connection at once', async () => {
    const answer = await gateway.call('GET', runtimeUrl('twilio-1'))
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body.entities).toHaveLength(1)
    expect(answer.body.entities[0].name).toMatch(new RegExp(`^${PARENT}/connections/twilio-1/entityTypes/Messages/entities/SM[0-9a-f]{32}$`))
  })

  it('refuses a second connection with the same id: 409 ALREADY_EXISTS, the first one unchanged', async () => {
    const before = await gateway.call('GET', connectionUrl('twilio-1'))
    const answer = await createConnection(gateway, 'twilio-1', connectionBody(gateway, { description: 'another', labels: { env: 'prod' } }))
    expectRpcError(answer, 409, 'ALREADY_EXISTS')
    expect(answer.body.error.message).toContain(`${PARENT}/connections/twilio-1`)
    expect(await gateway.call('GET', connectionUrl('twilio-1'))).toEqual(before)
  })
})

describe('round-trip fidelity', () => {
  /** Every field a Terraform user can set, with nested and secret values. */
  const everything = (): Body => ({
    description: 'Twilio for the support team',
    connectorVersion: CONNECTOR_VERSION,
    authConfig: {
      authType: 'USER_PASSWORD',
      authKey: 'user-password',
      userPassword: { username: gateway.sandbox!.accountSid, password: { secretVersion: SANDBOX_TOKEN_VERSION } },
      additionalVariables: [
        { key: 'tenant', stringValue: 'support' },
        { key: 'retries', intValue: '3' },
        { key: 'verbose', boolValue: true },
        { key: 'signing_key', secretValue: { secretVersion: 'projects/my-proj/secrets/signing-key/versions/4' } },
        { key: 'cmek', encryptionKeyValue: { type: 'CUSTOMER_MANAGED', kmsKeyName: 'projects/my-proj/locations/us/keyRings/r/cryptoKeys/k' } }
      ]
    },
    configVariables: [
      { key: 'sandbox', boolValue: true },
      { key: 'proxy_enabled', boolValue: true },
      { key: 'proxy_auth_scheme', stringValue: 'BASIC' },
      { key: 'proxy_user', stringValue: 'gateway' },
      { key: 'proxy_password', secretValue: { secretVersion: 'projects/my-proj/secrets/proxy-password/versions/latest' } },
      { key: 'proxy_ssltype', stringValue: 'TUNNEL' },
      // Terraform drops `false`, `0` and `""`: this is `region = ""`.
      { key: 'region' }
    ],
    destinationConfigs: [{ key: 'proxy_server', destinations: [{ host: 'proxy.internal.example', port: 3128 }] }],
    labels: { 'goog-terraform-provisioned': 'true', env: 'dev', team: 'support' },
    lockConfig: { locked: false, reason: 'not frozen' },
    logConfig: { enabled: true, level: 'ERROR' },
    sslConfig: { type: 'TLS', trustModel: 'PRIVATE', privateServerCertificate: { secretVersion: 'projects/my-proj/secrets/ca/versions/2' }, serverCertType: 'PEM', useSsl: true },
    serviceAccount: '123456789-compute@developer.gserviceaccount.com',
    nodeConfig: { minNodeCount: 3, maxNodeCount: 7 },
    authOverrideEnabled: true
  })

  it('answers every field the user set exactly as sent, on the operation, on GET and in the list', async () => {
    const body = everything()
    const connection = await created(gateway, 'everything', body)
    // The proxy it names does not exist (nor does its password secret), so the probe leaves it in ERROR: what is
    // stored and answered is still exactly what was sent.
    const expected = {
      ...body,
      ...serverFields(`${PARENT}/connections/everything`),
      status: { state: 'ERROR', description: expect.stringContaining('projects/my-proj/secrets/proxy-password/versions/latest') }
    }
    expect(connection).toEqual(expected)
    const get = await gateway.call('GET', connectionUrl('everything'))
    expect(get.body).toEqual(expected)
    const list = await gateway.call('GET', `${V1}/connections?filter=${encodeURIComponent('name = "everything"')}`)
    expect(list.body.connections).toEqual([expected])
  })

  it('keeps the order of config variables and of additional variables', async () => {
    const get = await gateway.call('GET', connectionUrl('everything'))
    expect(get.body.configVariables.map((variable: Body) => variable.key))
      .toEqual(['sandbox', 'proxy_enabled', 'proxy_auth_scheme', 'proxy_user', 'proxy_password', 'proxy_ssltype', 'region'])
    expect(get.body.authConfig.additionalVariables.map((variable: Body) => variable.key))
      .toEqual(['tenant', 'retries', 'verbose', 'signing_key', 'cmek'])
  })

  it('echoes a config variable that arrived as its key alone, as it came', async () => {
    const body = connectionBody(gateway, { configVariables: [{ key: 'sandbox', boolValue: true }, { key: 'proxy_enabled' }] })
    const connection = await created(gateway, 'key-alone', body)
    expect(connection.configVariables).toEqual([{ key: 'sandbox', boolValue: true }, { key: 'proxy_enabled' }])
    const get = await gateway.call('GET', connectionUrl('key-alone'))
    expect(get.body.configVariables).toEqual([{ key: 'sandbox', boolValue: true }, { key: 'proxy_enabled' }])
  })

  it('answers nodeConfig with the defaults (2 and 50) when none was sent, and connectionRevision as a string', async () => {
    const get = await gateway.call('GET', connectionUrl('twilio-1'))
    expect(get.body.nodeConfig).toEqual({ minNodeCount: 2, maxNodeCount: 50 })
    expect(get.body.connectionRevision).toBe('1')
  })
})

describe('int64 values sent as JSON numbers are answered as strings', () => {
  const cases: Array<[string, (gateway: TestGateway) => Body, (connection: Body) => unknown, unknown]> = [
    ['authConfig.additionalVariables[].intValue',
      (gateway) => connectionBody(gateway, { authConfig: { ...connectionBody(gateway).authConfig, additionalVariables: [{ key: 'retries', intValue: 3 }] } }),
      (connection) => connection.authConfig.additionalVariables,
      [{ key: 'retries', intValue: '3' }]],
    ['sslConfig.additionalVariables[].intValue',
      (gateway) => connectionBody(gateway, { sslConfig: { type: 'TLS', additionalVariables: [{ key: 'handshake_timeout', intValue: 30 }] } }),
      (connection) => connection.sslConfig.additionalVariables,
      [{ key: 'handshake_timeout', intValue: '30' }]],
    ['euaOauthAuthConfig.additionalVariables[].intValue',
      (gateway) => connectionBody(gateway, { euaOauthAuthConfig: { authType: 'OAUTH2_AUTH_CODE_FLOW', additionalVariables: [{ key: 'ttl', intValue: 600 }] } }),
      (connection) => connection.euaOauthAuthConfig.additionalVariables,
      [{ key: 'ttl', intValue: '600' }]],
    ['trafficShapingConfigs[].quotaLimit',
      (gateway) => connectionBody(gateway, { trafficShapingConfigs: [{ quotaLimit: 100, duration: '60s' }] }),
      (connection) => connection.trafficShapingConfigs,
      [{ quotaLimit: '100', duration: '60s' }]],
    ['adminFilters[].intValue',
      (gateway) => connectionBody(gateway, { adminFilters: [{ filterKey: 'priority', filterType: 'INCLUSION', intValue: 4 }] }),
      (connection) => connection.adminFilters,
      [{ filterKey: 'priority', filterType: 'INCLUSION', intValue: '4' }]]
  ]

  cases.forEach(([field, body, pick, expected], index) => {
    it(field, async () => {
      const id = `int64-${index}`
      const connection = await created(gateway, id, body(gateway))
      expect(pick(connection)).toEqual(expected)
      const get = await gateway.call('GET', connectionUrl(id))
      expect(pick(get.body)).toEqual(expected)
    })
  })
})

describe('list', () => {
  const parent = `projects/${PROJECT}/locations/europe-west1`
  const list = async (query: Record<string, string> = {}): Promise<Body> => {
    const answer = await gateway.call('GET', `/v1/${parent}/connections?${new URLSearchParams(query).toString()}`)
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    return answer.body
  }
  const ids = (answer: Body): string[] => answer.connections.map((connection: Body) => connection.name.split('/').pop())

  // Created out of alphabetical order, so that creation order and name order differ.
  const connections: Array<[string, Record<string, string>]> = [
    ['charlie', { env: 'dev' }],
    ['alpha', { env: 'dev', team: 'a' }],
    ['echo', { env: 'staging' }],
    ['bravo', { env: 'prod', team: 'b' }],
    ['delta', { team: 'a' }]
  ]

  beforeAll(async () => {
    for (const [id, labels] of connections) {
      await created(gateway, id, connectionBody(gateway, { labels: { 'goog-terraform-provisioned': 'true', ...labels } }), parent)
    }
  })

  it('answers connections, nextPageToken and unreachable, in name order by default', async () => {
    const answer = await list()
    expect(Object.keys(answer).sort()).toEqual(['connections', 'nextPageToken', 'unreachable'])
    expect(ids(answer)).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo'])
    expect(answer.nextPageToken).toBe('')
    expect(answer.unreachable).toEqual([])
    for (const connection of answer.connections) {
      expect(connection).toEqual((await gateway.call('GET', `/v1/${connection.name}`)).body)
    }
  })

  it('answers an empty list for a location without connections', async () => {
    const answer = await gateway.call('GET', `/v1/projects/${PROJECT}/locations/asia-east1/connections`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ connections: [], nextPageToken: '', unreachable: [] })
  })

  it.each([
    ['labels.env = "dev"', ['alpha', 'charlie']],
    ['labels.env="dev"', ['alpha', 'charlie']],
    ['labels.env:*', ['alpha', 'bravo', 'charlie', 'echo']],
    ['labels.team = "a"', ['alpha', 'delta']],
    ['labels.env != "dev"', ['bravo', 'delta', 'echo']],
    ['name = "bravo"', ['bravo']],
    [`name = "${parent}/connections/bravo"`, ['bravo']],
    ['name = "projects/other/locations/europe-west1/connections/bravo"', []],
    ['labels.env = "dev" AND labels.team = "a"', ['alpha']],
    ['labels.env = "prod" OR labels.team = "a"', ['alpha', 'bravo', 'delta']],
    ['NOT labels.env = "dev"', ['bravo', 'delta', 'echo']],
    ['-labels.env:*', ['delta']],
    ['(labels.env = "dev" OR labels.env = "prod") AND NOT labels.team = "b"', ['alpha', 'charlie']],
    ['labels.goog-terraform-provisioned = "true"', ['alpha', 'bravo', 'charlie', 'delta', 'echo']],
    ['labels.env = "nobody"', []]
  ])('filter %s', async (filter, expected) => {
    expect(ids(await list({ filter }))).toEqual(expected)
  })

  it.each([
    ['unknown_field = "x"'],
    ['labels.env = '],
    ['(labels.env = "dev"'],
    ['labels.env = "dev" AND']
  ])('refuses the malformed filter %s: 400 naming filter', async (filter) => {
    const answer = await gateway.call('GET', `/v1/${parent}/connections?filter=${encodeURIComponent(filter)}`)
    expect(violatedFields(answer)).toEqual(['filter'])
  })

  it.each([
    ['name desc', ['echo', 'delta', 'charlie', 'bravo', 'alpha']],
    ['name', ['alpha', 'bravo', 'charlie', 'delta', 'echo']],
    ['name asc', ['alpha', 'bravo', 'charlie', 'delta', 'echo']],
    ['labels.env, name desc', ['delta', 'charlie', 'alpha', 'bravo', 'echo']]
  ])('orderBy %s', async (orderBy, expected) => {
    expect(ids(await list({ orderBy }))).toEqual(expected)
  })

  it('orderBy createTime (and createTime desc): creation order, not name order', async () => {
    const answer = await list({ orderBy: 'createTime' })
    const times = answer.connections.map((connection: Body) => connection.createTime as string)
    expect([...times].sort()).toEqual(times)
    // Created one after the other, each after a round trip to Twilio: distinct times, in creation order.
    expect(new Set(times).size).toBe(times.length)
    expect(ids(answer)).toEqual(connections.map(([id]) => id))
    expect(ids(await list({ orderBy: 'createTime desc' }))).toEqual(connections.map(([id]) => id).reverse())
  })

  it('refuses an orderBy on an unknown field: 400 naming orderBy', async () => {
    const answer = await gateway.call('GET', `/v1/${parent}/connections?orderBy=${encodeURIComponent('color desc')}`)
    expect(violatedFields(answer)).toEqual(['orderBy'])
  })

  it('pages with pageSize and pageToken: every connection exactly once, in order', async () => {
    const seen: string[] = []
    let pageToken = ''
    let pages = 0
    do {
      const answer = await list({ pageSize: '2', ...(pageToken ? { pageToken } : {}) })
      expect(answer.connections.length).toBeLessThanOrEqual(2)
      seen.push(...ids(answer))
      pageToken = answer.nextPageToken
      pages++
    } while (pageToken)
    expect(pages).toBe(3)
    expect(seen).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo'])
  })

  it('pages through a filtered, ordered list', async () => {
    const query = { filter: 'labels.env:*', orderBy: 'name desc', pageSize: '3' }
    const first = await list(query)
    expect(ids(first)).toEqual(['echo', 'charlie', 'bravo'])
    const second = await list({ ...query, pageToken: first.nextPageToken })
    expect(ids(second)).toEqual(['alpha'])
    expect(second.nextPageToken).toBe('')
  })

  it('refuses a tampered page token, and a token used with another filter: 400 naming pageToken', async () => {
    const { nextPageToken } = await list({ pageSize: '2' })
    expect(nextPageToken).not.toBe('')
    const queries: Array<Record<string, string>> = [
      { pageSize: '2', pageToken: tamperedToken(nextPageToken) },
      { pageSize: '2', pageToken: 'not-a-token' },
      { pageSize: '2', pageToken: nextPageToken, filter: 'labels.env = "dev"' }
    ]
    for (const query of queries) {
      const answer = await gateway.call('GET', `/v1/${parent}/connections?${new URLSearchParams(query).toString()}`)
      expect(violatedFields(answer)).toEqual(['pageToken'])
    }
  })
})

describe('namespaces', () => {
  it('keeps locations and projects apart: the same id in each, listed and deleted separately', async () => {
    const parents = [`projects/${PROJECT}/locations/northamerica-northeast1`, `projects/${PROJECT}/locations/southamerica-east1`, `projects/other-proj/locations/northamerica-northeast1`]
    for (const [index, parent] of parents.entries()) {
      await created(gateway, 'shared-id', connectionBody(gateway, { description: `copy ${index}` }), parent)
    }
    for (const [index, parent] of parents.entries()) {
      const answer = await gateway.call('GET', `/v1/${parent}/connections`)
      expect(answer.body.connections.map((connection: Body) => [connection.name, connection.description]))
        .toEqual([[`${parent}/connections/shared-id`, `copy ${index}`]])
    }
    const deleted = await gateway.call('DELETE', connectionUrl('shared-id', parents[0]))
    expect(deleted.status).toBe(200)
    expect((await gateway.call('GET', connectionUrl('shared-id', parents[0]))).status).toBe(404)
    expect((await gateway.call('GET', connectionUrl('shared-id', parents[1]))).status).toBe(200)
    expect((await gateway.call('GET', connectionUrl('shared-id', parents[2]))).status).toBe(200)
    expect((await gateway.call('GET', runtimeUrl('shared-id', parents[2]))).status).toBe(200)
  })

  it('does not answer a connection under another location or project', async () => {
    expectRpcError(await gateway.call('GET', connectionUrl('twilio-1', `projects/${PROJECT}/locations/us-east1`)), 404, 'NOT_FOUND')
    expectRpcError(await gateway.call('GET', connectionUrl('twilio-1', `projects/other-proj/locations/${LOCATION}`)), 404, 'NOT_FOUND')
  })
})

describe('delete', () => {
  beforeAll(async () => {
    await created(gateway, 'to-delete', connectionBody(gateway))
  })

  it('answers a finished Operation whose response is google.protobuf.Empty', async () => {
    expect((await gateway.call('GET', runtimeUrl('to-delete'))).status).toBe(200)
    const answer = await gateway.call('DELETE', `${connectionUrl('to-delete')}?alt=json`)
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body).toEqual({
      name: expect.stringMatching(operationNamePattern()),
      metadata: {
        '@type': OPERATION_METADATA_TYPE,
        createTime: expect.stringMatching(TIMESTAMP),
        endTime: expect.stringMatching(TIMESTAMP),
        target: `${PARENT}/connections/to-delete`,
        verb: 'delete',
        requestedCancellation: false,
        apiVersion: 'v1'
      },
      done: true,
      response: { '@type': EMPTY_TYPE }
    })
  })

  it('then GET answers 404 NOT_FOUND and the list no longer holds it', async () => {
    const answer = await gateway.call('GET', connectionUrl('to-delete'))
    expectRpcError(answer, 404, 'NOT_FOUND')
    expect(answer.body.error.message).toContain(`${PARENT}/connections/to-delete`)
    const list = await gateway.call('GET', `${V1}/connections?pageSize=1000`)
    expect(list.body.connections.map((connection: Body) => connection.name)).not.toContain(`${PARENT}/connections/to-delete`)
  })

  it('then the runtime answers 404 NOT_FOUND at once', async () => {
    expectRpcError(await gateway.call('GET', runtimeUrl('to-delete')), 404, 'NOT_FOUND')
    expectRpcError(await gateway.call('GET', `/v2/${PARENT}/connections/to-delete/entityTypes`), 404, 'NOT_FOUND')
  })

  it('accepts force=true (there are never child resources to cascade to)', async () => {
    await created(gateway, 'forced', connectionBody(gateway))
    const answer = await gateway.call('DELETE', `${connectionUrl('forced')}?force=true`)
    expect(answer.status).toBe(200)
    expect(answer.body.response).toEqual({ '@type': EMPTY_TYPE })
    expectRpcError(await gateway.call('GET', connectionUrl('forced')), 404, 'NOT_FOUND')
  })

  it('answers 404 NOT_FOUND for a connection that does not exist (or no longer does)', async () => {
    expectRpcError(await gateway.call('DELETE', connectionUrl('to-delete')), 404, 'NOT_FOUND')
    expectRpcError(await gateway.call('DELETE', connectionUrl('never-existed')), 404, 'NOT_FOUND')
  })

  it('lets the id be used again', async () => {
    const connection = await created(gateway, 'to-delete', connectionBody(gateway, { description: 'second life' }))
    expect(connection.description).toBe('second life')
    expect(connection.connectionRevision).toBe('1')
    expect((await gateway.call('GET', runtimeUrl('to-delete'))).status).toBe(200)
  })
})

describe("Google's system query parameters", () => {
  const system = 'alt=json&prettyPrint=false&%24.xgafv=2'

  it('are accepted and ignored by create, get, list, patch and delete', async () => {
    const create = await gateway.call('POST', `${V1}/connections?connectionId=system-params&${system}`, connectionBody(gateway))
    expect(create.status, JSON.stringify(create.body)).toBe(200)
    const get = await gateway.call('GET', `${connectionUrl('system-params')}?${system}`)
    expect(get.status).toBe(200)
    expect(get.body).toEqual((await gateway.call('GET', connectionUrl('system-params'))).body)
    const list = await gateway.call('GET', `${V1}/connections?${system}&prettyPrint=true&filter=${encodeURIComponent('name = "system-params"')}`)
    expect(list.status).toBe(200)
    expect(list.body.connections).toEqual([get.body])
    const patch = await gateway.call('PATCH', `${connectionUrl('system-params')}?updateMask=description&${system}`, { description: 'patched' })
    expect(patch.status, JSON.stringify(patch.body)).toBe(200)
    expect(patch.body.response.description).toBe('patched')
    const operation = await gateway.call('GET', `/v1/${patch.body.name as string}?${system}`)
    expect(operation.body).toEqual(patch.body)
    const remove = await gateway.call('DELETE', `${connectionUrl('system-params')}?${system}`)
    expect(remove.status).toBe(200)
  })
})
