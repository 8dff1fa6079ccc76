// Names README snippets use without defining them: the surrounding app, request and reply, and the reader's own code.
// A snippet that defines one of them (`const app = Fastify()`) shadows it, as module scope does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

declare global {
  var app: FastifyInstance
  var request: FastifyRequest
  var reply: FastifyReply
  var db: { loadUser (id: string): Promise<{ id: string, name: string }> }
  var checkPassword: (body: unknown) => Promise<string>
  var idempotencyKey: string
  var logger: { warn (obj: unknown, msg?: string): void }
  var secret: string
  var key: string
}

export {}
