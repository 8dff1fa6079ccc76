import Fastify, { type FastifyInstance } from 'fastify'
import { codexCache, codexRedis } from '../index.js'
import { cacheRoutes } from './routes/cache-routes.js'

/** The demo app: one Redis connection (codexRedis) shared by the cache. */
export async function buildApp (redisUrl: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } })
  await app.register(codexRedis, { url: redisUrl })
  await app.register(codexCache, { keyPrefix: 'demo', ttl: 30 })
  await app.register(cacheRoutes)
  return app
}
