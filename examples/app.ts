import Fastify, { type FastifyInstance } from 'fastify'
import { codexCache, codexRedis, codexSession } from '../index.js'
import { cacheRoutes } from './routes/cache-routes.js'
import { jobRoutes } from './routes/job-routes.js'
import { productRoutes } from './routes/product-routes.js'
import { sessionRoutes } from './routes/session-routes.js'
import { statsRoutes } from './routes/stats-routes.js'

// A fixed development secret keeps demo logins across restarts; production sets SESSION_SECRET.
const DEMO_SECRET = 'fastify-codex demo secret, not for production use'

/** The demo app: one Redis connection (codexRedis) shared by the cache and the sessions. */
export async function buildApp (redisUrl: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } })
  await app.register(codexRedis, { url: redisUrl })
  await app.register(codexCache, { keyPrefix: 'demo:cache', ttl: 30 }) // beside sessions at demo:session:*
  await app.register(codexSession, {
    secret: process.env.SESSION_SECRET ?? DEMO_SECRET,
    projectName: 'demo',
    userKey: 'userId',
    ttl: 3600,
    // Idle for an hour at most (maxAge, rolling), and logged in for a day at most however active.
    absoluteTimeout: 24 * 3600,
    // The "active devices" page shows each session's browser and network (IPv4 /24, IPv6 /48).
    devices: { userAgent: true, ip: 'truncated' },
    // 'auto': Secure on HTTPS, but the demo's plain-HTTP loopback still gets its cookie.
    cookie: { secure: 'auto', httpOnly: true, sameSite: 'lax', maxAge: 3600 * 1000 }
  })
  await app.register(cacheRoutes)
  await app.register(sessionRoutes)
  await app.register(jobRoutes)
  await app.register(productRoutes)
  await app.register(statsRoutes)
  return app
}
