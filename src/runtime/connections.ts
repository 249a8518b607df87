/**
 * Resolves the connection a runtime call names and runs calls against its upstream: admitted by the connection's
 * throttle (with a deadline and an upstream request budget), and surviving credential rotation — when Twilio (or
 * the connection's proxy) refuses the credentials, the secrets are read again once and the call retried; while
 * Twilio keeps refusing them the connection's status is AUTHORIZATION_REQUIRED (with Twilio's description), and
 * ACTIVE again once they work.
 */
import type { Connection } from '../connections/connection.js'
import type { ConnectionRegistry } from '../connections/registry.js'
import { FailedPreconditionError, NotFoundError } from '../errors.js'
import type { CallAllowance } from '../throttle/call-allowance.js'
import type { CallLimits, ConnectionThrottle } from '../throttle/throttle.js'
import type { TwilioClients, UpstreamContext } from '../twilio/client.js'
import { CredentialsRefusedError, ProxyCredentialsRefusedError } from '../twilio/errors.js'

export interface ConnectionRuntimeOptions {
  registry: ConnectionRegistry
  clients: TwilioClients
  throttle: ConnectionThrottle
  /** What a call may spend upstream unless it says otherwise. */
  limits: CallLimits
}

export class ConnectionRuntime {
  constructor (private readonly options: ConnectionRuntimeOptions) {}

  /** The named connection; 404 NOT_FOUND when it does not exist. */
  async connection (name: string): Promise<Connection> {
    const connection = await this.options.registry.get(name)
    if (!connection) throw new NotFoundError(`Connection ${name} not found`)
    return connection
  }

  /**
   * Runs `send` as one transaction of the named connection, which must exist and not be suspended: throws 429
   * when the connection is over its rate limit; every upstream request `send` makes is charged to the call.
   */
  async run<T> (name: string, send: (upstream: UpstreamContext) => Promise<T>, limits: Partial<CallLimits> = {}): Promise<T> {
    const connection = await this.connection(name)
    if (connection.suspended) {
      throw new FailedPreconditionError(`Connection ${name} is suspended; resume it to call Twilio through it`)
    }
    const allowance = this.options.throttle.admit(connection, { ...this.options.limits, ...limits })
    return this.runFor(connection, send, allowance)
  }

  /**
   * Runs `send` for a connection as given (also one not stored yet, when it is being created); its upstream requests
   * are charged to `call` when there is one (status probes have none).
   */
  async runFor<T> (connection: Connection, send: (upstream: UpstreamContext) => Promise<T>, call?: CallAllowance): Promise<T> {
    let result: T
    try {
      result = await send(await this.options.clients.forConnection(connection, call))
    } catch (error) {
      if (!(error instanceof CredentialsRefusedError || error instanceof ProxyCredentialsRefusedError)) throw error
      // Perhaps rotated (the auth token or the proxy password): read the secrets again and try once more.
      this.options.clients.invalidate(connection)
      try {
        result = await send(await this.options.clients.forConnection(connection, call))
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
    await this.options.registry.setStatus(connection.name, { state, description })
  }
}
