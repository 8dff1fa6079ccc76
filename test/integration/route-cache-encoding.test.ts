import compress from '@fastify/compress'
import Fastify, { type FastifyInstance } from 'fastify'
import { gunzipSync, gzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { codexCache } from '../../index.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'

const BODY = 'x'.repeat(2000)

async function app (t: Test, redis: RedisServer, register: (app: FastifyInstance) => Promise<void>): Promise<{ app: FastifyInstance, runs: () => number }> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(codexCache, { url: redis.url, keyPrefix: 'rc' })
  await register(app)
  let runs = 0
  app.get('/text', { config: { cache: true } }, async (_request, reply) => {
    runs++
    return await reply.type('text/plain').send(BODY)
  })
  await app.ready()
  return { app, runs: () => runs }
}

async function gzipAndIdentityNeverMix (t: Test, server: FastifyInstance): Promise<void> {
  const gzip = { 'accept-encoding': 'gzip' }
  const identity = { 'accept-encoding': 'identity' }
  for (const headers of [gzip, identity, gzip, identity, {}, gzip, identity]) {
    const res = await server.inject({ url: '/text', headers })
    const wantsGzip = headers === gzip
    t.equal(res.headers['content-encoding'], wantsGzip ? 'gzip' : undefined, `${JSON.stringify(headers)}: ${String(res.headers['cache-status'])}`)
    t.equal(wantsGzip ? gunzipSync(res.rawPayload).toString() : res.body, BODY)
  }
}

t.test('an encoding onSend hook that sets Vary: gzip and identity clients never get each other\'s body', async t => {
  const redis = await redisForTest(t)
  const { app: server, runs } = await app(t, redis, async (app) => {
    // As @fastify/compress does: skip a response already encoded (a replayed one), say Vary, encode when accepted.
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.getHeader('content-encoding') !== undefined || typeof payload !== 'string') return payload
      reply.header('vary', 'Accept-Encoding')
      if (!String(request.headers['accept-encoding'] ?? '').includes('gzip')) return payload
      reply.header('content-encoding', 'gzip')
      return gzipSync(payload)
    })
  })
  await gzipAndIdentityNeverMix(t, server)
  t.equal(runs(), 4, 'the first response teaches the route its Vary, then one run per accept-encoding value')
  const hit = await server.inject({ url: '/text', headers: { 'accept-encoding': 'gzip' } })
  t.match(hit.headers['cache-status'], /hit/, 'the encoded body is served from the cache')
})

t.test('with @fastify/compress: gzip and identity clients never get each other\'s body', async t => {
  const redis = await redisForTest(t)
  const { app: server } = await app(t, redis, async (app) => { await app.register(compress, { threshold: 100 }) })
  await gzipAndIdentityNeverMix(t, server)
})
