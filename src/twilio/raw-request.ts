/**
 * Calls Twilio endpoints the SDK no longer has (call Feedback and FeedbackSummary, removed from twilio-node in
 * 4.23.0) through the SDK's generic `client.request`, so auth, region/edge and transport stay the SDK's.
 */
import twilio from 'twilio'
import type { UpstreamContext } from './client.js'
import type { TwilioRecord } from './entity-adapter.js'

/** Sends a request to `path` (relative to Twilio's API host); answers the parsed JSON, or throws Twilio's error. */
export async function twilioRequest (
  upstream: UpstreamContext,
  method: 'get' | 'post' | 'delete',
  path: string,
  form?: Record<string, unknown>
): Promise<TwilioRecord | undefined> {
  // The SDK needs a lowercase method: with 'POST' it sends no Content-Type and drops the body.
  const response = await upstream.client.request({
    method,
    uri: upstream.client.api.absoluteUrl(path),
    ...(form ? { data: form } : {})
  })
  if (response.statusCode < 200 || response.statusCode >= 300) throw new twilio.RestException(response)
  const body: unknown = response.body
  if (typeof body === 'string') return body ? JSON.parse(body) as TwilioRecord : undefined
  return body as TwilioRecord | undefined
}

export function accountPath (upstream: UpstreamContext, rest: string): string {
  return `/2010-04-01/Accounts/${upstream.accountSid}/${rest}`
}
