import Fastify from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { codexCache } from '../index.js'
import { startRedis } from '../test/helpers/redis-server.js'

const redis = await startRedis()
const app = Fastify()
await app.register(codexCache, { url: redis.url, keyPrefix: 'rc' })
let failing = false
let calls = 0
app.get('/x', { config: { cache: { ttl: 1, grace: 60, timeout: 50 } } }, async (req, reply) => {
  calls++
  await sleep(300)
  if (failing) { reply.code(503); return 'down' }
  return 'ok'
})
await app.ready()
console.log('prime', (await app.inject('/x')).headers['cache-status'])
await sleep(1200)
failing = true
calls = 0
const first = await app.inject('/x')
console.log('first after expiry', first.statusCode, first.body, first.headers['cache-status'], 'calls', calls)
calls = 0
const t0 = Date.now()
const lat: number[] = []
const rs = await Promise.all(Array.from({ length: 20 }, async () => { const s = Date.now(); const r = await app.inject('/x'); lat.push(Date.now() - s); return r }))
lat.sort((a, b) => a - b); console.log('latency min/median/max', lat[0], lat[10], lat[19])
console.log('20 concurrent: handler calls', calls, 'statuses', [...new Set(rs.map(r => r.statusCode + ' ' + r.body + ' ' + r.headers['cache-status']))], 'ms', Date.now() - t0)
await app.close()
await redis.stop()
