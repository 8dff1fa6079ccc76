import Fastify from 'fastify'
import { createClient } from '@redis/client'
import t from 'tap'
import { codexCache, codexRedis, codexSession, RedisCache, RedisSessionStore } from '../../index.js'
import { redisForTest } from '../helpers/redis-server.js'
import { SECRET } from '../helpers/session-app.js'

const COMMAND_TIMEOUT = 3000

t.test('a database index Redis refuses (/99) fails at once with FST_CODEX_INVALID_OPTIONS and Redis\'s words', async (t) => {
  const redis = await redisForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(codexRedis, { url: `${redis.url}/99`, commandTimeout: COMMAND_TIMEOUT })
  const started = performance.now()
  const err = await app.ready().then(() => undefined, (err: unknown) => err as Error & { code?: string })
  const elapsed = performance.now() - started
  t.equal(err?.code, 'FST_CODEX_INVALID_OPTIONS')
  t.match(err?.message, /DB index is out of range/, "Redis's own message")
  t.ok(elapsed < COMMAND_TIMEOUT / 2, `failed after ${Math.round(elapsed)} ms, not the whole ${COMMAND_TIMEOUT} ms`)
})

t.test('a wrong password fails at once the same way', async (t) => {
  const redis = await redisForTest(t, { args: ['--requirepass', 'right'] })
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(codexCache, { url: redis.url.replace('redis://', 'redis://:wrong@'), keyPrefix: 'k', commandTimeout: COMMAND_TIMEOUT })
  const started = performance.now()
  const err = await app.ready().then(() => undefined, (err: unknown) => err as Error & { code?: string })
  t.equal(err?.code, 'FST_CODEX_INVALID_OPTIONS')
  t.match(err?.message, /WRONGPASS|invalid password/)
  t.notMatch(err?.message, /wrong@/, 'the password is not in the message')
  t.ok(performance.now() - started < COMMAND_TIMEOUT / 2)
})

t.test('RedisCache and RedisSessionStore given a client that is not connected say "connect it first"', async (t) => {
  const redis = await redisForTest(t)
  const client = createClient({ url: redis.url })
  t.throws(() => new RedisCache(client, { keyPrefix: 'x' }), { code: 'FST_CODEX_INVALID_OPTIONS', message: /connect\(\)` first/ })
  t.throws(() => new RedisCache({ client, keyPrefix: 'x' }), { code: 'FST_CODEX_INVALID_OPTIONS' })
  t.throws(() => new RedisSessionStore({ client }), { code: 'FST_CODEX_INVALID_OPTIONS', message: /connect\(\)` first/ })
  await client.connect()
  t.teardown(() => client.destroy())
  const cache = new RedisCache(client, { keyPrefix: 'x' })
  await cache.set('k', 1)
  t.equal(await cache.get('k'), 1, 'once connected, it works')
})

t.test('codexCache or codexSession registered before codexRedis in the same scope is refused', async (t) => {
  const redis = await redisForTest(t)
  for (const register of [
    (app: ReturnType<typeof Fastify>) => app.register(codexCache, { keyPrefix: 'early' }),
    (app: ReturnType<typeof Fastify>) => app.register(codexSession, { secret: SECRET })
  ]) {
    const app = Fastify()
    t.teardown(() => app.close())
    process.env.REDIS_URL = redis.url
    register(app)
    app.register(codexRedis, { url: redis.url })
    const err = await app.ready().then(() => undefined, (err: unknown) => err as Error & { code?: string })
    delete process.env.REDIS_URL
    t.equal(err?.code, 'FST_CODEX_INVALID_OPTIONS')
    t.match(err?.message, /registered before codexRedis/)
  }
  // Naming its own connection is a deliberate choice, not an accident of order.
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(codexCache, { url: redis.url, keyPrefix: 'own' })
  app.register(codexRedis, { url: redis.url })
  await t.resolves(async () => { await app.ready() })
})

t.test('Redis coming back after an outage is logged once at info; the outage itself at error, without repeated causes', async (t) => {
  const redis = await redisForTest(t)
  const logs: Array<{ level: number, msg: string, downMs?: number, err?: { message?: string } }> = []
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { logs.push(JSON.parse(line) as typeof logs[number]) } } } })
  t.teardown(() => app.close())
  app.register(codexRedis, { url: redis.url })
  app.register(codexCache, { keyPrefix: 'back' })
  await app.ready()
  t.equal(logs.filter((l) => l.msg.includes('restored')).length, 0, 'nothing to report at start-up')
  await redis.restart()
  const deadline = performance.now() + 10_000
  while (!await app.cache.get('k').then(() => true, () => false)) {
    if (performance.now() > deadline) throw new Error('Redis did not come back')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  await new Promise((resolve) => setTimeout(resolve, 50))
  const restored = logs.filter((l) => l.msg === 'fastify-codex: Redis connection restored')
  t.equal(restored.length, 1, 'one line when the connection is back')
  t.equal(restored[0]?.level, 30, 'at info')
  t.type(restored[0]?.downMs, 'number', 'saying how long it was down')
  const errors = logs.filter((l) => l.level >= 50)
  t.ok(errors.length > 0, 'the outage was logged as errors')
  for (const line of errors) {
    const message = line.err?.message ?? ''
    const half = message.slice(0, message.length / 2 - 1)
    t.not(`${half}: ${half}`, message, `no message is its cause twice: ${message}`)
  }
})

t.test('incr on a missing key names the caller\'s key, never the internal Redis key', async (t) => {
  const redis = await redisForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(codexCache, { url: redis.url, keyPrefix: 'secret-internal-prefix' })
  app.post('/count', async () => ({ value: await app.cache.incr('visits') }))
  const res = await app.inject({ method: 'POST', url: '/count' })
  t.equal(res.statusCode, 500)
  t.equal(res.json().code, 'FST_CODEX_KEY_NOT_FOUND')
  t.match(res.json().message, /"visits"/)
  t.notMatch(res.body, /secret-internal-prefix/, 'the namespace does not reach HTTP clients')
})
