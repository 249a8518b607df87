/**
 * LOCAL_SECRET_PREFIXES: with the local store, connections may reference only the secret name prefixes the
 * operator lists (the local stand-in for Secret Manager's IAM). Unit level (PrefixRestrictedSecretStore over a
 * counting store, and over the real encrypted LocalSecretStore) and through the gateway (a connection pointed
 * outside the prefixes is created in ERROR and its runtime calls answer 400 FAILED_PRECONDITION).
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readConfig } from '../../src/config.js'
import { GatewayError, InvalidArgumentError } from '../../src/errors.js'
import { CachingSecretStore } from '../../src/secrets/cache.js'
import { LocalSecretStore } from '../../src/secrets/local.js'
import { PrefixRestrictedSecretStore } from '../../src/secrets/restricted.js'
import { MemorySecretStore, type SecretAccess, type SecretStore } from '../../src/secrets/secret-store.js'
import { startGateway, type TestGateway } from '../helpers/gateway.js'
import { failure, gatewayDatabase } from './google.js'

const PREFIXES = ['projects/acme/secrets/twilio-', 'projects/shared/secrets/team-a/']

class Counting implements SecretStore {
  readonly reads: Array<{ versionName: string, as?: SecretAccess }> = []
  readonly invalidated: string[] = []
  constructor (private readonly inner: SecretStore) {}
  async access (versionName: string, as?: SecretAccess): Promise<string> {
    this.reads.push({ versionName, as })
    return this.inner.access(versionName, as)
  }

  invalidate (versionName: string): void {
    this.invalidated.push(versionName)
  }
}

describe('PrefixRestrictedSecretStore', () => {
  const memory = new MemorySecretStore()
  const inside = memory.addVersion('projects/acme/secrets/twilio-prod', 'inside-value')
  const shared = memory.addVersion('projects/shared/secrets/team-a', 'shared-value')
  const outside = [
    memory.addVersion('projects/acme/secrets/database-password', 'outside-1'),
    memory.addVersion('projects/other/secrets/twilio-prod', 'outside-2'),
    // A prefix ending in "/" names exactly that secret, not others starting alike.
    memory.addVersion('projects/shared/secrets/team-a-admin', 'outside-3'),
    memory.addVersion('projects/acme/secrets/twilio', 'outside-4')
  ]

  it('reads a secret inside the prefixes, passing the service account on', async () => {
    const backend = new Counting(memory)
    const store = new PrefixRestrictedSecretStore(backend, PREFIXES)
    expect(await store.access(inside)).toBe('inside-value')
    expect(await store.access('projects/acme/secrets/twilio-prod/versions/latest', { serviceAccount: 'sa@acme.iam.gserviceaccount.com' })).toBe('inside-value')
    expect(await store.access(shared)).toBe('shared-value')
    expect(backend.reads.map((read) => read.as?.serviceAccount)).toEqual([undefined, 'sa@acme.iam.gserviceaccount.com', undefined])
  })

  it.each(outside)('refuses %s with PERMISSION_DENIED naming it and LOCAL_SECRET_PREFIXES, without reading it', async (name) => {
    const backend = new Counting(memory)
    const store = new PrefixRestrictedSecretStore(backend, PREFIXES)
    const error = await failure(store.access(name))
    expect(error).toBeInstanceOf(GatewayError)
    expect(error.code).toBe('PERMISSION_DENIED')
    expect(error.message).toContain(name)
    expect(error.message).toContain('LOCAL_SECRET_PREFIXES')
    expect(error.message).not.toMatch(/outside-\d/)
    expect(backend.reads).toEqual([])
  })

  it('passes invalidate on to the store behind it', () => {
    const backend = new Counting(memory)
    new PrefixRestrictedSecretStore(backend, PREFIXES).invalidate(inside)
    expect(backend.invalidated).toEqual([inside])
  })

  it('readConfig takes LOCAL_SECRET_PREFIXES as a comma-separated list', () => {
    expect(readConfig({ LOCAL_SECRET_PREFIXES: ` ${PREFIXES[0]} , ${PREFIXES[1]},` }).localSecretPrefixes).toEqual(PREFIXES)
    expect(readConfig({}).localSecretPrefixes).toBeUndefined()
  })

  describe('over the real local store', () => {
    let dataDir: string
    let local: LocalSecretStore
    beforeAll(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'restricted-secrets-'))
      local = new LocalSecretStore({ dataDir, key: randomBytes(32) })
    })
    afterAll(() => { rmSync(dataDir, { recursive: true, force: true }) })

    it('reads inside, refuses outside (even a name crafted to look inside) and an invalid name stays INVALID_ARGUMENT', async () => {
      const name = await local.addVersion('projects/acme/secrets/twilio-dev', 'local-inside')
      await local.addVersion('projects/acme/secrets/other', 'local-outside')
      const store = new PrefixRestrictedSecretStore(local, PREFIXES)
      expect(await store.access(name)).toBe('local-inside')
      expect((await failure(store.access('projects/acme/secrets/other/versions/1'))).code).toBe('PERMISSION_DENIED')
      // Inside by prefix but not a version name: the store behind refuses it as such.
      expect(await failure(store.access('projects/acme/secrets/twilio-dev/../other/versions/1'))).toBeInstanceOf(InvalidArgumentError)
    })
  })
})

describe('LOCAL_SECRET_PREFIXES through the gateway', () => {
  const PARENT = 'projects/acme/locations/us-central1'
  let gateway: TestGateway
  let database: Awaited<ReturnType<typeof gatewayDatabase>>
  let local: MemorySecretStore
  let allowed: string
  let forbidden: string

  beforeAll(async () => {
    local = new MemorySecretStore()
    // As server.ts builds it: the cache in front of the prefix restriction in front of the local store.
    const secrets = new CachingSecretStore(new PrefixRestrictedSecretStore(local, ['projects/local/secrets/', 'projects/acme/secrets/twilio-']))
    database = await gatewayDatabase()
    gateway = await startGateway({ sandbox: true, database: database.db, config: { secrets } })
    allowed = local.addVersion('projects/acme/secrets/twilio-auth', gateway.sandbox!.authToken)
    forbidden = local.addVersion('projects/acme/secrets/payroll-api-key', gateway.sandbox!.authToken)
  })
  afterAll(async () => {
    await gateway?.close()
    await database?.close()
  })

  const body = (secretVersion: string): Record<string, unknown> => ({
    connectorVersion: 'projects/acme/locations/global/providers/twilio/connectors/twilio/versions/1',
    configVariables: [{ key: 'sandbox', boolValue: true }],
    authConfig: { authType: 'USER_PASSWORD', userPassword: { username: gateway.sandbox!.accountSid, password: { secretVersion } } }
  })

  it('a connection inside the prefixes is ACTIVE and serves runtime calls', async () => {
    const answer = await gateway.call('POST', `/v1/${PARENT}/connections?connectionId=inside`, body(allowed))
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body.response.status.state).toBe('ACTIVE')
    expect((await gateway.call('GET', `/v2/${PARENT}/connections/inside/entityTypes/Messages/entities?pageSize=1`)).status).toBe(200)
  })

  it('a connection outside them is created in ERROR naming the secret and LOCAL_SECRET_PREFIXES; its calls → 400 FAILED_PRECONDITION', async () => {
    const answer = await gateway.call('POST', `/v1/${PARENT}/connections?connectionId=outside`, body(forbidden))
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    const status = answer.body.response.status
    expect(status.state).toBe('ERROR')
    expect(status.description).toContain(forbidden)
    expect(status.description).toContain('LOCAL_SECRET_PREFIXES')
    const runtime = await gateway.call('GET', `/v2/${PARENT}/connections/outside/entityTypes/Messages/entities?pageSize=1`)
    expect(runtime.status).toBe(400)
    expect(runtime.body.error.status).toBe('FAILED_PRECONDITION')
    expect(runtime.body.error.message).toContain(forbidden)
    expect(JSON.stringify(runtime.body)).not.toContain(gateway.sandbox!.authToken)
  })
})
