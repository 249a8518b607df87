/**
 * The local store's stand-in for Secret Manager's IAM: connections may reference only the secret name prefixes an
 * operator lists (LOCAL_SECRET_PREFIXES), so a connection cannot be pointed at a secret meant for something else.
 */
import { GatewayError } from '../errors.js'
import type { SecretAccess, SecretStore } from './secret-store.js'

export class PrefixRestrictedSecretStore implements SecretStore {
  constructor (private readonly backend: SecretStore, private readonly prefixes: readonly string[]) {}

  async access (versionName: string, as?: SecretAccess): Promise<string> {
    if (!this.prefixes.some((prefix) => versionName.startsWith(prefix))) {
      throw new GatewayError('PERMISSION_DENIED',
        `Secret version ${versionName} is outside the secrets connections may use (LOCAL_SECRET_PREFIXES: ${this.prefixes.join(', ')})`)
    }
    return this.backend.access(versionName, as)
  }

  invalidate (versionName: string): void {
    this.backend.invalidate?.(versionName)
  }
}
