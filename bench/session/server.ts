/**
 * One contestant's Fastify server, run as a child process (`node --import tsx bench/session/server.ts`):
 * argv = contestant name, Redis URL. Listens on a loopback port and reports it over IPC; SIGTERM closes it.
 */
import { countVisits } from './visits.js'
import { buildApp, isSessionContestant, SESSION_CONTESTANTS } from './apps.js'

const [contestant, redisUrl] = process.argv.slice(2)
if (contestant === undefined || !isSessionContestant(contestant) || redisUrl === undefined) {
  console.error(`usage: server.ts <${SESSION_CONTESTANTS.join(' | ')} | fastify-codex [scratch-dir]> <redis url>`)
  process.exit(2)
}

const app = await buildApp(contestant, redisUrl)
// Heap and RSS after a full collection, for the soak (the child runs with --expose-gc).
app.get('/__memory', async () => {
  (globalThis as { gc?: () => void }).gc?.()
  const { heapUsed, rss } = process.memoryUsage()
  return { heapUsed, rss }
})
// CPU time the server has used so far (µs): per-request cost independent of how fast the load generator is.
app.get('/__cpu', async () => {
  const { user, system } = process.cpuUsage()
  return { cpuUs: user + system }
})
if (process.env.BENCH_COUNT_VISITS !== undefined) countVisits(app)
if (process.env.BENCH_INJECT !== undefined) {
  const { injectRoutes } = await import('./inject.js')
  injectRoutes(app)
}
if (process.env.BENCH_PROFILE_FILE !== undefined) {
  const { profileRoutes } = await import('./profiler.js')
  profileRoutes(app, process.env.BENCH_PROFILE_FILE)
}
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
process.send?.({ port: typeof address === 'object' && address !== null ? address.port : 0 })

let closing = false
const shutdown = (): void => {
  if (closing) return
  closing = true
  app.close().then(() => process.exit(0), () => process.exit(1))
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
// The parent is gone (crashed or killed): do not linger.
process.on('disconnect', shutdown)
