/**
 * The secrets CLI: adds a version to a secret in the gateway's local secret store and prints only its name.
 *
 *   printf '%s' "$TOKEN" | npm run --silent secrets -- add projects/local/secrets/twilio-token
 *   projects/local/secrets/twilio-token/versions/1
 *
 * It only touches files under DATA_DIR, so it works whether or not the gateway is running; a running gateway reads
 * the new version on its next access. Errors go to standard error and never include the value or the key.
 */
import { parseArgs } from 'node:util'
import { ensureDataDir } from '../data-dir.js'
import { MAX_SECRET_BYTES, openLocalSecretStore, parseSecretName } from '../secrets/local.js'

const USAGE = `Usage: secrets add projects/<project>/secrets/<secret>   (the value on standard input)
       secrets --help

add    Stores the bytes read from standard input, exactly as given (no newline is stripped or added), as a new
       version of the secret in the gateway's local secret store, encrypted at rest, and prints only the new
       version's name, e.g. projects/local/secrets/twilio-token/versions/1. The value must be non-empty UTF-8
       text of at most ${MAX_SECRET_BYTES} bytes.

Example:
  printf '%s' "$TOKEN" | npm run --silent secrets -- add projects/local/secrets/twilio-token

Environment (read as the gateway reads it):
  DATA_DIR              the gateway's data directory (default ./.data)
  GATEWAY_SECRETS_KEY   the store's 32-byte key, as base64 or 64 hex characters; when unset, the key file
                        DATA_DIR/secrets.key is used (created with mode 0600 on first use)
`

class UsageError extends Error {}

async function readStandardInput (): Promise<Buffer> {
  if (process.stdin.isTTY) {
    throw new UsageError('standard input is a terminal; pipe the value in, e.g. printf \'%s\' "$TOKEN" | secrets add <secret>')
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_SECRET_BYTES) throw new UsageError(`the value on standard input is larger than ${MAX_SECRET_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

async function add (secretName: string): Promise<string> {
  parseSecretName(secretName)
  const bytes = await readStandardInput()
  if (bytes.length === 0) throw new UsageError('the value on standard input is empty; pipe in the secret value')
  let value: string
  try {
    value = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw new UsageError('the value on standard input is not valid UTF-8 text')
  }
  const dataDir = process.env.DATA_DIR?.trim() || './.data'
  await ensureDataDir(dataDir)
  const store = await openLocalSecretStore(process.env, dataDir)
  return store.addVersion(secretName, value)
}

async function main (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
  } catch (error) {
    process.stderr.write(`secrets: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  const [command, ...rest] = parsed.positionals
  if (parsed.values.help || command === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  if (command !== 'add' || rest.length !== 1) {
    const problem = command === undefined
      ? 'no command given'
      : command !== 'add' ? `unknown command "${command}"` : 'add takes exactly one secret name (projects/<project>/secrets/<secret>)'
    process.stderr.write(`secrets: ${problem}\n\n${USAGE}`)
    return 2
  }
  try {
    process.stdout.write(`${await add(rest[0]!)}\n`)
    return 0
  } catch (error) {
    // Our errors name the problem; anything else (a file system error) names its path. Neither holds the value.
    process.stderr.write(`secrets: ${(error as Error).message}\n`)
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))
