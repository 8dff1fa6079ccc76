/**
 * One route-cache contestant's server, a child process: argv = variant, Redis URL. GET /r answers a 2 KB JSON body:
 * `ceiling` from memory with no work, `uncached` after 1 ms of CPU work, `hit` / `hit-near` the same handler cached
 * (without / with the near cache), `cold` cached with a 1 s ttl, each handler run recorded in Redis (RPUSH of its
 * start time). Listens on a loopback port, reports it over IPC; SIGTERM or a lost parent closes it.
 */
import Fastify from 'fastify'
import { createClient } from '@redis/client'
import { codexCache } from '../../index.js'
import { RUNS_KEY, type RouteVariant } from './variants.js'

/** About 2 KB of JSON. */
function body (): { items: Array<{ id: number, name: string, price: number, tags: string[] }> } {
  return { items: Array.from({ length: 25 }, (_, id) => ({ id, name: `product number ${id}`, price: 100 + id, tags: ['bench', 'route', 'cache'] })) }
}

function work (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* the handler's 1 ms of work */ }
}

const [variant, redisUrl] = process.argv.slice(2) as [RouteVariant, string]
const app = Fastify()
const text = JSON.stringify(body())
if (variant === 'ceiling') {
  app.get('/r', async (_request, reply) => await reply.type('application/json; charset=utf-8').send(text))
} else {
  const recorder = variant === 'cold' ? createClient({ url: redisUrl }) : undefined
  await recorder?.connect()
  if (variant !== 'uncached') {
    await app.register(codexCache, { url: redisUrl, keyPrefix: 'bench', ...variant === 'hit-near' ? { nearCache: { maxEntries: 1000 } } : {} })
  }
  const ttl = variant === 'cold' ? 1 : 3600
  app.get('/r', { config: { cache: variant === 'uncached' ? false : { ttl } } }, async () => {
    if (recorder !== undefined) await recorder.rPush(RUNS_KEY, String(Date.now()))
    work(1)
    return body()
  })
  app.addHook('onClose', async () => { await recorder?.close() })
}
app.get('/__cpu', async () => {
  const { user, system } = process.cpuUsage()
  return { cpuUs: user + system }
})
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
process.on('disconnect', shutdown)
