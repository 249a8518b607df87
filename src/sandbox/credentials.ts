import { createHmac } from 'node:crypto'
import { isSid } from './wire.js'

/** The credentials a sandbox accepts: its main account, subaccounts (with their own tokens) and API keys. */
export interface SandboxCredentials {
  accountSid: string
  authToken: string
  subaccounts: SubaccountCredentials[]
  apiKeys: ApiKeyCredentials[]
}

export interface SubaccountCredentials {
  sid: string
  authToken: string
  friendlyName: string
}

/** An API key (`SK…` + secret) acts on the account that owns it and on that account's subaccounts. */
export interface ApiKeyCredentials {
  sid: string
  secret: string
  accountSid: string
}

export interface CredentialOptions {
  accountSid: string
  authToken: string
  subaccounts?: Array<{ sid: string, authToken: string, friendlyName?: string }>
  /** `accountSid` defaults to the main account. */
  apiKeys?: Array<{ sid: string, secret: string, accountSid?: string }>
}

/**
 * Applies the defaults: one subaccount and one API key of the main account, derived from the main account's
 * SID and token by HMAC, so they are stable for a given token yet unguessable without it.
 */
export function resolveCredentials (options: CredentialOptions): SandboxCredentials {
  const { accountSid, authToken } = options
  if (!isSid(accountSid, 'AC')) throw new Error(`accountSid must be 'AC' followed by 32 hex digits, got '${accountSid}'`)
  if (typeof authToken !== 'string' || authToken.length === 0) throw new Error('authToken is required')
  const derive = (purpose: string): string => createHmac('sha256', authToken).update(`${purpose}:${accountSid}`).digest('hex').slice(0, 32)
  const subaccounts = (options.subaccounts ?? [{ sid: `AC${derive('subaccount-sid')}`, authToken: derive('subaccount-token') }])
    .map(({ sid, authToken: token, friendlyName }) => ({ sid, authToken: token, friendlyName: friendlyName ?? 'Sandbox subaccount' }))
  const apiKeys = (options.apiKeys ?? [{ sid: `SK${derive('api-key-sid')}`, secret: derive('api-key-secret') }])
    .map(({ sid, secret, accountSid: owner }) => ({ sid, secret, accountSid: owner ?? accountSid }))
  const accounts = new Set([accountSid])
  for (const subaccount of subaccounts) {
    if (!isSid(subaccount.sid, 'AC') || accounts.has(subaccount.sid)) throw new Error(`subaccount sid '${subaccount.sid}' must be a new 'AC' SID`)
    if (subaccount.authToken.length === 0) throw new Error(`subaccount ${subaccount.sid} needs an authToken`)
    accounts.add(subaccount.sid)
  }
  for (const key of apiKeys) {
    if (!isSid(key.sid, 'SK')) throw new Error(`API key sid '${key.sid}' must be 'SK' followed by 32 hex digits`)
    if (key.secret.length === 0) throw new Error(`API key ${key.sid} needs a secret`)
    if (!accounts.has(key.accountSid)) throw new Error(`API key ${key.sid} belongs to unknown account ${key.accountSid}`)
  }
  return { accountSid, authToken, subaccounts, apiKeys }
}
