/**
 * Resolves the connection a runtime call names and prepares its upstream client.
 */
import type { Connection } from '../connections/connection.js'
import type { ConnectionRegistry } from '../connections/registry.js'
import { FailedPreconditionError, NotFoundError } from '../errors.js'
import type { TwilioClients, UpstreamContext } from '../twilio/client.js'

export class ConnectionRuntime {
  constructor (private readonly registry: ConnectionRegistry, private readonly clients: TwilioClients) {}

  /** The named connection; 404 NOT_FOUND when it does not exist. */
  async connection (name: string): Promise<Connection> {
    const connection = await this.registry.get(name)
    if (!connection) throw new NotFoundError(`Connection ${name} not found`)
    return connection
  }

  /** The upstream context of a connection that may serve runtime calls. */
  async upstream (name: string): Promise<UpstreamContext> {
    const connection = await this.connection(name)
    if (connection.suspended) {
      throw new FailedPreconditionError(`Connection ${name} is suspended; resume it to call Twilio through it`)
    }
    return this.clients.forConnection(connection)
  }
}
