/**
 * The read-only catalogue: providers / connectors / versions for `providers/twilio/connectors/twilio/versions/1`,
 * with the templates a console or client builds its form from (and which the validation enforces), and 404 for
 * everything else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestGateway } from '../../helpers/gateway.js'
import { connectionBody, created, expectRpcError, startTestGateway, type Body } from './support.js'

const GLOBAL = 'projects/any/locations/global'
const PROVIDER = `${GLOBAL}/providers/twilio`
const CONNECTOR = `${PROVIDER}/connectors/twilio`
const VERSION = `${CONNECTOR}/versions/1`

let gateway: TestGateway

beforeAll(async () => {
  gateway = await startTestGateway({ sandbox: true })
})
afterAll(async () => {
  await gateway.close()
})

async function get (path: string): Promise<Body> {
  const answer = await gateway.call('GET', `/v1/${path}?alt=json`)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body
}

describe('lists and gets', () => {
  it('providers: the twilio provider, named under the caller\'s project', async () => {
    const list = await get(`${GLOBAL}/providers`)
    expect(list).toEqual({ providers: [expect.objectContaining({ name: PROVIDER })], nextPageToken: '', unreachable: [] })
    const provider = await get(PROVIDER)
    expect(provider).toEqual(list.providers[0])
    expect(provider.displayName).toBe('Twilio')
    expect((await get('projects/another/locations/global/providers/twilio')).name).toBe('projects/another/locations/global/providers/twilio')
  })

  it('connectors: the twilio connector, a third-party connector', async () => {
    const list = await get(`${PROVIDER}/connectors`)
    expect(list).toEqual({ connectors: [expect.objectContaining({ name: CONNECTOR })], nextPageToken: '', unreachable: [] })
    const connector = await get(CONNECTOR)
    expect(connector).toEqual(list.connectors[0])
    expect(connector.connectorType).toBe('CONNECTOR_TYPE_THIRD_PARTY')
  })

  it('versions: version 1, the one connections name', async () => {
    const list = await get(`${CONNECTOR}/versions`)
    expect(list).toEqual({ connectorVersions: [expect.objectContaining({ name: VERSION })], nextPageToken: '', unreachable: [] })
    const version = await get(VERSION)
    expect(version).toEqual(list.connectorVersions[0])
    expect(version.launchStage).toBe('GA')
    for (const view of ['CONNECTOR_VERSION_VIEW_BASIC', 'CONNECTOR_VERSION_VIEW_FULL']) {
      const answer = await gateway.call('GET', `/v1/${VERSION}?view=${view}`)
      expect(answer.status).toBe(200)
      expect(answer.body.name).toBe(VERSION)
    }
  })
})

describe('the connector version\'s templates', () => {
  let version: Body

  beforeAll(async () => {
    version = await get(VERSION)
  })

  it('configVariableTemplates: every variable the validation knows, with its value type', () => {
    const types = Object.fromEntries((version.configVariableTemplates as Body[]).map((template) => [template.key, template.valueType]))
    expect(types).toEqual({
      proxy_enabled: 'BOOL',
      proxy_auth_scheme: 'ENUM',
      proxy_user: 'STRING',
      proxy_password: 'SECRET',
      proxy_ssltype: 'ENUM',
      account_sid: 'STRING',
      region: 'STRING',
      edge: 'STRING',
      sandbox: 'BOOL'
    })
    for (const template of version.configVariableTemplates as Body[]) {
      expect(typeof template.displayName).toBe('string')
      expect(typeof template.description).toBe('string')
      expect(template.required).toBe(false)
    }
  })

  it('enumOptions of the ENUM variables', () => {
    const options = (key: string): string[] =>
      (version.configVariableTemplates as Body[]).find((template) => template.key === key)!.enumOptions.map((option: Body) => option.id)
    expect(options('proxy_auth_scheme')).toEqual(['BASIC', 'DIGEST', 'NONE'])
    expect(options('proxy_ssltype')).toEqual(['AUTO', 'ALWAYS', 'NEVER', 'TUNNEL'])
    for (const template of version.configVariableTemplates as Body[]) {
      if (template.valueType !== 'ENUM') expect(template).not.toHaveProperty('enumOptions')
    }
  })

  it('authConfigTemplates: USER_PASSWORD only, the default', () => {
    expect(version.authConfigTemplates).toHaveLength(1)
    const [template] = version.authConfigTemplates as Body[]
    expect(template).toMatchObject({ authType: 'USER_PASSWORD', isDefault: true })
    expect(template!.configVariableTemplates.map((variable: Body) => [variable.key, variable.valueType, variable.required]))
      .toEqual([['username', 'STRING', true], ['password', 'SECRET', true]])
  })

  it('destinationConfigTemplates: proxy_server', () => {
    expect((version.destinationConfigTemplates as Body[]).map((template) => template.key)).toEqual(['proxy_server'])
  })

  it('agree with what a create accepts: every enum option, and the validationRegex of each STRING variable', async () => {
    const configVariables: Body[] = [{ key: 'sandbox', boolValue: true }]
    for (const template of version.configVariableTemplates as Body[]) {
      if (template.validationRegex) {
        const sample = { account_sid: gateway.sandbox!.accountSid, region: 'ie1', edge: 'dublin' }[template.key as string]
        expect(new RegExp(template.validationRegex as string).test(sample!), template.key).toBe(true)
        configVariables.push({ key: template.key, stringValue: sample })
      }
    }
    await created(gateway, 'templated', connectionBody(gateway, { configVariables }))
    for (const key of ['proxy_auth_scheme', 'proxy_ssltype']) {
      const template = (version.configVariableTemplates as Body[]).find((item) => item.key === key)!
      for (const [index, option] of (template.enumOptions as Body[]).entries()) {
        await created(gateway, `${key.replace('_', '-').replace('_', '-')}-${index}`, connectionBody(gateway, {
          configVariables: [{ key: 'sandbox', boolValue: true }, { key, stringValue: option.id }]
        }))
      }
    }
  })
})

describe('what the gateway does not host', () => {
  it.each([
    ['another provider', `${GLOBAL}/providers/zendesk`],
    ['another provider\'s connectors', `${GLOBAL}/providers/zendesk/connectors`],
    ['another connector', `${PROVIDER}/connectors/sendgrid`],
    ['another connector\'s versions', `${PROVIDER}/connectors/sendgrid/versions`],
    ['version 2', `${CONNECTOR}/versions/2`],
    ['a version of another connector', `${PROVIDER}/connectors/sendgrid/versions/1`],
    ['providers in a region', 'projects/any/locations/us-central1/providers'],
    ['the provider in a region', 'projects/any/locations/us-central1/providers/twilio'],
    ['connectors in a region', 'projects/any/locations/us-central1/providers/twilio/connectors'],
    ['the connector in a region', 'projects/any/locations/us-central1/providers/twilio/connectors/twilio'],
    ['versions in a region', 'projects/any/locations/us-central1/providers/twilio/connectors/twilio/versions'],
    ['the version in a region', 'projects/any/locations/us-central1/providers/twilio/connectors/twilio/versions/1']
  ])('%s: 404 NOT_FOUND', async (_, path) => {
    expectRpcError(await gateway.call('GET', `/v1/${path}`), 404, 'NOT_FOUND')
  })
})
