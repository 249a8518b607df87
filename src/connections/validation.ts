/**
 * Checks Connection resources: their JSON shape (every field of Google's resource, nothing unknown) and the
 * Twilio connector version's rules (connector version, USER_PASSWORD credentials, config variables against the
 * templates, the proxy destination, node counts). Every problem is reported at once, each naming its field.
 */
import type { ValidateFunction } from 'ajv'
import type { FieldViolation } from '../errors.js'
import { InvalidArgumentError } from '../errors.js'
import { SECRET_VERSION_NAME } from '../secrets/secret-store.js'
import { BODY_AJV_OPTIONS, createAjv, summarize, violationsFromAjv } from '../validation/ajv.js'
import type { Connection, ConnectionSpec } from './connection.js'
import { CONNECTION_INPUT_SCHEMA, OUTPUT_ONLY_FIELDS, SETTABLE_FIELDS, int64AsStrings } from './resource-schema.js'
import { CONNECTOR_VERSION_PATTERN, NODE_LIMITS, PROXY_DESTINATION_KEY, templateOf } from './templates.js'

/** Google's rule for connection ids. */
export const CONNECTION_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/
const TWILIO_USERNAME = /^(AC|SK)[0-9a-fA-F]{32}$/
const SERVICE_ACCOUNT = /^[^@\s]+@[^@\s]+$/

export function checkConnectionId (id: string | undefined): string {
  if (id === undefined || id === '') {
    throw new InvalidArgumentError('connectionId is required', [{ field: 'connectionId', description: 'is required' }])
  }
  if (!CONNECTION_ID.test(id)) {
    throw new InvalidArgumentError(`connectionId '${id}' is not a valid connection id`, [{
      field: 'connectionId',
      description: 'must be lowercase letters, digits and hyphens, start with a letter, end with a letter or digit, and be at most 63 characters'
    }])
  }
  return id
}

/** The settable fields of a request body, int64 values as strings, output-only fields dropped. */
function settable (body: Record<string, unknown>): ConnectionSpec {
  const spec: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(body)) {
    if (!OUTPUT_ONLY_FIELDS.includes(field)) spec[field] = int64AsStrings(value, SETTABLE_FIELDS[field]!)
  }
  return spec as unknown as ConnectionSpec
}

export class ConnectionValidator {
  readonly #shape: ValidateFunction

  constructor () {
    this.#shape = createAjv(BODY_AJV_OPTIONS).compile(CONNECTION_INPUT_SCHEMA)
  }

  /** The settable fields of a request body, after checking its JSON shape. */
  parse (body: unknown): ConnectionSpec {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidArgumentError('The body must be a Connection JSON object', [{ field: 'connection', description: 'must be an object' }])
    }
    const nul = nulCharacterAt(body, 'connection')
    if (nul) {
      throw new InvalidArgumentError(`Invalid Connection: ${nul} contains a NUL character (U+0000)`, [{ field: nul, description: 'must not contain U+0000' }])
    }
    if (!this.#shape(body)) {
      const violations = violationsFromAjv(this.#shape.errors, 'connection', (name) =>
        `is not a field of Connection (Unknown name "${name}")`)
      throw new InvalidArgumentError(`Invalid Connection: ${summarize(violations)}`, violations)
    }
    return settable(body as Record<string, unknown>)
  }

  /** Applies the Twilio connector version's rules to a complete connection. */
  check (spec: ConnectionSpec): void {
    const violations = [
      ...connectorVersionViolations(spec),
      ...authViolations(spec),
      ...configVariableViolations(spec),
      ...destinationViolations(spec),
      ...nodeViolations(spec),
      ...otherViolations(spec)
    ]
    if (violations.length) throw new InvalidArgumentError(`Invalid Connection: ${summarize(violations)}`, violations)
  }
}

/** The path of the first string (value or key) holding U+0000, which PostgreSQL text cannot store. */
function nulCharacterAt (value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, item] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`
    if (key.includes('\u0000')) return at
    const found = nulCharacterAt(item, at)
    if (found) return found
  }
  return undefined
}

function connectorVersionViolations (spec: ConnectionSpec): FieldViolation[] {
  if (spec.connectorVersion && CONNECTOR_VERSION_PATTERN.test(spec.connectorVersion)) return []
  return [{
    field: 'connection.connectorVersion',
    description: 'must be projects/{project}/locations/global/providers/twilio/connectors/twilio/versions/1'
  }]
}

function authViolations (spec: ConnectionSpec): FieldViolation[] {
  const auth = spec.authConfig
  const field = 'connection.authConfig'
  if (!auth) return [{ field, description: 'is required: USER_PASSWORD with the Account SID (or API key SID) and the Secret Manager version of its token' }]
  const violations: FieldViolation[] = []
  if (auth.authType !== 'USER_PASSWORD') violations.push({ field: `${field}.authType`, description: 'must be USER_PASSWORD (the only auth type of the Twilio connector)' })
  const username = auth.userPassword?.username
  if (!username || !TWILIO_USERNAME.test(username)) {
    violations.push({ field: `${field}.userPassword.username`, description: 'must be a Twilio Account SID (AC…) or API key SID (SK…)' })
  } else if (username.startsWith('SK') && !spec.configVariables?.some((variable) => variable.key === 'account_sid' && variable.stringValue)) {
    violations.push({ field: 'connection.configVariables', description: 'needs account_sid when the username is an API key (SK…)' })
  }
  const secretVersion = auth.userPassword?.password?.secretVersion
  if (!secretVersion || !SECRET_VERSION_NAME.test(secretVersion)) {
    violations.push({ field: `${field}.userPassword.password.secretVersion`, description: 'must be a secret version name projects/*/secrets/*/versions/*' })
  }
  return violations
}

const VALUE_KINDS = ['intValue', 'boolValue', 'stringValue', 'secretValue', 'encryptionKeyValue'] as const

function configVariableViolations (spec: ConnectionSpec): FieldViolation[] {
  const violations: FieldViolation[] = []
  const seen = new Set<string>()
  spec.configVariables?.forEach((variable, index) => {
    const field = `connection.configVariables[${index}]`
    const template = templateOf(variable.key)
    if (!template) {
      violations.push({ field: `${field}.key`, description: `'${variable.key}' is not a config variable of the Twilio connector` })
      return
    }
    if (seen.has(variable.key)) violations.push({ field: `${field}.key`, description: `'${variable.key}' is given more than once` })
    seen.add(variable.key)
    const kinds = VALUE_KINDS.filter((kind) => variable[kind] !== undefined)
    const expected = { BOOL: 'boolValue', STRING: 'stringValue', ENUM: 'stringValue', SECRET: 'secretValue', INT: 'intValue' }[template.valueType]
    // Terraform drops false, 0 and "" values: a variable may arrive as its key alone, meaning that empty value.
    if (kinds.length > 1 || (kinds.length === 1 && kinds[0] !== expected)) {
      violations.push({ field, description: `${variable.key} takes ${expected} only` })
      return
    }
    if (template.valueType === 'SECRET' && (!variable.secretValue?.secretVersion || !SECRET_VERSION_NAME.test(variable.secretValue.secretVersion))) {
      violations.push({ field: `${field}.secretValue.secretVersion`, description: 'must be a secret version name projects/*/secrets/*/versions/*' })
    }
    const value = variable.stringValue
    if (value && template.enumOptions && !template.enumOptions.some((option) => option.id === value)) {
      violations.push({ field: `${field}.stringValue`, description: `must be one of ${template.enumOptions.map((option) => option.id).join(', ')}` })
    }
    if (value && template.validationRegex && !new RegExp(template.validationRegex).test(value)) {
      violations.push({ field: `${field}.stringValue`, description: `must match ${template.validationRegex}` })
    }
  })
  return violations
}

function destinationViolations (spec: ConnectionSpec): FieldViolation[] {
  const violations: FieldViolation[] = []
  spec.destinationConfigs?.forEach((config, index) => {
    const field = `connection.destinationConfigs[${index}]`
    if (config.key !== PROXY_DESTINATION_KEY) {
      violations.push({ field: `${field}.key`, description: `must be ${PROXY_DESTINATION_KEY} (the Twilio connector's only destination)` })
    }
    if ((config.destinations?.length ?? 0) !== 1) violations.push({ field: `${field}.destinations`, description: 'must hold exactly one destination' })
    config.destinations?.forEach((destination, at) => {
      if (!destination.host) violations.push({ field: `${field}.destinations[${at}].host`, description: 'is required' })
      if (destination.port !== undefined && (destination.port < 1 || destination.port > 65535)) {
        violations.push({ field: `${field}.destinations[${at}].port`, description: 'must be a port number (1-65535)' })
      }
    })
  })
  if ((spec.destinationConfigs?.length ?? 0) > 1) violations.push({ field: 'connection.destinationConfigs', description: `must hold at most one ${PROXY_DESTINATION_KEY}` })
  const proxyEnabled = spec.configVariables?.some((variable) => variable.key === 'proxy_enabled' && variable.boolValue === true)
  if (proxyEnabled && !spec.destinationConfigs?.some((config) => config.key === PROXY_DESTINATION_KEY)) {
    violations.push({ field: 'connection.destinationConfigs', description: `needs a ${PROXY_DESTINATION_KEY} destination when proxy_enabled is true` })
  }
  return violations
}

function nodeViolations (spec: ConnectionSpec): FieldViolation[] {
  const min = spec.nodeConfig?.minNodeCount ?? NODE_LIMITS.defaultMin
  const max = spec.nodeConfig?.maxNodeCount ?? Math.max(NODE_LIMITS.defaultMax, min)
  const violations: FieldViolation[] = []
  const bounds = `must be between ${NODE_LIMITS.min} and ${NODE_LIMITS.max}`
  if (min < NODE_LIMITS.min || min > NODE_LIMITS.max) violations.push({ field: 'connection.nodeConfig.minNodeCount', description: bounds })
  if (max < NODE_LIMITS.min || max > NODE_LIMITS.max) violations.push({ field: 'connection.nodeConfig.maxNodeCount', description: bounds })
  if (min > max) violations.push({ field: 'connection.nodeConfig', description: 'minNodeCount must not exceed maxNodeCount' })
  return violations
}

function otherViolations (spec: ConnectionSpec): FieldViolation[] {
  const violations: FieldViolation[] = []
  for (const [key, value] of Object.entries(spec.labels ?? {})) {
    if (!LABEL_KEY.test(key)) violations.push({ field: `connection.labels.${key}`, description: 'label keys are lowercase letters, digits, _ and -, starting with a letter, at most 63' })
    if (!LABEL_VALUE.test(value)) violations.push({ field: `connection.labels.${key}`, description: 'label values are lowercase letters, digits, _ and -, at most 63' })
  }
  if (spec.serviceAccount && !SERVICE_ACCOUNT.test(spec.serviceAccount)) {
    violations.push({ field: 'connection.serviceAccount', description: 'must be a service account e-mail address' })
  }
  if ((spec.eventingEnablementType && spec.eventingEnablementType !== 'EVENTING_ENABLEMENT_TYPE_UNSPECIFIED') || spec.eventingConfig) {
    violations.push({ field: 'connection.eventingEnablementType', description: 'the Twilio connector does not support eventing' })
  }
  return violations
}

/** The settable fields of a stored connection, for merging an update into. */
export function specOf (connection: Connection): ConnectionSpec {
  const { name: _name, status: _status, ...spec } = connection
  return spec
}
