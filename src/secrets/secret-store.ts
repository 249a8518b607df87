import { NotFoundError, InvalidArgumentError } from '../errors.js'

/** Whom a secret is read for: a connection that names a service account reads its secrets as that account. */
export interface SecretAccess { serviceAccount?: string }

/** Reads secret values by Secret Manager version name: `projects/{p}/secrets/{s}/versions/{n}`, `n` a number or `latest`. */
export interface SecretStore {
  access (versionName: string, as?: SecretAccess): Promise<string>
  /** Forgets what is cached for the version (a credential was refused: read it again). */
  invalidate? (versionName: string): void
}

export const SECRET_VERSION_NAME = /^projects\/([^/]+)\/secrets\/([^/]+)\/versions\/(latest|[1-9][0-9]*)$/

export function parseSecretVersion (versionName: string): { secret: string, version: string } {
  const match = SECRET_VERSION_NAME.exec(versionName)
  if (!match) {
    throw new InvalidArgumentError(`${versionName} is not a secret version name (projects/*/secrets/*/versions/*)`)
  }
  return { secret: `projects/${match[1]}/secrets/${match[2]}`, version: match[3]! }
}

/** Secrets held in memory, e.g. the sandbox's auth token. */
export class MemorySecretStore implements SecretStore {
  readonly #versions = new Map<string, string[]>()

  /** Adds a version to `secret` (`projects/{p}/secrets/{s}`) and returns the new version's name. */
  addVersion (secret: string, value: string): string {
    const versions = this.#versions.get(secret) ?? []
    versions.push(value)
    this.#versions.set(secret, versions)
    return `${secret}/versions/${versions.length}`
  }

  async access (versionName: string): Promise<string> {
    const { secret, version } = parseSecretVersion(versionName)
    const versions = this.#versions.get(secret) ?? []
    const value = version === 'latest' ? versions.at(-1) : versions[Number(version) - 1]
    if (value === undefined) throw new NotFoundError(`Secret version ${versionName} not found`)
    return value
  }
}
