/** HTTP Basic with account tokens or API keys; an account may act on itself and its subaccounts only. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildSandbox } from '../../src/sandbox/app.js'
import { basicAuth, startSandbox, TEST_AUTH_TOKEN, type TestSandbox } from '../helpers/sandbox.js'
import { twilioError, TwilioHttp, type Reply } from './support/http.js'

const SUBACCOUNT = { sid: `AC${'5'.repeat(32)}`, authToken: 'subaccount-token-0123456789abcdef', friendlyName: 'Team B' }
const MAIN_KEY = { sid: `SK${'1'.repeat(32)}`, secret: 'main-key-secret-0123456789abcdef' }
const SUBACCOUNT_KEY = { sid: `SK${'2'.repeat(32)}`, secret: 'sub-key-secret-0123456789abcdef', accountSid: SUBACCOUNT.sid }
const OTHER_ACCOUNT = `AC${'9'.repeat(32)}`

let sandbox: TestSandbox
let main: TwilioHttp

beforeAll(async () => {
  sandbox = await startSandbox({ seed: { calls: 10, messages: 10 }, subaccounts: [SUBACCOUNT], apiKeys: [MAIN_KEY, SUBACCOUNT_KEY] })
  main = new TwilioHttp(sandbox)
})
afterAll(async () => { await sandbox.close() })

function expectUnauthenticated (reply: Reply): void {
  expect(twilioError(reply)).toEqual({ code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 })
  expect(reply.headers.get('www-authenticate')).toBe('Basic realm="Twilio API"')
}

describe('credentials', () => {
  it('accepts the account SID with its auth token', async () => {
    expect((await main.get('Messages.json')).status).toBe(200)
  })

  const MAIN = 'the main account'
  it.each([
    ['no credentials', null, null],
    ['a wrong token', MAIN, 'wrong'],
    ['an empty token', MAIN, ''],
    ['an unknown account', OTHER_ACCOUNT, TEST_AUTH_TOKEN],
    ['a wrong API key secret', MAIN_KEY.sid, 'wrong'],
    ['an unknown API key', `SK${'3'.repeat(32)}`, MAIN_KEY.secret]
  ])('rejects %s with 401 / 20003', async (_name, username, password) => {
    const client = username === null ? main.as(undefined) : main.as(username === MAIN ? sandbox.accountSid : username, password ?? '')
    expectUnauthenticated(await client.get('Messages.json'))
  })

  it('rejects malformed Authorization headers', async () => {
    for (const header of ['Bearer abc', 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`]) {
      expectUnauthenticated(await main.as(undefined).request('GET', main.url('Messages.json'), { headers: { authorization: header } }))
    }
  })

  it('accepts an API key on its account and that account\'s subaccounts', async () => {
    const key = main.as(MAIN_KEY.sid, MAIN_KEY.secret)
    expect((await key.get('Messages.json')).status).toBe(200)
    expect((await key.get(`/2010-04-01/Accounts/${sandbox.accountSid}.json`)).body.sid).toBe(sandbox.accountSid)
    expect((await main.as(MAIN_KEY.sid, MAIN_KEY.secret, SUBACCOUNT.sid).get('Messages.json')).status).toBe(200)
  })
})

describe('account access', () => {
  it('lets the main account act on its subaccount, whose records are its own', async () => {
    const onSubaccount = main.as(sandbox.accountSid, TEST_AUTH_TOKEN, SUBACCOUNT.sid)
    const messages = (await onSubaccount.get('Messages.json')).body.messages as Array<{ sid: string, account_sid: string }>
    expect(messages.length).toBeGreaterThan(0)
    expect(messages.every((message) => message.account_sid === SUBACCOUNT.sid)).toBe(true)
    const mainMessages = (await main.get('Messages.json', { PageSize: 1000 })).body.messages as Array<{ sid: string }>
    expect(mainMessages.map((message) => message.sid)).not.toContain(messages[0]?.sid)
    // A subaccount's record is not found under the main account's path.
    expect(twilioError(await main.get(`Messages/${messages[0]?.sid ?? ''}.json`)).code).toBe(20404)
  })

  it('lets a subaccount act on itself only', async () => {
    const subaccount = main.as(SUBACCOUNT.sid, SUBACCOUNT.authToken, SUBACCOUNT.sid)
    expect((await subaccount.get('Calls.json')).status).toBe(200)
    expectUnauthenticated(await subaccount.as(SUBACCOUNT.sid, SUBACCOUNT.authToken, sandbox.accountSid).get('Calls.json'))
    const accounts = (await subaccount.get('/2010-04-01/Accounts.json')).body.accounts as Array<{ sid: string }>
    expect(accounts.map((account) => account.sid)).toEqual([SUBACCOUNT.sid])
  })

  it('rejects the key of a subaccount on its parent', async () => {
    const key = main.as(SUBACCOUNT_KEY.sid, SUBACCOUNT_KEY.secret, SUBACCOUNT.sid)
    expect((await key.get('Messages.json')).status).toBe(200)
    expectUnauthenticated(await key.as(SUBACCOUNT_KEY.sid, SUBACCOUNT_KEY.secret, sandbox.accountSid).get('Messages.json'))
  })

  it('answers 401, not 404, for an account that does not exist', async () => {
    expectUnauthenticated(await main.as(sandbox.accountSid, TEST_AUTH_TOKEN, OTHER_ACCOUNT).get('Messages.json'))
    expectUnauthenticated(await main.get(`/2010-04-01/Accounts/${OTHER_ACCOUNT}.json`))
  })

  it('lists the accounts the credentials may use', async () => {
    const accounts = (await main.get('/2010-04-01/Accounts.json')).body.accounts as Array<{ sid: string, owner_account_sid: string, friendly_name: string }>
    expect(accounts.map((account) => account.sid).sort()).toEqual([sandbox.accountSid, SUBACCOUNT.sid].sort())
    expect(accounts.find((account) => account.sid === SUBACCOUNT.sid)).toMatchObject({ owner_account_sid: sandbox.accountSid, friendly_name: 'Team B' })
  })
})

describe('the control API', () => {
  it('takes the main account\'s credentials only', async () => {
    expect((await main.get('/__sandbox/requests')).status).toBe(200)
    expectUnauthenticated(await main.as(SUBACCOUNT.sid, SUBACCOUNT.authToken).get('/__sandbox/requests'))
    expectUnauthenticated(await main.as(MAIN_KEY.sid, MAIN_KEY.secret).get('/__sandbox/faults'))
  })

  it('tells the subaccounts and API keys', async () => {
    const reply = await main.get('/__sandbox/credentials')
    expect(reply.body).toEqual({
      accountSid: sandbox.accountSid,
      subaccounts: [SUBACCOUNT],
      apiKeys: [{ ...MAIN_KEY, accountSid: sandbox.accountSid }, SUBACCOUNT_KEY]
    })
  })
})

describe('default credentials', () => {
  it('derive one subaccount and one API key from the main account, stable for a token', async () => {
    const first = await startSandbox({ seed: { calls: 0, messages: 0 } })
    const again = await startSandbox({ seed: { calls: 0, messages: 0 } })
    const other = await startSandbox({ seed: { calls: 0, messages: 0 }, authToken: 'another-token-0123456789abcdef01' })
    try {
      expect(first.subaccount.sid).toMatch(/^AC[0-9a-f]{32}$/)
      expect(first.apiKey).toMatchObject({ sid: expect.stringMatching(/^SK[0-9a-f]{32}$/), accountSid: first.accountSid })
      expect(again.credentials).toEqual(first.credentials)
      expect(other.subaccount.authToken).not.toBe(first.subaccount.authToken)
      expect(other.apiKey.secret).not.toBe(first.apiKey.secret)
      const client = new TwilioHttp(first).as(first.apiKey.sid, first.apiKey.secret)
      expect((await client.get('IncomingPhoneNumbers.json')).status).toBe(200)
      const subaccount = new TwilioHttp(first).as(first.subaccount.sid, first.subaccount.authToken, first.subaccount.sid)
      expect((await subaccount.get('IncomingPhoneNumbers.json')).status).toBe(200)
    } finally {
      await Promise.all([first.close(), again.close(), other.close()])
    }
  })

  it('refuse invalid credential options', async () => {
    await expect(buildSandbox({ authToken: '' })).rejects.toThrow(/authToken/)
    await expect(buildSandbox({ authToken: 'x', accountSid: 'AC123' })).rejects.toThrow(/accountSid/)
    await expect(buildSandbox({ authToken: 'x', apiKeys: [{ sid: MAIN_KEY.sid, secret: 's', accountSid: OTHER_ACCOUNT }] })).rejects.toThrow(/unknown account/)
    expect(basicAuth('a', 'b')).toBe('Basic YTpi')
  })
})
