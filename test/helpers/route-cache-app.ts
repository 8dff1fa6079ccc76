import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { codexCache, type CodexCacheOptions } from '../../index.js'
import type { RedisServer } from './redis-server.js'

/** An unready Fastify app with codexCache on `redis` (add routes, then `ready()`), closed when the test ends. */
export async function routeCacheApp (t: Pick<Test, 'teardown'>, redis: RedisServer, options: Partial<CodexCacheOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(codexCache, { url: redis.url, keyPrefix: 'rc', ...options })
  return app
}
