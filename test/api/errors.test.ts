import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, detail, rpcError, startGateway, type TestGateway } from '../helpers/gateway.js'

describe('error model', () => {
  let gateway: TestGateway
  beforeAll(async () => { gateway = await startGateway() })
  afterAll(async () => { await gateway.close() })

  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
  const createPath = '/v2/projects/p/locations/l/connections/c/entityTypes/Messages/entities'

  it('answers an unknown route with 404 NOT_FOUND in google.rpc.Status shape', async () => {
    const error = rpcError(await gateway.call('GET', '/v2/nothing/here'))
    expect(error).toMatchObject({ code: 404, status: 'NOT_FOUND', message: 'No such method: GET /v2/nothing/here' })
  })

  it('answers malformed JSON with 400 INVALID_ARGUMENT', async () => {
    const response = await gateway.app.inject({
      method: 'POST', url: createPath, headers: { ...auth, 'content-type': 'application/json' }, payload: '{"fields": {'
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', message: 'The request body is not valid JSON' })
  })

  it('answers a body that is not an entity with 400 naming fields', async () => {
    for (const payload of [[1, 2], { To: '+15005550006' }, '"plain"', 'null']) {
      const answer = await gateway.call('POST', createPath, typeof payload === 'string' ? payload : JSON.stringify(payload), { 'content-type': 'application/json' })
      expect(answer.status).toBe(400)
      expect(detail(answer, 'BadRequest').fieldViolations).toEqual([{ field: 'fields', description: 'is required' }])
    }
  })

  it('treats an empty body sent as application/json as no body (clients send the header on every call)', async () => {
    const response = await gateway.app.inject({
      method: 'DELETE', url: `${createPath}/SM3ad97d41e786c02bca47c8ce1745053b`, headers: { ...auth, 'content-type': 'application/json' }
    })
    // It reaches the route: the connection does not exist, not "empty body".
    expect(response.statusCode).toBe(404)
    expect(response.json().error.message).toContain('Connection projects/p/locations/l/connections/c not found')
  })

  it('answers an unsupported content type with 415 in the same shape', async () => {
    const response = await gateway.app.inject({
      method: 'POST', url: createPath, headers: { ...auth, 'content-type': 'application/xml' }, payload: '<fields/>'
    })
    expect(response.statusCode).toBe(415)
    expect(response.json().error).toMatchObject({ code: 415, status: 'INVALID_ARGUMENT' })
  })

  it('answers a body over 10 MB with 413', async () => {
    const response = await gateway.app.inject({
      method: 'POST', url: createPath, headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ fields: { Body: 'x'.repeat(10 * 1024 * 1024) } })
    })
    expect(response.statusCode).toBe(413)
    expect(response.json().error.code).toBe(413)
  })

  it('answers a bad query parameter with 400 naming it', async () => {
    const answer = await gateway.call('GET', `${createPath}?pageSize=-3`)
    expect(answer.status).toBe(400)
    expect(detail(answer, 'BadRequest').fieldViolations[0].field).toBe('pageSize')
  })
})
