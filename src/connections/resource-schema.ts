/**
 * JSON Schema of the Connection resource as clients send it (`google.cloud.connectors.v1.Connection`): every field
 * a user can set, with Google's nesting and types, so an unknown or misspelt field is a 400 naming it (as Google's
 * API answers "Unknown name"). Output-only fields are accepted and ignored, as AIP-203 asks.
 */

type Schema = Record<string, unknown>

const string = { type: 'string' }
const boolean = { type: 'boolean' }
const int32 = { type: 'integer', minimum: -2147483648, maximum: 2147483647 }
/** int64 travels as a string in proto3 JSON; Terraform sends numbers. Answered as strings (see `int64AsStrings`). */
export const INT64: Schema = { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]{1,19}$' }] }
const int64 = INT64
const object = (properties: Record<string, Schema>, extra: Schema = {}): Schema =>
  ({ type: 'object', additionalProperties: false, properties, ...extra })
const array = (items: Schema): Schema => ({ type: 'array', items })
const enumOf = (...values: string[]): Schema => ({ type: 'string', enum: values })

const secret = object({ secretVersion: string })

const configVariable = object({
  key: string,
  intValue: int64,
  boolValue: boolean,
  stringValue: string,
  secretValue: secret,
  encryptionKeyValue: object({ type: enumOf('TYPE_UNSPECIFIED', 'GOOGLE_MANAGED', 'CUSTOMER_MANAGED'), kmsKeyName: string })
}, { required: ['key'] })

const authConfig = object({
  authType: enumOf('AUTH_TYPE_UNSPECIFIED', 'USER_PASSWORD', 'OAUTH2_JWT_BEARER', 'OAUTH2_CLIENT_CREDENTIALS', 'SSH_PUBLIC_KEY',
    'OAUTH2_AUTH_CODE_FLOW', 'GOOGLE_AUTHENTICATION', 'OAUTH2_AUTH_CODE_FLOW_GOOGLE_MANAGED'),
  authKey: string,
  additionalVariables: array(configVariable),
  userPassword: object({ username: string, password: secret }),
  oauth2JwtBearer: object({ clientKey: secret, jwtClaims: object({ issuer: string, subject: string, audience: string }) }),
  oauth2ClientCredentials: object({ clientId: string, clientSecret: secret }),
  sshPublicKey: object({ username: string, sshClientCert: secret, certType: string, sshClientCertPass: secret }),
  oauth2AuthCodeFlow: object({
    clientId: string, clientSecret: secret, scopes: array(string), enablePkce: boolean, authUri: string,
    authCode: string, pkceVerifier: string, redirectUri: string
  }),
  oauth2AuthCodeFlowGoogleManaged: object({ scopes: array(string), authCode: string, redirectUri: string })
})

const destinationConfig = object({
  key: string,
  destinations: array(object({ host: string, port: int32, serviceAttachment: string }))
})

const sslConfig = object({
  type: enumOf('SSL_TYPE_UNSPECIFIED', 'TLS', 'MTLS'),
  trustModel: enumOf('PUBLIC', 'PRIVATE', 'INSECURE'),
  privateServerCertificate: secret,
  clientCertificate: secret,
  clientPrivateKey: secret,
  clientPrivateKeyPass: secret,
  serverCertType: enumOf('CERT_TYPE_UNSPECIFIED', 'PEM'),
  clientCertType: enumOf('CERT_TYPE_UNSPECIFIED', 'PEM'),
  useSsl: boolean,
  additionalVariables: array(configVariable)
})

/** The fields a client may set, by their JSON name. */
export const SETTABLE_FIELDS: Record<string, Schema> = {
  description: string,
  labels: { type: 'object', additionalProperties: { type: 'string' } },
  connectorVersion: string,
  configVariables: array(configVariable),
  authConfig,
  euaOauthAuthConfig: authConfig,
  lockConfig: object({ locked: boolean, reason: string }),
  destinationConfigs: array(destinationConfig),
  nodeConfig: object({ minNodeCount: int32, maxNodeCount: int32 }),
  logConfig: object({ enabled: boolean, level: enumOf('LOG_LEVEL_UNSPECIFIED', 'ERROR', 'INFO', 'DEBUG') }),
  sslConfig,
  serviceAccount: string,
  suspended: boolean,
  eventingEnablementType: enumOf('EVENTING_ENABLEMENT_TYPE_UNSPECIFIED', 'EVENTING_AND_CONNECTION', 'ONLY_EVENTING'),
  eventingConfig: { type: 'object', additionalProperties: true },
  authOverrideEnabled: boolean,
  fallbackOnAdminCredentials: boolean,
  asyncOperationsEnabled: boolean,
  trafficShapingConfigs: array(object({ quotaLimit: int64, duration: string })),
  adminFilters: array(object({
    filterKey: string,
    filterType: enumOf('FILTER_TYPE_UNSPECIFIED', 'INCLUSION', 'EXCLUSION'),
    stringValue: string,
    intValue: int64,
    stringListValues: array(string)
  }))
}

/** Fields the server sets; accepted in requests and ignored. */
export const OUTPUT_ONLY_FIELDS = [
  'name', 'createTime', 'updateTime', 'status', 'connectionRevision', 'serviceDirectory', 'tlsServiceDirectory', 'host',
  'imageLocation', 'envoyImageLocation', 'subscriptionType', 'connectorVersionLaunchStage', 'eventingRuntimeData',
  'connectorVersionInfraConfig', 'billingConfig', 'isTrustedTester'
]

export const CONNECTION_INPUT_SCHEMA: Schema = {
  $id: 'ConnectionInput',
  type: 'object',
  additionalProperties: false,
  properties: {
    ...SETTABLE_FIELDS,
    ...Object.fromEntries(OUTPUT_ONLY_FIELDS.map((field) => [field, {}]))
  }
}

/** `value` with every int64 (per `schema`, at any depth) as a string, as proto3 JSON answers them. */
export function int64AsStrings (value: unknown, schema: Schema): unknown {
  if (schema === INT64) return typeof value === 'number' ? String(value) : value
  if (Array.isArray(value) && schema.items) return value.map((item) => int64AsStrings(item, schema.items as Schema))
  if (typeof value === 'object' && value !== null && schema.properties) {
    const properties = schema.properties as Record<string, Schema>
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, properties[key] ? int64AsStrings(item, properties[key]) : item]))
  }
  return value
}
