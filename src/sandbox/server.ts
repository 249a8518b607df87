/**
 * The Twilio sandbox on its own: `node dist/src/sandbox/server.js` (`npm run sandbox`).
 *
 * Environment: SANDBOX_PORT (default 8081), HOST (default 127.0.0.1), SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN,
 * SANDBOX_CALLS, SANDBOX_MESSAGES, SANDBOX_LATENCY_MS, SANDBOX_RATE_429, SANDBOX_RATE_5XX, DATA_DIR (default
 * ./.data). Without SANDBOX_AUTH_TOKEN the token in DATA_DIR/sandbox-auth-token is used, generated (mode 0600) on
 * first start, the same file `npm start` uses; only that file's path is printed, never the token.
 */
import { resolve } from 'node:path'
import { ensureDataDir, generatedSecret } from '../data-dir.js'
import { buildSandbox, SANDBOX_ACCOUNT_SID } from './app.js'

interface Settings {
  port: number
  host: string
  accountSid: string
  authToken: string | undefined
  calls: number | undefined
  messages: number | undefined
  latencyMs: number | undefined
  rate429: number | undefined
  rate5xx: number | undefined
  dataDir: string
}

/** Reads and validates the environment; throws an Error naming every variable at fault. */
function readSettings (env: NodeJS.ProcessEnv): Settings {
  const problems: string[] = []
  const value = (name: string): string | undefined => env[name] === undefined || env[name] === '' ? undefined : env[name]
  const number = (name: string, min: number, max: number, integer: boolean): number | undefined => {
    const raw = value(name)
    if (raw === undefined) return undefined
    const parsed = /^\s*$/.test(raw) ? NaN : Number(raw)
    if (Number.isNaN(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) {
      problems.push(`Invalid ${name}: '${raw}' is not ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`)
    }
    return parsed
  }
  const accountSid = value('SANDBOX_ACCOUNT_SID') ?? SANDBOX_ACCOUNT_SID
  if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) problems.push(`Invalid SANDBOX_ACCOUNT_SID: '${accountSid}' is not 'AC' followed by 32 hex digits`)
  const authToken = value('SANDBOX_AUTH_TOKEN')
  if (authToken !== undefined && /\s/.test(authToken)) problems.push('Invalid SANDBOX_AUTH_TOKEN: it must not contain whitespace')
  const settings: Settings = {
    port: number('SANDBOX_PORT', 0, 65535, true) ?? 8081,
    host: value('HOST') ?? '127.0.0.1',
    accountSid,
    authToken,
    calls: number('SANDBOX_CALLS', 0, 1_000_000, true),
    messages: number('SANDBOX_MESSAGES', 0, 1_000_000, true),
    latencyMs: number('SANDBOX_LATENCY_MS', 0, 600_000, true),
    rate429: number('SANDBOX_RATE_429', 0, 1, false),
    rate5xx: number('SANDBOX_RATE_5XX', 0, 1, false),
    dataDir: resolve(value('DATA_DIR') ?? './.data')
  }
  if (problems.length > 0) throw new Error(problems.join('\n'))
  return settings
}

async function main (): Promise<void> {
  let settings: Settings
  try {
    settings = readSettings(process.env)
  } catch (error) {
    console.error(`Twilio sandbox: bad configuration\n${(error as Error).message}`)
    process.exit(1)
  }
  const generated = settings.authToken === undefined
    ? await generatedSecret(await ensureDataDir(settings.dataDir), 'sandbox-auth-token')
    : undefined
  const app = await buildSandbox({
    accountSid: settings.accountSid,
    authToken: settings.authToken ?? generated?.value ?? '',
    seed: {
      ...(settings.calls === undefined ? {} : { calls: settings.calls }),
      ...(settings.messages === undefined ? {} : { messages: settings.messages })
    },
    ...(settings.latencyMs === undefined ? {} : { latencyMs: settings.latencyMs }),
    ...(settings.rate429 === undefined ? {} : { rate429: settings.rate429 }),
    ...(settings.rate5xx === undefined ? {} : { rate5xx: settings.rate5xx })
  })
  await app.listen({ port: settings.port, host: settings.host })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : settings.port
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host
  console.log(`Twilio sandbox listening on http://${host}:${port}`)
  console.log(`Account SID: ${settings.accountSid}`)
  if (generated) console.log(`Auth token: in ${generated.path}`)

  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    console.log(`Twilio sandbox: ${signal} received, shutting down`)
    app.close().then(() => process.exit(0), (error: unknown) => {
      console.error(error)
      process.exit(1)
    })
  }
  process.on('SIGINT', () => { shutdown('SIGINT') })
  process.on('SIGTERM', () => { shutdown('SIGTERM') })
}

main().catch((error: unknown) => {
  console.error(`Twilio sandbox: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
