/**
 * Twilio records → typed entity fields, driven by the entity's schema: RFC 2822 dates (or the SDK's `Date`s) become
 * ISO 8601, Twilio's numeric strings become numbers, nested objects stay objects.
 *
 *   { "date_sent": "Tue, 31 Aug 2010 20:36:28 +0000", "num_segments": "1", "from": "+1…" }   (raw JSON)
 *   { dateSent: Date, numSegments: "1", from: "+1…" }                                       (SDK instance JSON)
 *     → { "DateSent": "2010-08-31T20:36:28Z", "NumSegments": 1, "Sender": "+1…" }
 */
import { typesOf, type PropertySchema } from './catalog.js'

export type Fields = Record<string, unknown>

const camelCase = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase())

/** Formats an instant as ISO 8601 in UTC, without the milliseconds Twilio never has. */
export function isoTimestamp (date: Date): string {
  return date.toISOString().replace('.000Z', 'Z')
}

type Kind = 'date-time' | 'number' | 'as-is'

/** How one field is read from a Twilio record: its snake_case and camelCase names, and how its value converts. */
interface FieldPlan { field: string, snake: string, camel: string, kind: Kind }

function convert (kind: Kind, value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (kind === 'date-time') {
    const date = value instanceof Date ? value : new Date(String(value))
    return Number.isNaN(date.getTime()) ? null : isoTimestamp(date)
  }
  if (kind === 'number' && typeof value === 'string') {
    if (value.trim() === '') return null
    const number = Number(value)
    return Number.isNaN(number) ? null : number
  }
  return value
}

/** Field plans per schema, worked out once (entity schemas live as long as the process). */
const plans = new WeakMap<Record<string, PropertySchema>, FieldPlan[]>()

function planOf (properties: Record<string, PropertySchema>): FieldPlan[] {
  let plan = plans.get(properties)
  if (!plan) {
    plan = Object.entries(properties).map(([field, property]) => {
      const snake = property['x-twilio-name'] ?? field
      const types = typesOf(property)
      const kind: Kind = property.format === 'date-time' ? 'date-time'
        : types.includes('integer') || types.includes('number') ? 'number' : 'as-is'
      return { field, snake, camel: camelCase(snake), kind }
    })
    plans.set(properties, plan)
  }
  return plan
}

/**
 * Maps a Twilio record onto the given field schemas. Each field is looked up by its Twilio name in snake_case
 * (raw JSON) and camelCase (the SDK's instances); every field is present, null when Twilio did not send it.
 */
export function toFields (properties: Record<string, PropertySchema>, record: Record<string, unknown>): Fields {
  const fields: Fields = {}
  for (const { field, snake, camel, kind } of planOf(properties)) {
    fields[field] = convert(kind, snake in record ? record[snake] : record[camel])
  }
  return fields
}
