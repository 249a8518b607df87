import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { deriveAll } from '../../scripts/derive-schemas.js'

describe('schemas/', () => {
  it('is exactly what scripts/derive-schemas.ts derives from the vendored Twilio spec', () => {
    const derived = deriveAll()
    expect(Object.keys(derived).sort()).toEqual([
      'Calls.json', 'Feedback.json', 'FeedbackSummary.json', 'IncomingPhoneNumbers.json', 'Messages.json',
      'OutgoingCallerIds.json', 'Recordings.json'
    ])
    for (const [file, text] of Object.entries(derived)) {
      expect(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8'), `schemas/${file} is stale: run npm run schemas`).toBe(text)
    }
  })

  it('uses Google\'s names for from and friendly_name, and keeps Twilio\'s as input aliases', () => {
    const messages = JSON.parse(deriveAll()['Messages.json']!)
    expect(messages.properties.Sender['x-twilio-name']).toBe('from')
    expect(messages.properties.From).toBeUndefined()
    expect(messages.$defs.Create.properties.Sender['x-aliases']).toEqual(['From'])
    const numbers = JSON.parse(deriveAll()['IncomingPhoneNumbers.json']!)
    expect(numbers.properties.Name['x-twilio-name']).toBe('friendly_name')
    expect(numbers.$defs.Update.properties.Name['x-aliases']).toEqual(['FriendlyName'])
  })

  it('types Twilio\'s numeric strings and RFC 2822 dates', () => {
    const calls = JSON.parse(deriveAll()['Calls.json']!)
    expect(calls.properties.Duration.type).toEqual(['integer', 'null'])
    expect(calls.properties.Price.type).toEqual(['number', 'null'])
    expect(calls.properties.StartTime).toMatchObject({ type: ['string', 'null'], format: 'date-time' })
  })
})
