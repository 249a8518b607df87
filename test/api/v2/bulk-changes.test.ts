/**
 * updateEntitiesWithConditions and deleteEntitiesWithConditions: every matching row changed and named in the answer,
 * empty conditions refused, the bound checked before anything changes, and a failure midway answered with the rows
 * changed, the row that failed and the rows not attempted.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { GOOGLE, entityPath, expectEntityList, expectRpcError, startWorld, violatedFields, withoutUpstream, type EntityName, type World } from './support.js'

let world: World
beforeAll(async () => { world = await startWorld({ sandbox: { seed: { calls: 12, messages: 30 } } }) })
afterAll(async () => { await world.close() })
afterEach(() => { world.sandbox.control.faults.clear() })

const bulk = (entity: string, verb: string, conditions?: string): string =>
  `${entityPath(entity)}:${verb}${conditions === undefined ? '' : `?conditions=${encodeURIComponent(conditions)}`}`

async function rows (entity: EntityName, conditions = ''): Promise<Array<Record<string, unknown>>> {
  const query = new URLSearchParams({ pageSize: '200', ...(conditions ? { conditions } : {}) })
  return expectEntityList(await world.call('GET', `${entityPath(entity)}?${query}`), entity)
}

const errorInfo = (answer: { body: any }): Record<string, any> | undefined =>
  answer.body.error.details.find((detail: { '@type': string, reason?: string }) => detail['@type'].endsWith('ErrorInfo') && detail.reason === 'BULK_CHANGE_INCOMPLETE')

describe('updateEntitiesWithConditions', () => {
  it('changes every matching row, leaves the others alone and names the rows it changed', async () => {
    const before = await rows('OutgoingCallerIds')
    const matching = before.filter((row) => String(row.PhoneNumber).startsWith('+1')).map((row) => row.Sid).sort()
    expect(matching.length).toBeGreaterThan(1)
    expect(matching.length).toBeLessThan(before.length)

    world.clearUpstream()
    const answer = await world.call('POST', bulk('OutgoingCallerIds', 'updateEntitiesWithConditions', "PhoneNumber LIKE '+1%'"), { fields: { Name: 'North America' } })
    expect(answer.status).toBe(200)
    expect(answer.body.response.affectedRows).toBe(matching.length)
    expect([...answer.body.response.affectedSids].sort()).toEqual(matching)
    // The list is read once, then one update per row.
    const writes = world.upstream().filter((request) => request.method === 'POST')
    expect(writes).toHaveLength(matching.length)
    expect(writes.every((request) => (request.body as Record<string, string>).FriendlyName === 'North America')).toBe(true)

    const after = new Map((await rows('OutgoingCallerIds')).map((row) => [row.Sid, row.Name]))
    for (const row of before) expect(after.get(row.Sid)).toBe(matching.includes(row.Sid) ? 'North America' : row.Name)
  })

  it('with a Sid condition reads that one row by its Sid', async () => {
    world.clearUpstream()
    const answer = await world.call('POST', bulk('IncomingPhoneNumbers', 'updateEntitiesWithConditions', `Sid = '${GOOGLE.incomingPhoneNumber}'`), { fields: { Name: 'Renamed' } })
    expect(answer.body.response).toEqual({ affectedRows: 1, affectedSids: [GOOGLE.incomingPhoneNumber] })
    expect(world.upstream().map((request) => request.method)).toEqual(['GET', 'POST'])
  })

  it('answers zero rows when nothing matches, changing nothing', async () => {
    world.clearUpstream()
    const answer = await world.call('POST', bulk('OutgoingCallerIds', 'updateEntitiesWithConditions', "Name = 'no such name'"), { fields: { Name: 'x' } })
    expect(answer.body.response).toEqual({ affectedRows: 0, affectedSids: [] })
    expect(world.upstream().filter((request) => request.method !== 'GET')).toEqual([])
  })

  it('refuses empty or missing conditions with 400 INVALID_ARGUMENT, sending nothing', async () => {
    for (const conditions of [undefined, '', '   ']) {
      const answer = await withoutUpstream(world, () => world.call('POST', bulk('OutgoingCallerIds', 'updateEntitiesWithConditions', conditions), { fields: { Name: 'x' } }))
      expectRpcError(answer, 400, 'INVALID_ARGUMENT')
      expect(violatedFields(answer)).toEqual(['conditions'])
    }
  })

  it('refuses fields the entity cannot update before reading anything', async () => {
    const answer = await withoutUpstream(world, () => world.call('POST', bulk('OutgoingCallerIds', 'updateEntitiesWithConditions', "Name = 'Sales'"), { fields: { Bogus: 1 } }))
    expectRpcError(answer, 400, 'INVALID_ARGUMENT')
  })

  it('answers 501 UNIMPLEMENTED for an entity Twilio cannot update', async () => {
    const answer = await withoutUpstream(world, () => world.call('POST', bulk('FeedbackSummary', 'updateEntitiesWithConditions', "Status = 'queued'"), { fields: {} }))
    expectRpcError(answer, 501, 'UNIMPLEMENTED')
  })
})

describe('deleteEntitiesWithConditions', () => {
  it('deletes every matching row and names them; the rest remain', async () => {
    const before = await rows('Messages')
    const matching = before.filter((row) => row.Status === 'delivered').map((row) => row.Sid as string).slice(0, 3)
    expect(matching).toHaveLength(3)
    const conditions = `Status = 'delivered' AND Sid IN (${matching.map((sid) => `'${sid}'`).join(', ')})`
    const answer = await world.call('POST', bulk('Messages', 'deleteEntitiesWithConditions', conditions))
    expect(answer.status).toBe(200)
    expect([...answer.body.response.affectedSids].sort()).toEqual([...matching].sort())
    const remaining = (await rows('Messages')).map((row) => row.Sid)
    expect(remaining).toHaveLength(before.length - 3)
    for (const sid of matching) expect(remaining).not.toContain(sid)
  })

  it('stops at a row that fails and names what was deleted, what failed and what was not attempted', async () => {
    const candidates = (await rows('Messages', "Status = 'delivered'")).map((row) => row.Sid as string)
    expect(candidates.length).toBeGreaterThanOrEqual(4)
    const chosen = candidates.slice(0, 4)
    const failing = chosen[1]!
    world.sandbox.control.faults.add([{ kind: 'status', status: 500, count: 10, when: 'before', method: 'DELETE', pathContains: failing }])
    const answer = await world.call('POST', bulk('Messages', 'deleteEntitiesWithConditions', `Sid IN (${chosen.map((sid) => `'${sid}'`).join(', ')})`))
    expect(answer.status).toBeGreaterThanOrEqual(500)
    const info = errorInfo(answer)
    expect(info?.metadata.failedSid).toBe(failing)
    const deleted = info!.metadata.affectedSids.split(',').filter(Boolean)
    const notAttempted = info!.metadata.notAttemptedSids.split(',').filter(Boolean)
    expect(Number(info!.metadata.affectedRows)).toBe(deleted.length)
    expect(new Set([...deleted, failing, ...notAttempted])).toEqual(new Set(chosen))
    expect(answer.body.error.message).toContain(failing)

    // What the answer says is what happened.
    const remaining = new Set((await rows('Messages')).map((row) => row.Sid))
    for (const sid of deleted) expect(remaining.has(sid)).toBe(false)
    for (const sid of [failing, ...notAttempted]) expect(remaining.has(sid)).toBe(true)
  })

  it('answers 501 UNIMPLEMENTED for an entity Twilio cannot delete', async () => {
    const answer = await withoutUpstream(world, () => world.call('POST', bulk('Feedback', 'deleteEntitiesWithConditions', `Sid = '${GOOGLE.deletableCall}'`)))
    expectRpcError(answer, 501, 'UNIMPLEMENTED')
  })

  it('answers 404 for an unknown entity type', async () => {
    expectRpcError(await world.call('POST', bulk('Nope', 'deleteEntitiesWithConditions', "Sid = 'x'")), 404, 'NOT_FOUND')
  })
})

describe('the bound on matching rows', () => {
  let large: World
  beforeAll(async () => { large = await startWorld({ sandbox: { seed: { calls: 5, messages: 1_010 } } }) })
  afterAll(async () => { await large.close() })

  it('refuses more than 1,000 matching rows with 400 FAILED_PRECONDITION before changing anything', async () => {
    large.clearUpstream()
    const answer = await large.call('POST', `${entityPath('Messages')}:deleteEntitiesWithConditions?conditions=${encodeURIComponent('Sid IS NOT NULL')}`)
    const error = expectRpcError(answer, 400, 'FAILED_PRECONDITION')
    expect(error.message).toContain('at most 1000')
    expect(large.upstream().every((request) => request.method === 'GET')).toBe(true)
    const listed = await large.call('GET', `${entityPath('Messages')}?pageSize=1`)
    expect(listed.status).toBe(200)
    expect(large.sandbox.control.store.account(large.sandbox.accountSid)!.messages.size).toBeGreaterThan(1_000)
  })
})
