import fastifyCookie from '@fastify/cookie'
import fastifySession, { type FastifySessionOptions } from '@fastify/session'
import { createClient } from '@redis/client'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import type { RedisSessionStore } from '../../index.js'
import type { RedisServer } from './redis-server.js'
import { SECRET, defaultRoutes } from './session-app.js'

/** A connected client with @redis/client's defaults (offline queue, no command timeout): the store bounds every command. */
export async function connectedClient (t: Pick<Test, 'teardown'>, redis: RedisServer) {
  const client = createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.destroy())
  return client
}

/** @fastify/session registered by the user with `store` (its defaults: rolling, saveUninitialized), plus `options`. */
export async function userApp (
  t: Pick<Test, 'teardown'>, store: RedisSessionStore, routes: (app: FastifyInstance) => void = defaultRoutes,
  options: Partial<FastifySessionOptions> = {}
): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: SECRET, store, cookie: { secure: false }, ...options })
  routes(app)
  await app.ready()
  return app
}
