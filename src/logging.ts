/**
 * The gateway's logger options (pino, through Fastify): the level, and the fields masked wherever they appear.
 * No credential is ever logged; the masks are defence in depth.
 */

/** Log fields that could carry a credential. */
export const LOG_REDACTIONS = [
  'req.headers.authorization', 'req.headers["proxy-authorization"]', 'headers.authorization', 'headers["proxy-authorization"]',
  '*.password', '*.authToken', '*.auth_token', '*.token', '*.secret', '*.value'
]

export function loggerOptions (level: string): { level: string, redact: { paths: string[], censor: string } } {
  return { level, redact: { paths: LOG_REDACTIONS, censor: '[redacted]' } }
}
