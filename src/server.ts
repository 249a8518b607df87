/**
 * The gateway process: reads the environment, starts the built-in Twilio sandbox when SANDBOX is on, builds the
 * app and listens. Prints where generated credentials are kept, never the credentials themselves.
 */
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { ConfigError, readConfig } from './config.js'
import { MemoryConnectionRegistry } from './connections/registry.js'
import { SANDBOX_TOKEN_SECRET, sandboxConnection } from './connections/sandbox-connection.js'
import { ensureDataDir, generatedSecret } from './data-dir.js'
import { SANDBOX_ACCOUNT_SID, buildSandbox } from './sandbox/app.js'
import { MemorySecretStore } from './secrets/secret-store.js'

async function main (): Promise<void> {
  const config = readConfig(process.env)
  const dataDir = await ensureDataDir(config.dataDir)
  const logger = { level: config.logLevel, redact: ['req.headers.authorization'] }
  const adminToken = config.adminToken ?? (await generatedSecret(dataDir, 'admin-token'))
  const pageTokenKey = Buffer.from((await generatedSecret(dataDir, 'page-token.key')).value, 'hex')
  const secrets = new MemorySecretStore()
  const connections = new MemoryConnectionRegistry()

  let sandbox: FastifyInstance | undefined
  let sandboxBaseUrl: string | undefined
  if (config.sandbox) {
    const token = await generatedSecret(dataDir, 'sandbox-auth-token')
    sandbox = await buildSandbox({
      authToken: token.value,
      seed: { calls: config.sandboxCalls, messages: config.sandboxMessages }
    })
    await sandbox.listen({ port: config.sandboxPort, host: '127.0.0.1' })
    const address = sandbox.server.address()
    sandboxBaseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : config.sandboxPort}`
    connections.put(sandboxConnection(SANDBOX_ACCOUNT_SID, secrets.addVersion(SANDBOX_TOKEN_SECRET, token.value)))
  }

  const app = await buildApp({
    adminToken: typeof adminToken === 'string' ? adminToken : adminToken.value,
    connections,
    secrets,
    pageTokenKey,
    sandboxBaseUrl,
    twilioApiBaseUrl: config.twilioApiBaseUrl,
    logger
  })
  if (config.twilioApiBaseUrl) {
    app.log.warn(`TWILIO_API_BASE_URL is set: every connection that is not a sandbox connection sends its Twilio traffic to ${config.twilioApiBaseUrl} instead of Twilio`)
  }
  if (typeof adminToken !== 'string') app.log.info(`Admin token (send it as Authorization: Bearer <token>) is in ${adminToken.path}`)
  if (sandboxBaseUrl) {
    app.log.info(`Twilio sandbox listening on ${sandboxBaseUrl} (account ${SANDBOX_ACCOUNT_SID}; its auth token is in ${dataDir}/sandbox-auth-token)`)
  } else {
    app.log.info('Sandbox off: connections reach Twilio')
  }
  await app.listen({ port: config.port, host: config.host })

  const shutdown = async (): Promise<void> => {
    await app.close()
    await sandbox?.close()
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { shutdown().then(() => process.exit(0), () => process.exit(1)) })
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error)
  process.exit(1)
})
