// A process serving one cached route: connects, says "ready", waits for "go" on stdin, then sends REQUESTS
// concurrent cold requests to itself (inject). The handler counts its runs with INCR (across processes) and holds for
// HOLD_MS. With SET_COOKIE=1 every response sets a cookie naming its own request (so it is never stored).
// Prints "results " and a JSON array of { id, body, cookie, status }.
import Fastify from 'fastify'
import { createClient } from '@redis/client'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { codexCache } from '../../index.js'

const { REDIS_URL = '', HOLD_MS = '300', REQUESTS = '4', SET_COOKIE = '' } = process.env
const counter = createClient({ url: REDIS_URL })
counter.on('error', () => {})
await counter.connect()
const app = Fastify()
await app.register(codexCache, { url: REDIS_URL, keyPrefix: 'mp' })
app.get('/cold', { config: { cache: { ttl: 60 } } }, async (request, reply) => {
  await counter.incr('mp-runs')
  const id = String(request.headers['x-id'])
  await sleep(Number(HOLD_MS))
  if (SET_COOKIE === '1') reply.header('set-cookie', `who=${id}`)
  return { by: SET_COOKIE === '1' ? id : process.pid }
})
await app.ready()
console.log('ready')
await once(process.stdin, 'data')
const results = await Promise.all(Array.from({ length: Number(REQUESTS) }, async (_, i) => {
  const id = `${process.pid}-${i}`
  const res = await app.inject({ url: '/cold', headers: { 'x-id': id } })
  return { id, body: res.body, cookie: res.headers['set-cookie'] ?? null, status: res.headers['cache-status'] }
}))
console.log(`results ${JSON.stringify(results)}`)
await app.close()
await counter.close()
process.stdin.destroy()
