import { buildApp } from './app.js'
import { metricsRoute } from './metrics.js'
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
await app.register(metricsRoute)

// The app closes first (its Redis client waits for in-flight commands), then the throwaway Redis stops, by PID.
let stopping: Promise<void> | undefined
async function shutDown (): Promise<void> {
  try {
    await app.close()
  } finally {
    await server?.stop()
  }
}
// SIGHUP: the terminal went away. Ctrl-C reaches us twice (from the terminal and from npm): stop once, and give up
// after 10 s (the reaper still kills Redis on exit).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping !== undefined) return
    setTimeout(() => process.exit(1), 10_000).unref()
    stopping = shutDown()
    stopping.then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })
  })
}

const port = Number(process.env.PORT ?? 3000)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT=${process.env.PORT ?? ''} is not a port number (0 to 65535)`)
  await shutDown()
  process.exit(1)
}
try {
  await app.listen({ host: '127.0.0.1', port })
} catch (err) {
  const code = (err as { code?: string }).code
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    const why = code === 'EADDRINUSE' ? 'is in use' : 'is not allowed'
    console.error(`Port ${port} ${why}: run the demo on another one with PORT, e.g. PORT=3001 npm run demo`)
  } else {
    console.error(err)
  }
  await shutDown()
  process.exit(1)
}
const redisLine = server === undefined ? 'REDIS_URL' : `throwaway ${url}, pid ${server.pid}`
console.log(`
fastify-codex demo on http://127.0.0.1:${port} (pid ${process.pid}; Redis: ${redisLine})
  open http://127.0.0.1:${port}/ in a browser: log in (any name, password "demo"), /me, log out, log out everywhere
  curl http://127.0.0.1:${port}/weather/paris          # slow first, cached after
  curl -X POST -H 'Idempotency-Key: abc' -H 'content-type: application/json' -d '{"item":"tea"}' http://127.0.0.1:${port}/orders
  curl http://127.0.0.1:${port}/visits
  curl http://127.0.0.1:${port}/products/42            # read-through: one database query however many ask at once
  curl -X POST http://127.0.0.1:${port}/reports/nightly   # withLock: a second run while one is going answers 409
  curl http://127.0.0.1:${port}/stats                  # hit rate and counters (cache.stats(), sessions.stats())
  curl http://127.0.0.1:${port}/metrics                # the same as Prometheus metrics (fastify-codex/otel)
Ctrl-C to stop.`)
