import Fastify, { type FastifyInstance } from 'fastify'
import { createClient } from '@redis/client'
import type { Test } from 'tap'
import { codexCache, type CodexCacheOptions } from '../../index.js'
import type { RedisServer } from './redis-server.js'

/** A Fastify app with codexCache on `redis`, closed when the test ends. */
export async function cacheApp (t: Pick<Test, 'teardown'>, redis: RedisServer, options: Partial<CodexCacheOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(codexCache, { url: redis.url, keyPrefix: 'test', ...options })
  await app.ready()
  return app
}

/** A plain client for looking behind the cache's back (raw payloads, TTLs). */
export async function rawClient (t: Pick<Test, 'teardown'>, redis: RedisServer) {
  const client = redis.socketPath !== undefined
    ? createClient({ socket: { path: redis.socketPath, tls: false } })
    : createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.destroy())
  return client
}
