/**
 * The tokens CLI: creates and revokes caller tokens in the gateway's database (DATABASE_URL, or the embedded one
 * under DATA_DIR — through the running gateway's socket when it runs). A running gateway honours a change within
 * a second.
 *
 *   npm run --silent tokens -- create --role invoker [--scope PATTERN]... [--description TEXT]   prints only the token
 *   npm run --silent tokens -- revoke <token-or-id>
 *   npm run --silent tokens -- list                                                               ids, roles, scopes
 */
import { parseArgs } from 'node:util'
import { ROLES, TokenStore, type Role } from '../auth/tokens.js'
import { openDatabase } from '../store/database.js'
import { migrate } from '../store/migrations.js'

const USAGE = `usage:
  tokens create --role admin|invoker|monitor [--scope PATTERN]... [--description TEXT]
  tokens revoke <token-or-id>
  tokens list

Scopes are resource-name patterns, e.g. projects/acme or projects/acme/locations/*/connections/*.
Reads DATABASE_URL, else the embedded database under DATA_DIR (default ./.data).`

class UsageError extends Error {}

/** A description on one line of the listing: its control characters (tabs, line breaks) become spaces. */
function oneLine (text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ')
}

async function run (args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      scope: { type: 'string', multiple: true },
      description: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  const [command, ...rest] = positionals
  if (values.help || !command) {
    console.log(USAGE)
    if (!values.help) process.exitCode = 2
    return
  }
  if (!['create', 'revoke', 'list'].includes(command)) throw new UsageError(`unknown command ${command}`)
  if (command === 'create' && !ROLES.includes(values.role as Role)) throw new UsageError('create needs --role admin, --role invoker or --role monitor')
  if (command === 'revoke' && rest.length !== 1) throw new UsageError('revoke needs exactly one token or token id')

  const database = await openDatabase({ url: process.env.DATABASE_URL?.trim() || undefined, dataDir: process.env.DATA_DIR?.trim() || './.data' })
  try {
    await migrate(database.pool)
    const tokens = new TokenStore(database.pool)
    if (command === 'create') {
      const { token } = await tokens.create(values.role as Role, values.scope ?? [], values.description)
      console.log(token)
    } else if (command === 'revoke') {
      const revoked = await tokens.revoke(rest[0]!)
      console.log(`revoked ${revoked.id}`)
    } else {
      for (const token of await tokens.list()) {
        console.log([token.id, token.role, token.revoked ? 'revoked' : 'live', token.scopes.join(',') || '*', oneLine(token.description ?? '')].join('\t').trimEnd())
      }
    }
  } finally {
    await database.close()
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  console.error(`tokens: ${(error as Error).message}${usage ? `\n\n${USAGE}` : ''}`)
  process.exitCode = usage ? 2 : 1
})
