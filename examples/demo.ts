import { buildApp } from './app.js'
import { INSTALL_HINT, startRedis, type RedisServer } from '../test/helpers/redis-server.js'

// With REDIS_URL unset, the demo runs on a throwaway redis-server it starts (and stops by PID).
async function redisForDemo (): Promise<{ url: string, server?: RedisServer }> {
  if (process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== '') return { url: process.env.REDIS_URL }
  try {
    const server = await startRedis()
    return { url: server.url, server }
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_REDIS_SERVER_NOT_FOUND') {
      console.error(`The demo needs redis-server: ${INSTALL_HINT} (or set REDIS_URL to a Redis you run).`)
      process.exit(1)
    }
    throw err
  }
}

const { url, server } = await redisForDemo()
const app = await buildApp(url)
const port = Number(process.env.PORT ?? 3000)
await app.listen({ host: '127.0.0.1', port })
console.log(`
fastify-codex demo on http://127.0.0.1:${port} (Redis: ${server === undefined ? 'REDIS_URL' : 'throwaway ' + url})
  open http://127.0.0.1:${port}/ in a browser: log in (any name, password "demo"), /me, log out, log out everywhere
  curl http://127.0.0.1:${port}/weather/paris          # slow first, cached after
  curl -X POST -H 'Idempotency-Key: abc' -H 'content-type: application/json' -d '{"item":"tea"}' http://127.0.0.1:${port}/orders
  curl http://127.0.0.1:${port}/visits
Ctrl-C to stop.`)

// The app closes first (its Redis client waits for in-flight commands), then the throwaway Redis stops.
async function shutDown (): Promise<void> {
  await app.close()
  await server?.stop()
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { shutDown().then(() => process.exit(0), () => process.exit(1)) })
}
