/** Twilio-style paging: next_page_uri walks, tokens, filters carried along, day-granular date filters, limits. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js'
import { manualClock, twilioError, TwilioHttp } from './support/http.js'

interface Message { sid: string, date_created: string, date_sent: string | null, to: string, status: string }

const clock = manualClock()
let sandbox: TestSandbox
let http: TwilioHttp
/** Every message as the seed made it, newest first, read in one page. */
let all: Message[]

/** Every message now, newest first. */
async function readAll (): Promise<Message[]> {
  return (await http.get('Messages.json', { PageSize: 1000 })).body.messages
}

beforeAll(async () => {
  sandbox = await startSandbox({ now: clock.now, seed: { calls: 30, messages: 400 } })
  http = new TwilioHttp(sandbox)
  all = await readAll()
})
afterAll(async () => { await sandbox.close() })

/** Follows next_page_uri verbatim from a first page, answering the records of every page. */
async function walk (path: string, query: Record<string, string | number>): Promise<{ records: Message[], pages: any[] }> {
  const pages: any[] = []
  let reply = await http.get(path, query)
  for (;;) {
    expect(reply.status, reply.text).toBe(200)
    pages.push(reply.body)
    if (reply.body.next_page_uri === null) break
    reply = await http.get(reply.body.next_page_uri)
  }
  return { records: pages.flatMap((page) => page.messages), pages }
}

const day = (rfc2822: string | null): string | null => rfc2822 === null ? null : new Date(rfc2822).toISOString().slice(0, 10)

describe('walking next_page_uri', () => {
  it('yields every record exactly once, newest first, with consistent envelopes', async () => {
    expect(all).toHaveLength(400)
    const created = all.map((message) => Date.parse(message.date_created))
    expect(created).toEqual([...created].sort((a, b) => b - a))
    const { records, pages } = await walk('Messages.json', { PageSize: 37 })
    expect(records.map((message) => message.sid)).toEqual(all.map((message) => message.sid))
    expect(pages).toHaveLength(Math.ceil(400 / 37))
    pages.forEach((page, index) => {
      expect(page).toMatchObject({ page: index, page_size: 37, start: index * 37, end: index * 37 + page.messages.length - 1 })
      expect(page.first_page_uri).toBe(`/2010-04-01/Accounts/${sandbox.accountSid}/Messages.json?PageSize=37&Page=0`)
      expect(page.previous_page_uri === null).toBe(index === 0)
    })
    expect(pages[1].next_page_uri).toBe(`/2010-04-01/Accounts/${sandbox.accountSid}/Messages.json?PageSize=37&Page=2&PageToken=PA${pages[1].messages[36].sid}`)
  })

  it('stays stable while records are created and deleted between pages', async () => {
    const first = await http.get('Messages.json', { PageSize: 25 })
    for (let i = 0; i < 3; i++) {
      expect((await http.post('Messages.json', { To: '+14155550120', From: '+15005550006', Body: `new ${i}` })).status).toBe(201)
    }
    // The page token names the last record of page 1: deleting that record must not break the walk.
    const last: Message = first.body.messages[24]
    expect((await http.delete(`Messages/${last.sid}.json`)).status).toBe(204)
    const rest = await walk(first.body.next_page_uri, {})
    const sids = [...first.body.messages, ...rest.records].map((message: Message) => message.sid)
    expect(sids).toEqual(all.map((message) => message.sid))
  })

  it('goes back with previous_page_uri and skips pages with Page alone', async () => {
    const first = await http.get('Calls.json', { PageSize: 7 })
    const second = await http.get(first.body.next_page_uri)
    const back = await http.get(second.body.previous_page_uri)
    expect(back.body.calls.map((call: { sid: string }) => call.sid)).toEqual(first.body.calls.map((call: { sid: string }) => call.sid))
    expect(back.body.page).toBe(0)
    const third = await http.get(second.body.next_page_uri)
    const skipped = await http.get('Calls.json', { PageSize: 7, Page: 2 })
    expect(skipped.body.calls).toEqual(third.body.calls)
    expect(skipped.body).toMatchObject({ page: 2, start: 14, end: 20 })
  })
})

describe('filters', () => {
  it('carry into every paging URI and select the same records on every page', async () => {
    const all = await readAll()
    const to = all.find((message) => message.to.startsWith('+1'))?.to as string
    const sentAfter = day(all[Math.floor(all.length / 2)]?.date_sent ?? null) as string
    const query = { 'DateSent>': sentAfter, PageSize: 10 }
    const { records, pages } = await walk('Messages.json', query)
    const expected = all.filter((message) => message.date_sent !== null && (day(message.date_sent) as string) >= sentAfter)
    expect(records.map((message) => message.sid)).toEqual(expected.map((message) => message.sid))
    expect(pages.length).toBeGreaterThan(1)
    for (const page of pages) {
      expect(page.uri).toContain(`DateSent%3E=${sentAfter}`)
      if (page.next_page_uri) expect(page.next_page_uri).toContain(`DateSent%3E=${sentAfter}&PageSize=10`)
    }
    const byTo = await walk('Messages.json', { To: to, PageSize: 2 })
    expect(byTo.records.map((message) => message.sid)).toEqual(all.filter((message) => message.to === to).map((message) => message.sid))
  })

  it('compare UTC days only: =, on-or-before (<) and on-or-after (>), whatever the time given', async () => {
    const all = await readAll()
    const target = all.find((message) => message.date_sent !== null) as Message
    const targetDay = day(target.date_sent) as string
    const sameDay = all.filter((message) => day(message.date_sent) === targetDay).map((message) => message.sid)
    const onDay = await http.get('Messages.json', { DateSent: targetDay, PageSize: 1000 })
    expect(onDay.body.messages.map((message: Message) => message.sid)).toEqual(sameDay)
    // The SDK sends full timestamps; late or early in the day, they still mean the whole day.
    const late = await http.get('Messages.json', { 'DateSent>': `${targetDay}T23:59:59Z`, 'DateSent<': `${targetDay}T00:00:00Z`, PageSize: 1000 })
    expect(late.body.messages.map((message: Message) => message.sid)).toEqual(sameDay)
    const rfc = await http.get('Messages.json', { DateSent: new Date(`${targetDay}T12:00:00Z`).toUTCString().replace('GMT', '+0000'), PageSize: 1000 })
    expect(rfc.body.messages.map((message: Message) => message.sid)).toEqual(sameDay)
    const before = await http.get('Messages.json', { 'DateSent<': targetDay, PageSize: 1000 })
    expect(before.body.messages.every((message: Message) => (day(message.date_sent) as string) <= targetDay)).toBe(true)
    expect(before.body.messages.length).toBe(all.filter((message) => message.date_sent !== null && (day(message.date_sent) as string) <= targetDay).length)
  })

  it('filter calls by status, start time and parent call', async () => {
    const calls = (await http.get('Calls.json', { PageSize: 1000 })).body.calls as Array<{ sid: string, status: string, start_time: string | null, parent_call_sid: string | null }>
    const busy = await http.get('Calls.json', { Status: 'busy', PageSize: 1000 })
    expect(busy.body.calls.map((call: { sid: string }) => call.sid)).toEqual(calls.filter((call) => call.status === 'busy').map((call) => call.sid))
    const child = calls.find((call) => call.parent_call_sid !== null)
    expect(child).toBeDefined()
    const children = await http.get('Calls.json', { ParentCallSid: child?.parent_call_sid as string })
    expect(children.body.calls.map((call: { sid: string }) => call.sid)).toContain(child?.sid)
    const started = day(calls[5]?.start_time ?? null) ?? '2000-01-01'
    const startedOnOrBefore = await http.get('Calls.json', { 'StartTime<': started, PageSize: 1000 })
    expect(startedOnOrBefore.body.calls.length).toBe(calls.filter((call) => call.start_time !== null && (day(call.start_time) as string) <= started).length)
  })

  it.each([
    [{ 'DateSent>': '2025-13-01' }, 20001, /DateSent>/],
    [{ DateSent: '2024-02-30' }, 20001, /DateSent/],
    [{ DateSent: 'yesterday' }, 20001, /DateSent/]
  ])('rejects an invalid date filter %o', async (query, code, message) => {
    const error = twilioError(await http.get('Messages.json', query))
    expect(error).toMatchObject({ status: 400, code })
    expect(error.message).toMatch(message)
  })

  it('ignore empty values', async () => {
    const all = await readAll()
    expect((await http.get('Messages.json', { To: '', 'DateSent>': '', PageSize: 1000 })).body.messages).toHaveLength(all.length)
  })

  it('rejects an unknown call status and a malformed SID filter', async () => {
    expect(twilioError(await http.get('Calls.json', { Status: 'done' }))).toMatchObject({ status: 400, code: 20001 })
    expect(twilioError(await http.get('Calls.json', { ParentCallSid: 'CA123' }))).toMatchObject({ status: 400, code: 20001 })
  })
})

describe('paging limits and tokens', () => {
  it('answers 20007 above 1000 records per page and 20001 for a malformed size', async () => {
    expect((await http.get('Messages.json', { PageSize: 1000 })).status).toBe(200)
    expect(twilioError(await http.get('Messages.json', { PageSize: 1001 }))).toMatchObject({ status: 400, code: 20007 })
    expect(twilioError(await http.get('Messages.json', { PageSize: 0 }))).toMatchObject({ status: 400, code: 20001 })
    expect(twilioError(await http.get('Messages.json', { PageSize: 'ten' }))).toMatchObject({ status: 400, code: 20001 })
    expect(twilioError(await http.get('Messages.json', { Page: -1 }))).toMatchObject({ status: 400, code: 20001 })
  })

  it('answers 21481 for a token it did not issue', async () => {
    for (const token of ['garbage', `PA${'SM'}${'0'.repeat(32)}`, `PX${all[0]?.sid ?? ''}`, `PA${all[0]?.sid.slice(0, 10) ?? ''}`]) {
      expect(twilioError(await http.get('Messages.json', { PageToken: token }))).toMatchObject({ status: 400, code: 21481 })
    }
    // A token of another list is not a position in this one.
    expect(twilioError(await http.get('Calls.json', { PageToken: `PA${all[0]?.sid ?? ''}` }))).toMatchObject({ code: 21481 })
  })
})
