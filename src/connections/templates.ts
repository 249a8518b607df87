/**
 * The Twilio connector version the gateway hosts (`providers/twilio/connectors/twilio/versions/1`): its config
 * variable, auth and destination templates, in the shapes of Google's ConnectorVersion. Connection validation and
 * the v1 catalogue both read them from here.
 */

export const PROVIDER = 'twilio'
export const CONNECTOR = 'twilio'
export const VERSION = '1'
export const CONNECTOR_VERSION_PATTERN = /^projects\/[^/]+\/locations\/global\/providers\/twilio\/connectors\/twilio\/versions\/1$/

export type ValueType = 'STRING' | 'INT' | 'BOOL' | 'SECRET' | 'ENUM'

export interface ConfigVariableTemplate {
  key: string
  displayName: string
  description: string
  valueType: ValueType
  required: boolean
  enumOptions?: Array<{ id: string, displayName: string }>
  /** RE2 (and JavaScript) pattern a STRING value must match. */
  validationRegex?: string
  isAdvanced?: boolean
}

const options = (...ids: string[]): Array<{ id: string, displayName: string }> => ids.map((id) => ({ id, displayName: id }))

export const CONFIG_VARIABLE_TEMPLATES: readonly ConfigVariableTemplate[] = [
  { key: 'proxy_enabled', displayName: 'Use proxy', description: 'Reach Twilio through the proxy server of the proxy_server destination.', valueType: 'BOOL', required: false },
  { key: 'proxy_auth_scheme', displayName: 'Proxy auth scheme', description: 'How the gateway authenticates to the proxy.', valueType: 'ENUM', required: false, enumOptions: options('BASIC', 'DIGEST', 'NONE') },
  { key: 'proxy_user', displayName: 'Proxy user', description: 'User name for the proxy.', valueType: 'STRING', required: false },
  { key: 'proxy_password', displayName: 'Proxy password', description: 'Secret Manager secret version holding the proxy password.', valueType: 'SECRET', required: false },
  { key: 'proxy_ssltype', displayName: 'Proxy SSL type', description: 'AUTO: tunnel for HTTPS, plain for HTTP; ALWAYS: TLS to the proxy; NEVER: no TLS to the proxy; TUNNEL: CONNECT tunnel.', valueType: 'ENUM', required: false, enumOptions: options('AUTO', 'ALWAYS', 'NEVER', 'TUNNEL') },
  { key: 'account_sid', displayName: 'Account SID', description: 'The Twilio account to act on: needed when the username is an API key (SK…), or to act on a subaccount with its parent\'s credentials.', valueType: 'STRING', required: false, validationRegex: '^AC[0-9a-fA-F]{32}$' },
  { key: 'region', displayName: 'Region', description: 'Twilio region, e.g. ie1 (used with edge).', valueType: 'STRING', required: false, validationRegex: '^[a-z]{2}[0-9]$', isAdvanced: true },
  { key: 'edge', displayName: 'Edge', description: 'Twilio edge location, e.g. dublin.', valueType: 'STRING', required: false, validationRegex: '^[a-z-]+$', isAdvanced: true },
  { key: 'sandbox', displayName: 'Use the gateway\'s sandbox', description: 'Reach the gateway\'s built-in Twilio simulator instead of Twilio (honoured only while the sandbox runs).', valueType: 'BOOL', required: false, isAdvanced: true }
]

export const PROXY_DESTINATION_KEY = 'proxy_server'

export const DESTINATION_CONFIG_TEMPLATES = [
  {
    key: PROXY_DESTINATION_KEY,
    displayName: 'Proxy server',
    description: 'Host and port of the HTTP proxy Twilio is reached through (with proxy_enabled).',
    defaultPort: 3128,
    portFieldType: 'PORT_FIELD_TYPE_UNSPECIFIED',
    isRequired: false,
    max: 1
  }
]

export const AUTH_CONFIG_TEMPLATES = [
  {
    authType: 'USER_PASSWORD',
    authKey: 'user-password',
    displayName: 'Username and password',
    description: 'Twilio Account SID (or API key SID) and its Auth Token (or API key secret) from Secret Manager.',
    isDefault: true,
    configVariableTemplates: [
      { key: 'username', displayName: 'Account SID or API key SID', valueType: 'STRING', required: true, validationRegex: '^(AC|SK)[0-9a-fA-F]{32}$' },
      { key: 'password', displayName: 'Auth Token or API key secret', valueType: 'SECRET', required: true }
    ]
  }
]

export const NODE_LIMITS = { min: 1, max: 100, defaultMin: 2, defaultMax: 50 }

export function templateOf (key: string): ConfigVariableTemplate | undefined {
  return CONFIG_VARIABLE_TEMPLATES.find((template) => template.key === key)
}
