/**
 * PATCH with an update mask, as Terraform sends it (camelCase, only the changed fields, a masked field absent from
 * the body meaning "clear") and as other clients do (snake_case, nested paths, `*`): what changes, what does not,
 * the revision and times, and the masks and results that are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestGateway } from '../../helpers/gateway.js'
import {
  CONNECTION_TYPE, OPERATION_METADATA_TYPE, PARENT, TIMESTAMP,
  connectionBody, connectionUrl, created, expectRpcError, operationNamePattern, violatedFields, startTestGateway, type Body
} from './support.js'

let gateway: TestGateway

beforeAll(async () => {
  gateway = await startTestGateway({ sandbox: true })
})
afterAll(async () => {
  await gateway.close()
})

let next = 0

/** A new connection with a description, labels and node counts; answers its id and the created resource. */
async function fresh (extra: Body = {}): Promise<{ id: string, before: Body }> {
  const id = `upd-${++next}`
  const before = await created(gateway, id, connectionBody(gateway, {
    description: 'before',
    labels: { 'goog-terraform-provisioned': 'true', env: 'dev', team: 'a' },
    nodeConfig: { minNodeCount: 3, maxNodeCount: 9 },
    ...extra
  }))
  return { id, before }
}

async function patch (id: string, mask: string | undefined, body: Body): Promise<Body> {
  const query = mask === undefined ? 'alt=json' : `updateMask=${encodeURIComponent(mask)}&alt=json`
  const answer = await gateway.call('PATCH', `${connectionUrl(id)}?${query}`, body)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body
}

async function get (id: string): Promise<Body> {
  const answer = await gateway.call('GET', connectionUrl(id))
  expect(answer.status).toBe(200)
  return answer.body
}

/** `connection` without the fields an update always changes. */
function unchangedPart (connection: Body): Body {
  const { updateTime: _updateTime, connectionRevision: _revision, ...rest } = connection
  return rest
}

describe('the Operation', () => {
  it('is finished, with verb update, and its response is the updated Connection', async () => {
    const { id } = await fresh()
    const operation = await patch(id, 'description', { description: 'after' })
    const after = await get(id)
    expect(operation).toEqual({
      name: expect.stringMatching(operationNamePattern()),
      metadata: {
        '@type': OPERATION_METADATA_TYPE,
        createTime: expect.stringMatching(TIMESTAMP),
        endTime: expect.stringMatching(TIMESTAMP),
        target: `${PARENT}/connections/${id}`,
        verb: 'update',
        requestedCancellation: false,
        apiVersion: 'v1'
      },
      done: true,
      response: { '@type': CONNECTION_TYPE, ...after }
    })
  })

  it('bumps connectionRevision "1" → "2" → "3" (strings) and updateTime, never createTime', async () => {
    const { id, before } = await fresh()
    expect(before.connectionRevision).toBe('1')
    await patch(id, 'description', { description: 'second' })
    const second = await get(id)
    expect(second.connectionRevision).toBe('2')
    expect(second.createTime).toBe(before.createTime)
    expect(Date.parse(second.updateTime)).toBeGreaterThan(Date.parse(before.updateTime))
    await patch(id, 'labels', { labels: { env: 'prod' } })
    const third = await get(id)
    expect(third.connectionRevision).toBe('3')
    expect(third.createTime).toBe(before.createTime)
    expect(Date.parse(third.updateTime)).toBeGreaterThan(Date.parse(second.updateTime))
  })
})

describe('masks', () => {
  it('in camelCase, as Terraform sends them: description,labels', async () => {
    const { id, before } = await fresh()
    await patch(id, 'description,labels', { description: 'after', labels: { env: 'prod' } })
    const after = await get(id)
    expect(after.description).toBe('after')
    expect(after.labels).toEqual({ env: 'prod' })
    expect(after.nodeConfig).toEqual(before.nodeConfig)
    expect(after.authConfig).toEqual(before.authConfig)
  })

  it('in snake_case: config_variables,auth_config', async () => {
    const { id, before } = await fresh()
    const secretVersion = gateway.secrets.addVersion('projects/my-proj/secrets/rotated-token', gateway.sandbox!.authToken)
    const configVariables = [{ key: 'sandbox', boolValue: true }, { key: 'region', stringValue: 'ie1' }]
    const authConfig = { authType: 'USER_PASSWORD', userPassword: { username: gateway.sandbox!.accountSid, password: { secretVersion } } }
    await patch(id, 'config_variables,auth_config', { configVariables, authConfig, description: 'ignored' })
    const after = await get(id)
    expect(after.configVariables).toEqual(configVariables)
    expect(after.authConfig).toEqual(authConfig)
    expect(after.description).toBe(before.description)
    expect(after.status.state).toBe('ACTIVE')
  })

  it('with every Terraform field in its order, camelCase, spaces around commas tolerated', async () => {
    const { id } = await fresh()
    await patch(id, 'description, configVariables, logConfig ,labels', {
      description: 'all',
      configVariables: [{ key: 'sandbox', boolValue: true }, { key: 'proxy_enabled' }],
      logConfig: { enabled: true, level: 'INFO' },
      labels: { env: 'qa' }
    })
    const after = await get(id)
    expect(after.description).toBe('all')
    expect(after.configVariables).toEqual([{ key: 'sandbox', boolValue: true }, { key: 'proxy_enabled' }])
    expect(after.logConfig).toEqual({ enabled: true, level: 'INFO' })
    expect(after.labels).toEqual({ env: 'qa' })
  })

  it('nested: node_config.min_node_count changes only the minimum', async () => {
    const { id } = await fresh()
    await patch(id, 'node_config.min_node_count', { nodeConfig: { minNodeCount: 5, maxNodeCount: 90 } })
    expect((await get(id)).nodeConfig).toEqual({ minNodeCount: 5, maxNodeCount: 9 })
  })

  it('nested: nodeConfig.maxNodeCount in camelCase', async () => {
    const { id } = await fresh()
    await patch(id, 'nodeConfig.maxNodeCount', { nodeConfig: { maxNodeCount: 12 } })
    expect((await get(id)).nodeConfig).toEqual({ minNodeCount: 3, maxNodeCount: 12 })
  })

  it('nested: labels.env changes one label and keeps the others', async () => {
    const { id } = await fresh()
    await patch(id, 'labels.env', { labels: { env: 'prod', team: 'ignored' } })
    expect((await get(id)).labels).toEqual({ 'goog-terraform-provisioned': 'true', env: 'prod', team: 'a' })
  })

  it('nested: labels.env absent from the body removes that label only', async () => {
    const { id } = await fresh()
    await patch(id, 'labels.env', { labels: { team: 'ignored' } })
    expect((await get(id)).labels).toEqual({ 'goog-terraform-provisioned': 'true', team: 'a' })
  })

  it('*: replaces every settable field with the body (fields absent from it are cleared)', async () => {
    const { id, before } = await fresh({ logConfig: { enabled: true, level: 'DEBUG' } })
    const body = connectionBody(gateway, { labels: { env: 'replaced' } })
    await patch(id, '*', body)
    const after = await get(id)
    expect(after).toEqual({
      ...body,
      name: before.name,
      createTime: before.createTime,
      updateTime: expect.stringMatching(TIMESTAMP),
      nodeConfig: { minNodeCount: 2, maxNodeCount: 50 },
      status: { state: 'ACTIVE', description: expect.any(String) },
      connectionRevision: '2',
      connectorVersionLaunchStage: 'GA',
      connectorVersionInfraConfig: before.connectorVersionInfraConfig
    })
    expect(after).not.toHaveProperty('description')
    expect(after).not.toHaveProperty('logConfig')
  })
})

describe('a masked field absent from the body is cleared', () => {
  it('suspended (Terraform turning suspended back to false sends mask suspended and no suspended)', async () => {
    const { id } = await fresh({ suspended: true })
    expect((await get(id)).suspended).toBe(true)
    const operation = await patch(id, 'suspended', { description: 'not masked' })
    expect([undefined, false]).toContain(operation.response.suspended)
    const after = await get(id)
    expect([undefined, false]).toContain(after.suspended)
    expect(after.description).toBe('before')
  })

  it('description', async () => {
    const { id } = await fresh()
    await patch(id, 'description', {})
    expect(await get(id)).not.toHaveProperty('description')
  })

  it('labels', async () => {
    const { id } = await fresh()
    await patch(id, 'labels', {})
    expect(await get(id)).not.toHaveProperty('labels')
  })

  it('node_config: back to the defaults', async () => {
    const { id } = await fresh()
    await patch(id, 'node_config', {})
    expect((await get(id)).nodeConfig).toEqual({ minNodeCount: 2, maxNodeCount: 50 })
  })

  it('config_variables and log_config', async () => {
    const { id } = await fresh({ logConfig: { enabled: true, level: 'INFO' } })
    await patch(id, 'config_variables,log_config', {})
    const after = await get(id)
    expect(after).not.toHaveProperty('configVariables')
    expect(after).not.toHaveProperty('logConfig')
  })
})

describe('fields not in the mask', () => {
  it('are untouched even when the body carries them', async () => {
    const { id, before } = await fresh()
    await patch(id, 'description', {
      description: 'after',
      labels: { env: 'other' },
      suspended: true,
      nodeConfig: { minNodeCount: 1, maxNodeCount: 1 },
      configVariables: [{ key: 'sandbox', boolValue: true }, { key: 'region', stringValue: 'ie1' }]
    })
    const after = await get(id)
    expect(unchangedPart(after)).toEqual({ ...unchangedPart(before), description: 'after' })
    expect(after).not.toHaveProperty('suspended')
  })

  it('output-only fields in the body are ignored, not errors', async () => {
    const { id, before } = await fresh()
    await patch(id, 'description', { description: 'after', name: 'projects/x/locations/y/connections/z', status: { state: 'ERROR' }, createTime: '2001-01-01T00:00:00Z', connectionRevision: '99' })
    const after = await get(id)
    expect(after.name).toBe(before.name)
    expect(after.createTime).toBe(before.createTime)
    expect(after.status.state).toBe('ACTIVE')
    expect(after.connectionRevision).toBe('2')
  })
})

describe('refused updates', () => {
  it.each([
    ['no updateMask', undefined],
    ['an empty updateMask', ''],
    ['only commas', ' , ']
  ])('%s: 400 naming updateMask', async (_, mask) => {
    const { id } = await fresh()
    const query = mask === undefined ? '' : `?updateMask=${encodeURIComponent(mask)}`
    const answer = await gateway.call('PATCH', `${connectionUrl(id)}${query}`, { description: 'x' })
    expect(violatedFields(answer)).toEqual(['updateMask'])
    expect((await get(id)).connectionRevision).toBe('1')
  })

  it.each([
    ['an unknown field', 'colour'],
    ['a misspelt field', 'descripton'],
    ['an unknown field among known ones', 'description,colour'],
    ['an unknown nested field', 'node_config.max_nodes'],
    ['a path into a string', 'description.text'],
    ['output-only status', 'status'],
    ['output-only connection_revision', 'connection_revision'],
    ['output-only createTime', 'createTime'],
    ['output-only update_time', 'update_time'],
    ['output-only name', 'name'],
    ['output-only status.state', 'status.state']
  ])('%s (%s): 400 naming updateMask, the connection unchanged', async (_, mask) => {
    const { id, before } = await fresh()
    const answer = await gateway.call('PATCH', `${connectionUrl(id)}?updateMask=${encodeURIComponent(mask)}`, { description: 'changed' })
    expect(violatedFields(answer)).toEqual(['updateMask'])
    expect(answer.body.error.message).toContain(mask.split(',').pop()!.split('.')[0])
    expect(await get(id)).toEqual(before)
  })

  it('the merged result is validated: mask auth_config with a body without authConfig → 400, nothing changed', async () => {
    const { id, before } = await fresh()
    const answer = await gateway.call('PATCH', `${connectionUrl(id)}?updateMask=auth_config`, {})
    expect(violatedFields(answer)).toEqual(['connection.authConfig'])
    expect(await get(id)).toEqual(before)
  })

  it('the merged result is validated: proxy_enabled without a proxy_server destination', async () => {
    const { id, before } = await fresh()
    const answer = await gateway.call('PATCH', `${connectionUrl(id)}?updateMask=configVariables`, {
      configVariables: [{ key: 'sandbox', boolValue: true }, { key: 'proxy_enabled', boolValue: true }]
    })
    expect(violatedFields(answer)).toEqual(['connection.destinationConfigs'])
    expect(await get(id)).toEqual(before)
  })

  it('the merged result is validated: a nested minimum above the stored maximum', async () => {
    const { id } = await fresh()
    const answer = await gateway.call('PATCH', `${connectionUrl(id)}?updateMask=node_config.min_node_count`, { nodeConfig: { minNodeCount: 10 } })
    expect(violatedFields(answer)).toEqual(['connection.nodeConfig'])
  })

  it('an unknown field in the body: 400 naming it', async () => {
    const { id } = await fresh()
    const answer = await gateway.call('PATCH', `${connectionUrl(id)}?updateMask=description`, { description: 'x', colour: 'blue' })
    expect(violatedFields(answer)).toEqual(['connection.colour'])
  })

  it('an unknown connection: 404 NOT_FOUND', async () => {
    const answer = await gateway.call('PATCH', `${connectionUrl('no-such-connection')}?updateMask=description`, { description: 'x' })
    expectRpcError(answer, 404, 'NOT_FOUND')
    expect(answer.body.error.message).toContain(`${PARENT}/connections/no-such-connection`)
  })
})
