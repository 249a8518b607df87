import type { Connection } from './connection.js'

/** The connection `npm start` provides while the sandbox runs. */
export const SANDBOX_CONNECTION_NAME = 'projects/local/locations/local/connections/sandbox'
/** The secret holding the sandbox account's auth token. */
export const SANDBOX_TOKEN_SECRET = 'projects/local/secrets/sandbox-auth-token'

/** A ready connection to the built-in sandbox: only this `sandbox` variable lets a connection reach it. */
export function sandboxConnection (accountSid: string, tokenSecretVersion: string, name = SANDBOX_CONNECTION_NAME): Connection {
  return {
    name,
    description: 'The built-in Twilio sandbox (a simulated account; no real messages or calls)',
    connectorVersion: 'projects/local/locations/global/providers/twilio/connectors/twilio/versions/1',
    labels: { sandbox: 'true' },
    configVariables: [{ key: 'sandbox', boolValue: true }],
    authConfig: {
      authType: 'USER_PASSWORD',
      userPassword: { username: accountSid, password: { secretVersion: tokenSecretVersion } }
    },
    nodeConfig: { minNodeCount: 2, maxNodeCount: 50 },
    status: { state: 'ACTIVE', description: 'Sandbox connection' }
  }
}
