/**
 * The OpenAPI 3.1 document (`/openapi.json`) and Swagger UI (`/docs`), generated from the route schemas by
 * `@fastify/swagger`. Shared schemas keep their `$id` as component names (`Messages`, `MessagesCreate` …), so
 * clients generated from the document are typed per entity.
 * @see https://github.com/fastify/fastify-swagger
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

export async function registerOpenApi (app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Twilio connector gateway',
        version,
        description: 'Twilio resources as Google Cloud Integration Connectors entities: the v2 runtime API ' +
          '(entity types, entities, actions, connection status) in Google\'s wire format. Errors are google.rpc.Status JSON.'
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A gateway token (GATEWAY_ADMIN_TOKEN).' } }
      },
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'Schema', description: 'Entity types and their fields' },
        { name: 'Actions', description: 'Actions (SendMessage, MakeCall …): one entity operation each, with typed parameters and results' },
        { name: 'Connection', description: 'Connection status' }
      ]
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`) }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger())
}
