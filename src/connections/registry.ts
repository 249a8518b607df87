import type { Connection, ConnectionStatus } from './connection.js'

/** Where the runtime finds connections by their full name. */
export interface ConnectionRegistry {
  get (name: string): Promise<Connection | undefined>
  /** Whether the connection exists (from memory: cheap enough for every request). */
  has (name: string): boolean
  /** Records what the runtime learnt of a connection's health (e.g. Twilio refuses its credentials). */
  setStatus (name: string, status: ConnectionStatus): Promise<void>
}

/** A registry held in memory (the built-in sandbox connection, tests). */
export class MemoryConnectionRegistry implements ConnectionRegistry {
  readonly #connections = new Map<string, Connection>()

  constructor (connections: Connection[] = []) {
    for (const connection of connections) this.put(connection)
  }

  put (connection: Connection): void {
    this.#connections.set(connection.name, structuredClone(connection))
  }

  delete (name: string): void {
    this.#connections.delete(name)
  }

  has (name: string): boolean {
    return this.#connections.has(name)
  }

  async get (name: string): Promise<Connection | undefined> {
    const found = this.#connections.get(name)
    return found && structuredClone(found)
  }

  async setStatus (name: string, status: ConnectionStatus): Promise<void> {
    const found = this.#connections.get(name)
    if (found) found.status = { ...status }
  }
}
