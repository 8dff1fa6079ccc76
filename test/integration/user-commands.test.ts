import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { codexRedis } from '../../index.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'
import { timed } from '../helpers/stall-meter.js'

const COMMAND_TIMEOUT = 600
// The machine running the suite may be loaded: the bound is generous, the hang it guards against is not.
const MARGIN = 900

async function app (t: Test, redis: RedisServer): Promise<FastifyInstance> {
  const fastify = Fastify()
  t.teardown(() => fastify.close())
  fastify.register(codexRedis, { url: redis.url, commandTimeout: COMMAND_TIMEOUT })
  fastify.get('/health', async () => await fastify.codexRedisHealth())
  fastify.get<{ Params: { key: string } }>('/hash/:key', async (request) =>
    await fastify.codexRedisCommand((client) => client.hGetAll(request.params.key)))
  await fastify.ready()
  return fastify
}

t.test('/health answers 200 with the PING latency while Redis answers', async (t) => {
  const redis = await redisForTest(t)
  const fastify = await app(t, redis)
  const res = await fastify.inject('/health')
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'ok', latencyMs: Number })
})

t.test('a hung Redis (SIGSTOP): /health and your own commands answer 503 within commandTimeout, and heal on resume', async (t) => {
  const redis = await redisForTest(t)
  const fastify = await app(t, redis)
  await fastify.codexRedisCommand((client) => client.hSet('h', 'f', 'v'))
  redis.pause()
  t.teardown(() => redis.resume())
  for (const url of ['/health', '/hash/h']) {
    const { value: res, elapsed, stalled } = await timed(async () => await fastify.inject(url), COMMAND_TIMEOUT)
    t.equal(res.statusCode, 503, url)
    t.equal(res.json().code, 'FST_CODEX_REDIS_UNAVAILABLE', url)
    t.ok(elapsed >= COMMAND_TIMEOUT - 50 && elapsed - stalled < COMMAND_TIMEOUT + MARGIN, `${url} answered after ${Math.round(elapsed)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
  }
  redis.resume()
  const deadline = performance.now() + 10_000
  while ((await fastify.inject('/health')).statusCode !== 200) {
    if (performance.now() > deadline) throw new Error('never healthy again')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.same((await fastify.inject('/hash/h')).json(), { f: 'v' }, 'works again after resume')
})

t.test('a stopped Redis: 503 at once, never a hang', async (t) => {
  const redis = await redisForTest(t)
  const fastify = await app(t, redis)
  await redis.kill()
  const res = await fastify.inject('/health')
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_CODEX_REDIS_UNAVAILABLE')
})

t.test('errors are translated like fastify-codex\'s own; mistakes in your code keep their class', async (t) => {
  const redis = await redisForTest(t)
  const fastify = await app(t, redis)
  await fastify.codexRedisCommand((client) => client.set('s', 'a string'))
  const res = await fastify.inject('/hash/s')
  t.equal(res.statusCode, 500)
  t.equal(res.json().code, 'FST_CODEX_REDIS_ERROR', 'WRONGTYPE is a Redis error reply')
  await t.rejects(fastify.codexRedisCommand(() => { throw new TypeError('my bug') }), { name: 'TypeError', message: 'my bug' })
  await t.rejects(fastify.codexRedisCommand(async (client) => {
    const value = await client.get('missing')
    return (value as unknown as { length: number }).length
  }), TypeError, 'not a 503')
  t.equal(await fastify.codexRedisCommand(async (client) => {
    const [a, b] = await Promise.all([client.incr('n'), client.incr('n')])
    return a + b
  }), 3, 'several commands in one call share one deadline')
})
