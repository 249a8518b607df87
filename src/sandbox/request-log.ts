import type { FormBody } from './wire.js'

/** A request as the sandbox received it, so tests can assert exactly what a client sent upstream. */
export interface LoggedRequest {
  method: string
  path: string
  /** Query parameters; a repeated key becomes an array. */
  query: FormBody
  /** The form body, or null when the request had none. */
  body: FormBody | null
  /** The HTTP Basic username, or null without Basic credentials. */
  username: string | null
  /** ISO 8601, of the sandbox's (injectable) clock. */
  time: string
  /** The status answered; null while pending or when a fault reset or hung the connection. */
  status: number | null
}

/** The last `capacity` requests, oldest first. */
export class RequestLog {
  private entries: LoggedRequest[] = []

  constructor (private readonly capacity: number) {}

  record (entry: LoggedRequest): LoggedRequest {
    this.entries.push(entry)
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity)
    return entry
  }

  list (): LoggedRequest[] {
    return this.entries.map((entry) => ({ ...entry }))
  }

  clear (): void {
    this.entries = []
  }
}
