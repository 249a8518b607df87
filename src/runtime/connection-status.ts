/**
 * Whether a connection works: its secret can be read and Twilio accepts its credentials (one cheap read of the
 * account). The v2 `:checkStatus` answers it (always 200 for an existing connection: ACTIVE, AUTH_ERROR or ERROR
 * with a description); the v1 API records it as the connection's `status` when the connection is created or
 * updated. `:checkReadiness` says whether the gateway can serve the connection at all, without calling Twilio.
 */
import type { Connection, ConnectionStatus } from '../connections/connection.js'
import { GatewayError } from '../errors.js'
import type { TwilioClients } from '../twilio/client.js'
import { CredentialsRefusedError, upstreamError } from '../twilio/errors.js'
import { account } from '../twilio/sdk-resource.js'
import type { ConnectionRuntime } from './connections.js'

export interface CheckStatusResponse { state: 'ACTIVE' | 'ERROR' | 'AUTH_ERROR', description: string }
export interface CheckReadinessResponse { status: 'ACTIVE' | 'ERROR' }

export class ConnectionStatusService {
  constructor (private readonly connections: ConnectionRuntime, private readonly clients: TwilioClients) {}

  /** Reads the connection's secret and asks Twilio for its account. */
  async probe (connection: Connection): Promise<CheckStatusResponse> {
    if (connection.suspended) return { state: 'ERROR', description: 'The connection is suspended' }
    try {
      const accountSid = await this.connections.runFor(connection, async (upstream) => {
        await account(upstream).fetch().catch((error: unknown) => {
          throw upstreamError(error, { connection: connection.name, operation: 'CHECK', subject: `Account ${upstream.accountSid}` })
        })
        return upstream.accountSid
      })
      return { state: 'ACTIVE', description: `Twilio accepts the credentials for account ${accountSid}` }
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error
      return { state: error instanceof CredentialsRefusedError ? 'AUTH_ERROR' : 'ERROR', description: error.message }
    }
  }

  /** The v1 `status` of a connection after a create or update. */
  async connectionStatus (connection: Connection): Promise<ConnectionStatus> {
    if (connection.suspended) return { state: 'INACTIVE', description: 'The connection is suspended' }
    const probe = await this.probe(connection)
    const state = { ACTIVE: 'ACTIVE', AUTH_ERROR: 'AUTHORIZATION_REQUIRED', ERROR: 'ERROR' }[probe.state]
    return { state, description: probe.description }
  }

  async checkStatus (name: string): Promise<CheckStatusResponse> {
    return this.probe(await this.connections.connection(name))
  }

  async checkReadiness (name: string): Promise<CheckReadinessResponse> {
    const connection = await this.connections.connection(name)
    if (connection.suspended) return { status: 'ERROR' }
    try {
      await this.clients.forConnection(connection)
      return { status: 'ACTIVE' }
    } catch (error) {
      if (error instanceof GatewayError) return { status: 'ERROR' }
      throw error
    }
  }
}
