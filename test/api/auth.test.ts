import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, rpcError, startGateway, type TestGateway } from '../helpers/gateway.js'

describe('bearer authentication', () => {
  let gateway: TestGateway
  beforeAll(async () => { gateway = await startGateway() })
  afterAll(async () => { await gateway.close() })

  const runtimePath = '/v2/projects/p/locations/l/connections/c/entityTypes'

  it('refuses a call without a token with 401 UNAUTHENTICATED and a WWW-Authenticate challenge', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: runtimePath })
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/)
    const error = rpcError({ status: 401, body: response.json(), headers: {} })
    expect(error.status).toBe('UNAUTHENTICATED')
  })

  it.each([
    ['a wrong token', `Bearer ${ADMIN_TOKEN}x`],
    ['another scheme', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`],
    ['an empty bearer', 'Bearer ']
  ])('refuses %s', async (_case, authorization) => {
    const response = await gateway.app.inject({ method: 'GET', url: runtimePath, headers: { authorization } })
    expect(response.statusCode).toBe(401)
    expect(response.json().error.status).toBe('UNAUTHENTICATED')
  })

  it('also guards unknown paths, so routes cannot be probed without a token', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/v1/projects/p/locations/l/connections' })
    expect(response.statusCode).toBe(401)
  })

  it('lets the right token through', async () => {
    const answer = await gateway.call('GET', runtimePath)
    expect(answer.status).toBe(404)
    expect(rpcError(answer).message).toContain('Connection projects/p/locations/l/connections/c not found')
  })

  it.each(['/healthz', '/readyz', '/openapi.json', '/docs'])('serves %s without a token', async (url) => {
    const response = await gateway.app.inject({ method: 'GET', url })
    expect(response.statusCode).toBeLessThan(400)
  })
})
