/** Phone-number helpers: E.164 checks, display formatting and channel addresses such as `whatsapp:+1…`. */

const E164 = /^\+[1-9]\d{7,14}$/

export function isE164 (value: string): boolean {
  return E164.test(value)
}

/** `(415) 555-0142` for North-American numbers, the E.164 form otherwise (Twilio's `*_formatted`). */
export function formatNumber (value: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(value)
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : value
}

/** Splits a messaging address into its channel (`sms` for a bare number) and the number itself. */
export function splitAddress (value: string): { channel: string, number: string } {
  const colon = value.indexOf(':')
  return colon < 0 ? { channel: 'sms', number: value } : { channel: value.slice(0, colon).toLowerCase(), number: value.slice(colon + 1) }
}

/** The WhatsApp sandbox sender every Twilio account can send from. */
export const WHATSAPP_SANDBOX_SENDER = 'whatsapp:+14155238886'
