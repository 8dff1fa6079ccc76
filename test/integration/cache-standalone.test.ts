import t from 'tap'
import { RedisCache } from '../../index.js'
import { rawClient } from '../helpers/cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('RedisCache without Fastify, on a client that stays open', async t => {
  const redis = await redisForTest(t)
  const client = await rawClient(t, redis)
  const positional = new RedisCache(client, { keyPrefix: 'a', ttl: 10 })
  const named = new RedisCache({ client, keyPrefix: 'b', commandTimeout: 500 })
  await positional.set('k', 1)
  await named.set('k', 2)
  t.equal(await client.get('a:1:k'), '1')
  t.equal(await client.get('b:1:k'), '2')
  t.ok(await client.pTTL('a:1:k') <= 10_000, 'options apply')
  t.equal(client.listenerCount('error'), 1, 'no listener of ours added to the caller’s client')
  t.ok(client.isOpen, 'left open')
})

t.test('a missing or wrong client is an options error', async t => {
  for (const target of [undefined, null, {}, { client: undefined }, { client: 'redis://x' }]) {
    t.throws(() => new RedisCache(target as never), { code: 'FST_CODEX_INVALID_OPTIONS' }, JSON.stringify(target))
  }
})

t.test('setMany: keys Redis refuses come back as failed keys; an outage reply throws 503', async t => {
  const redis = await redisForTest(t)
  await redis.cli('ACL', 'SETUSER', 'limited', 'on', '>pw', '~s:1:ok*', '+@all')
  const [host, port] = redis.url.replace('redis://', '').split(':')
  const { createClient } = await import('@redis/client')
  const limited = createClient({ url: `redis://limited:pw@${host}:${port}` })
  limited.on('error', () => {})
  await limited.connect()
  t.teardown(() => limited.destroy())
  const cache = new RedisCache(limited, { keyPrefix: 's' })
  t.same(await cache.setMany({ ok1: 1, denied: 2, ok2: 3 }), ['denied'], 'only the refused key is reported')
  t.same(await cache.getMany(['ok1', 'ok2']), new Map([['ok1', 1], ['ok2', 3]]))

  const client = await rawClient(t, redis)
  const full = new RedisCache(client, { keyPrefix: 's' })
  await redis.cli('REPLICAOF', '127.0.0.1', '1')
  t.teardown(() => redis.cli('REPLICAOF', 'NO', 'ONE'))
  await t.rejects(full.setMany({ a: 1 }), { code: 'FST_CODEX_REDIS_UNAVAILABLE', statusCode: 503 }, 'READONLY is an outage')
  await t.rejects(full.set('a', 1), { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
})

t.test('a decorator name already taken is refused before any connection opens', async t => {
  const redis = await redisForTest(t)
  const { default: Fastify } = await import('fastify')
  const { codexCache } = await import('../../index.js')
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('cache', { mine: true } as never)
  const before = await redis.cli('INFO', 'stats')
  await t.rejects(async () => { await app.register(codexCache, { url: redis.url }) }, { code: 'FST_CODEX_INVALID_OPTIONS' })
  const connections = (text: string): number => Number(/total_connections_received:(\d+)/.exec(text)?.[1])
  // +1: the redis-cli call that reads the counter connects too.
  t.equal(connections(await redis.cli('INFO', 'stats')), connections(before) + 1, 'no connection was opened')
})
