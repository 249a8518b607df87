/**
 * `:checkStatus` and `:checkReadiness`. Status is always an answer, never an error, for a connection that exists:
 * ACTIVE when Twilio accepts its credentials (one cheap read of the account), AUTH_ERROR when Twilio refuses them,
 * ERROR with a description otherwise. Readiness says whether the gateway can serve the connection at all
 * (configuration and secret), without calling Twilio.
 */
import { GatewayError } from '../errors.js'
import type { TwilioClients } from '../twilio/client.js'
import { account } from '../twilio/sdk-resource.js'
import { CredentialsRefusedError, upstreamError } from '../twilio/errors.js'
import type { ConnectionRuntime } from './connections.js'

export interface CheckStatusResponse { state: 'ACTIVE' | 'ERROR' | 'AUTH_ERROR', description: string }
export interface CheckReadinessResponse { status: 'ACTIVE' | 'ERROR' }

export class ConnectionStatusService {
  constructor (private readonly connections: ConnectionRuntime, private readonly clients: TwilioClients) {}

  async checkStatus (name: string): Promise<CheckStatusResponse> {
    const connection = await this.connections.connection(name)
    if (connection.suspended) return { state: 'ERROR', description: 'The connection is suspended' }
    try {
      const upstream = await this.clients.forConnection(connection)
      await account(upstream).fetch().catch((error: unknown) => {
        throw upstreamError(error, { connection: name, operation: 'CHECK', subject: `Account ${upstream.accountSid}` })
      })
      return { state: 'ACTIVE', description: `Twilio accepts the credentials for account ${upstream.accountSid}` }
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error
      return { state: error instanceof CredentialsRefusedError ? 'AUTH_ERROR' : 'ERROR', description: error.message }
    }
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
