/** The official `twilio` SDK pointed at a sandbox, as twilio-api.md §12.2 describes (option A). */
import twilio from 'twilio'
import type { TestSandbox } from '../../helpers/sandbox.js'

type RequestOptions<TData> = import('twilio/lib/base/RequestClient.js').RequestOptions<TData>

/** The SDK's own HTTP client with every `https://api.twilio.com` URI rewritten to the sandbox. */
export class SandboxRequestClient extends twilio.RequestClient {
  constructor (private readonly baseUrl: string) {
    super({ timeout: 5000 })
  }

  override request<TData> (options: RequestOptions<TData>) {
    return super.request<TData>({ ...options, uri: options.uri.replace(/^https:\/\/[^/]+/, this.baseUrl) })
  }
}

/** A Twilio client of the sandbox; an API key username needs the account it acts for. */
export function sdkClient (sandbox: TestSandbox, username = sandbox.accountSid, password = sandbox.authToken, accountSid?: string): twilio.Twilio {
  return twilio(username, password, { httpClient: new SandboxRequestClient(sandbox.baseUrl), ...(accountSid ? { accountSid } : {}) })
}
