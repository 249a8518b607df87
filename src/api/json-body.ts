/**
 * JSON request bodies, parsed by Fastify's own (prototype-poisoning-safe) parser, except that an empty body is no
 * body: clients often send `Content-Type: application/json` on every request, including DELETE and GET.
 */
import type { FastifyInstance } from 'fastify'

export function registerJsonBodies (app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString()
    if (text.trim() === '') {
      done(null, undefined)
      return
    }
    parseJson(request, text, done)
  })
}
