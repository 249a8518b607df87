/**
 * Copies the part of Twilio's 2010-04-01 OpenAPI specs that the gateway needs into `vendor/twilio-openapi/`:
 * the paths of the seven entities (plus Accounts), every component they reference, and Twilio's published
 * response examples. The product and its tests read only the vendored subsets, never the full specs.
 *
 *   npx tsx scripts/vendor-twilio-spec.ts <dir holding twilio_api_v2010.current.json and
 *                                           twilio_api_v2010.legacy-with-feedback.json>
 */
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const ACCOUNT = '/2010-04-01/Accounts/{AccountSid}'
const subsets = [
  {
    source: 'twilio_api_v2010.current.json',
    target: 'api_v2010.current.subset.json',
    paths: [
      '/2010-04-01/Accounts.json',
      '/2010-04-01/Accounts/{Sid}.json',
      `${ACCOUNT}/Calls.json`,
      `${ACCOUNT}/Calls/{Sid}.json`,
      `${ACCOUNT}/Calls/{CallSid}/Recordings.json`,
      `${ACCOUNT}/Calls/{CallSid}/Recordings/{Sid}.json`,
      `${ACCOUNT}/Messages.json`,
      `${ACCOUNT}/Messages/{Sid}.json`,
      `${ACCOUNT}/Recordings.json`,
      `${ACCOUNT}/Recordings/{Sid}.json`,
      `${ACCOUNT}/IncomingPhoneNumbers.json`,
      `${ACCOUNT}/IncomingPhoneNumbers/{Sid}.json`,
      `${ACCOUNT}/OutgoingCallerIds.json`,
      `${ACCOUNT}/OutgoingCallerIds/{Sid}.json`
    ]
  },
  {
    source: 'twilio_api_v2010.legacy-with-feedback.json',
    target: 'api_v2010.legacy-feedback.subset.json',
    paths: [
      `${ACCOUNT}/Calls/{CallSid}/Feedback.json`,
      `${ACCOUNT}/Calls/FeedbackSummary.json`,
      `${ACCOUNT}/Calls/FeedbackSummary/{Sid}.json`
    ]
  }
]

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Collects every `#/components/schemas/<name>` reference reachable from `node`. */
function collectRefs (node: Json, spec: any, found: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectRefs(item, spec, found)
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        const name = value.replace('#/components/schemas/', '')
        if (!found.has(name)) {
          found.add(name)
          collectRefs(spec.components.schemas[name], spec, found)
        }
      } else {
        collectRefs(value, spec, found)
      }
    }
  }
}

const sourceDir = process.argv[2]
if (!sourceDir) {
  console.error('usage: tsx scripts/vendor-twilio-spec.ts <directory of Twilio OpenAPI specs>')
  process.exit(2)
}
for (const subset of subsets) {
  const text = readFileSync(join(sourceDir, subset.source), 'utf8')
  const spec = JSON.parse(text)
  const paths: Record<string, Json> = {}
  for (const path of subset.paths) {
    if (!spec.paths[path]) throw new Error(`${subset.source} has no path ${path}`)
    paths[path] = spec.paths[path]
  }
  const names = new Set<string>()
  collectRefs(paths as Json, spec, names)
  const schemas = Object.fromEntries([...names].sort().map((name) => [name, spec.components.schemas[name]]))
  const vendored = {
    openapi: spec.openapi,
    info: {
      ...spec.info,
      'x-vendored-from': { file: subset.source, sha256: createHash('sha256').update(text).digest('hex') }
    },
    servers: spec.servers,
    paths,
    components: { securitySchemes: spec.components.securitySchemes, schemas }
  }
  writeFileSync(join('vendor/twilio-openapi', subset.target), JSON.stringify(vendored, null, 2) + '\n')
  console.log(`${subset.target}: ${subset.paths.length} paths, ${names.size} schemas`)
}
