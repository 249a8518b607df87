/**
 * Resolves the connection a runtime call names and runs calls against its upstream, surviving credential
 * rotation: when Twilio (or the connection's proxy) refuses the credentials, the secrets are read again once and
 * the call retried; while Twilio keeps refusing them the connection's status is AUTHORIZATION_REQUIRED (with
 * Twilio's description), and ACTIVE again once they work.
 */
import type { Connection } from '../connections/connection.js'
import type { ConnectionRegistry } from '../connections/registry.js'
import { FailedPreconditionError, NotFoundError } from '../errors.js'
import type { TwilioClients, UpstreamContext } from '../twilio/client.js'
import { CredentialsRefusedError, ProxyCredentialsRefusedError } from '../twilio/errors.js'

export class ConnectionRuntime {
  constructor (private readonly registry: ConnectionRegistry, private readonly clients: TwilioClients) {}

  /** The named connection; 404 NOT_FOUND when it does not exist. */
  async connection (name: string): Promise<Connection> {
    const connection = await this.registry.get(name)
    if (!connection) throw new NotFoundError(`Connection ${name} not found`)
    return connection
  }

  /** Runs `send` for the named connection, which must exist and not be suspended. */
  async run<T> (name: string, send: (upstream: UpstreamContext) => Promise<T>): Promise<T> {
    const connection = await this.connection(name)
    if (connection.suspended) {
      throw new FailedPreconditionError(`Connection ${name} is suspended; resume it to call Twilio through it`)
    }
    return this.runFor(connection, send)
  }

  /** Runs `send` for a connection as given (also one not stored yet, when it is being created). */
  async runFor<T> (connection: Connection, send: (upstream: UpstreamContext) => Promise<T>): Promise<T> {
    let result: T
    try {
      result = await send(await this.clients.forConnection(connection))
    } catch (error) {
      if (!(error instanceof CredentialsRefusedError || error instanceof ProxyCredentialsRefusedError)) throw error
      // Perhaps rotated (the auth token or the proxy password): read the secrets again and try once more.
      this.clients.invalidate(connection)
      try {
        result = await send(await this.clients.forConnection(connection))
      } catch (retryError) {
        if (retryError instanceof CredentialsRefusedError) await this.#record(connection, 'AUTHORIZATION_REQUIRED', retryError.message)
        throw retryError
      }
    }
    if (connection.status?.state === 'AUTHORIZATION_REQUIRED') {
      await this.#record(connection, 'ACTIVE', 'Twilio accepts the credentials again')
    }
    return result
  }

  async #record (connection: Connection, state: string, description: string): Promise<void> {
    if (connection.status?.state === state) return
    await this.registry.setStatus(connection.name, { state, description })
  }
}
