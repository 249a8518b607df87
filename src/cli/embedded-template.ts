/**
 * `npm run build` ends with this: makes `dist/pgdata-template` (see store/embedded-template.ts) unless a current one
 * exists, so the gateway's first start on a new data directory skips initdb.
 */
import { buildEmbeddedTemplate } from '../store/embedded-template.js'

await buildEmbeddedTemplate()
