import Fastify from 'fastify'
import t from 'tap'
import { codexCache, RedisCache } from '../../index.js'
import { TrackedTwin } from '../../lib/cache/near/invalidations.js'
import { STALE_AFTER_MS } from '../../lib/cache/near/tracking.js'
import { cacheApp, rawClient } from '../helpers/cache-app.js'
import { commandCalls, resetCommandStats } from '../helpers/commandstats.js'
import { redisForTest } from '../helpers/redis-server.js'
import { timed } from '../helpers/stall-meter.js'
import { until } from '../helpers/until.js'

const NEAR = { maxEntries: 100 }
// Invalidations travel one loopback hop; on a loaded 2-core machine give them plenty of room.
const SEEN_WITHIN_MS = 500

const gets = async (redis: Parameters<typeof commandCalls>[0]): Promise<number> => (await commandCalls(redis)).get ?? 0

t.test('a hot key is answered in process: no GET reaches Redis after the first', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR })
  await app.cache.set('hot', { n: 1 })
  t.same(await app.cache.get('hot'), { n: 1 })
  await resetCommandStats(redis)
  for (let i = 0; i < 50; i++) t.same(await app.cache.get('hot'), { n: 1 })
  t.equal(await gets(redis), 0, 'fifty reads, zero GETs')
  t.equal(await app.cache.has('hot'), true)
  t.equal((await commandCalls(redis)).exists ?? 0, 0, 'has() answered locally too')
})

t.test('another client\'s SET, DEL and expiry are seen within the bound', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR })
  const other = await rawClient(t, redis)
  await app.cache.set('k', 'v1')
  t.equal(await app.cache.get('k'), 'v1')
  await other.set('test:1:k', '"v2"')
  const setMs = await until(async () => await app.cache.get('k') === 'v2', SEEN_WITHIN_MS)
  t.pass(`SET seen after ${setMs.toFixed(1)} ms`)
  await other.del('test:1:k')
  await until(async () => await app.cache.get('k') === undefined, SEEN_WITHIN_MS)
  t.pass('DEL seen')

  // Expiry: a copy never outlives its Redis TTL, even before Redis reports the expiry.
  await other.set('test:1:e', '"short"', { expiration: { type: 'PX', value: 150 } })
  t.equal(await app.cache.get('e'), 'short')
  await new Promise((resolve) => setTimeout(resolve, 160))
  t.equal(await app.cache.get('e'), undefined, 'gone once its TTL passed')

  // A PEXPIRE from elsewhere is a change too (Redis invalidates on it).
  await other.set('test:1:p', '1')
  t.equal(await app.cache.get('p'), 1)
  await other.pExpire('test:1:p', 100)
  await until(async () => await app.cache.get('p') === undefined, 100 + SEEN_WITHIN_MS)
  t.pass('shortened TTL honoured')
})

t.test('FLUSHDB drops every local copy', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR })
  await app.cache.setMany({ a: 1, b: 2 })
  t.same([...await app.cache.getMany(['a', 'b', 'c'])], [['a', 1], ['b', 2]])
  await redis.cli('FLUSHDB')
  await until(async () => (await app.cache.getMany(['a', 'b'])).size === 0, SEEN_WITHIN_MS)
  t.pass('both gone')
})

t.test('writes through this cache are seen by the next read at once', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR })
  const cache = app.cache
  await cache.set('w', 1)
  t.equal(await cache.get('w'), 1)
  await cache.set('w', 2)
  t.equal(await cache.get('w'), 2, 'set')
  t.equal(await cache.incr('w', 5), 7)
  t.equal(await cache.get('w'), 7, 'incr')
  t.equal(await cache.add('w', 0), false)
  t.equal(await cache.delete('w'), true)
  t.equal(await cache.get('w'), undefined, 'delete')
  t.equal(await cache.has('w'), false)
  await cache.setMany({ w: 'many' })
  t.equal(await cache.get('w'), 'many', 'setMany')
  await cache.touch('w', { ttl: 0.1 })
  await new Promise((resolve) => setTimeout(resolve, 120))
  t.equal(await cache.get('w'), undefined, 'touch shortened the TTL and the local copy obeyed')
  await cache.set('x', 1)
  t.equal(await cache.get('x'), 1)
  t.equal(await cache.deleteMany(['x']), 1)
  t.equal(await cache.get('x'), undefined, 'deleteMany')
  await cache.set('y', 1)
  t.equal(await cache.get('y'), 1)
  t.equal(await cache.clear(), 1)
  t.equal(await cache.get('y'), undefined, 'clear')
})

t.test('a reply overtaken by a write never lands in the near cache', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR })
  const other = await rawClient(t, redis)
  // Many rounds of a read racing another client's write: the local copy must always end up current.
  for (let i = 0; i < 200; i++) {
    await app.cache.set('race', i)
    const read = app.cache.get('race')
    const write = other.set('test:1:race', String(i + 1000))
    await Promise.all([read, write])
    await until(async () => await app.cache.get('race') === i + 1000, SEEN_WITHIN_MS)
  }
  t.pass('200 races, never stuck on an old value')
})

t.test('a returned value is the caller\'s to mutate', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR })
  await app.cache.set('obj', { list: [1, 2], nested: { a: 1 } })
  const first = await app.cache.get<{ list: number[], nested: { a: number } }>('obj')
  first!.list.push(3)
  first!.nested.a = 99
  t.same(await app.cache.get('obj'), { list: [1, 2], nested: { a: 1 } })
  const many = await app.cache.getMany<{ list: number[] }>(['obj'])
  many.get('obj')!.list.length = 0
  t.same(await app.cache.get('obj'), { list: [1, 2], nested: { a: 1 } })
})

t.test('maxEntries bounds the near cache under churn', async (t) => {
  const redis = await redisForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  const cache = new RedisCache((await rawClient(t, redis)) as never, { keyPrefix: 'churn', nearCache: { maxEntries: 10 } })
  t.teardown(() => cache.close())
  await cache.nearCacheReady
  await cache.setMany(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, i])))
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 200; i++) t.equal(await cache.get(`k${i}`), i)
  }
  // `has` answers a held key locally (no EXISTS) and does not refresh it.
  await resetCommandStats(redis)
  for (let i = 0; i < 200; i++) t.equal(await cache.has(`k${i}`), true)
  t.equal((await commandCalls(redis)).exists, 190, 'exactly maxEntries held')
  await resetCommandStats(redis)
  t.equal(await cache.has('k199'), true)
  t.equal((await commandCalls(redis)).exists ?? 0, 0, 'the most recent key is held')
  await resetCommandStats(redis)
  t.equal(await cache.get('k199'), 199)
  t.equal(await gets(redis), 0, 'the most recent key is still local')
})

t.test('a paused server (silent partition): nothing local is served past the bound, then recovery', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR, commandTimeout: 3000 })
  await app.cache.set('p', 'before')
  t.equal(await app.cache.get('p'), 'before')
  redis.pause()
  t.teardown(() => redis.resume())
  const paused = performance.now()
  let servedUntil = 0
  let rejected: unknown
  for (;;) {
    try {
      await app.cache.get('p')
      servedUntil = performance.now() - paused
    } catch (err) {
      rejected = err
      break
    }
  }
  const elapsed = performance.now() - paused
  // The margin covers only the time between the local answer and this clock reading on a loaded machine.
  t.ok(servedUntil <= STALE_AFTER_MS + 250, `local answers stopped ${servedUntil.toFixed(0)} ms into the pause (bound ${STALE_AFTER_MS} ms)`)
  t.match(rejected, { code: 'FST_CODEX_REDIS_UNAVAILABLE' }, 'then the read waits for Redis and times out like without a near cache')
  t.ok(elapsed < STALE_AFTER_MS + 3000 + 1000, `rejected after ${elapsed.toFixed(0)} ms`)
  redis.resume()
  await until(async () => await app.cache.get('p').then((v) => v === 'before', () => false), 10_000)
  await until(async () => {
    await resetCommandStats(redis)
    await app.cache.get('p')
    return await gets(redis) === 0
  }, 10_000)
  t.pass('local answers resume after the server comes back')
})

t.test('a restart drops the local copies; outage rejects', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR, commandTimeout: 1000 })
  await app.cache.set('r', 'old')
  t.equal(await app.cache.get('r'), 'old')
  await redis.stop()
  // The client sees the closed socket a moment after the process exits; a read in between may still be answered
  // locally (with the latest value: nothing can have written since). Within the silent-partition bound it must stop.
  const { value: refusedMs, stalled } = await timed(async () =>
    await until(async () => await app.cache.get('r').then(() => false, (err: { code?: string }) => err.code === 'FST_CODEX_REDIS_UNAVAILABLE'), STALE_AFTER_MS))
  t.ok(refusedMs - stalled <= STALE_AFTER_MS, `local answers stopped ${Math.round(refusedMs)} ms after the server did (${stalled.toFixed(0)} ms of it a stalled loop)`)
  await t.rejects(app.cache.get('r'), { code: 'FST_CODEX_REDIS_UNAVAILABLE' }, 'no local answer during the outage')
  await redis.restart()
  // The new server has no data (no persistence): the old copy must not come back.
  await until(async () => await app.cache.get('r').then((v) => v === undefined, () => false), 10_000)
  t.pass('not served after the restart')
})

t.test('nearCache options are checked at registration', async (t) => {
  for (const nearCache of [{}, { maxEntries: 0 }, { maxEntries: 1.5 }, { maxEntries: 10, ttl: 0 }, { maxEntries: 10, ttl: 'x' }, 'yes']) {
    const app = Fastify()
    app.register(codexCache, { url: 'redis://127.0.0.1:1', nearCache: nearCache as never })
    await t.rejects(async () => { await app.ready() }, { code: 'FST_CODEX_INVALID_OPTIONS' }, JSON.stringify(nearCache))
    await app.close()
  }
})

t.test('the near ttl caps a local copy\'s life', async (t) => {
  const redis = await redisForTest(t)
  // Seconds, not milliseconds: spawning redis-cli for the counters takes a while on a loaded machine.
  const app = await cacheApp(t, redis, { nearCache: { maxEntries: 10, ttl: 2 } })
  await app.cache.set('c', 1, { ttl: null })
  t.equal(await app.cache.get('c'), 1)
  const readAt = performance.now()
  await resetCommandStats(redis)
  t.equal(await app.cache.get('c'), 1)
  if (performance.now() - readAt < 1900) t.equal(await gets(redis), 0, 'local within the near ttl')
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2100 - (performance.now() - readAt))))
  await resetCommandStats(redis)
  t.equal(await app.cache.get('c'), 1)
  t.equal(await gets(redis), 1, 'read again from Redis after the near ttl')
})

t.test('close leaves no connection of ours open, with a plugin-made or a passed-in client', async (t) => {
  const redis = await redisForTest(t)
  const ours = async (): Promise<number> => (await redis.cli('CLIENT', 'LIST')).split('\n').filter((line) => line.startsWith('id=') && !line.includes('cmd=client|list')).length
  const app = Fastify()
  app.register(codexCache, { url: redis.url, keyPrefix: 'c', nearCache: NEAR })
  await app.ready()
  t.equal(await ours(), 2, 'the client and the tracking connection')
  await app.close()
  await until(async () => await ours() === 0, 5000)
  t.pass('both closed by app.close()')

  const client = await rawClient(t, redis)
  const cache = new RedisCache({ client, keyPrefix: 'c', nearCache: NEAR })
  await cache.nearCacheReady
  t.equal(await ours(), 2)
  await cache.close()
  await until(async () => await ours() === 1, 5000)
  t.equal(client.isOpen, true, 'the passed-in client is left open')
})

t.test('a client from another copy of @redis/client: the near cache stays off rather than go unwatched', async (t) => {
  const redis = await redisForTest(t)
  const { createClient } = await import('redis')
  const client = createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.destroy())
  const cache = new RedisCache({ client: client as never, keyPrefix: 'v5', nearCache: NEAR })
  t.teardown(() => cache.close())
  await cache.nearCacheReady
  await cache.set('k', 1)
  t.equal(await cache.get('k'), 1)
  await client.set('v5:1:k', '2')
  t.equal(await cache.get('k'), 2, 'every read went to Redis')
})

t.test('the tracking connection killed: copies dropped, reads keep working through the client', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR })
  const other = await rawClient(t, redis)
  await app.cache.set('k', 'a')
  t.equal(await app.cache.get('k'), 'a')
  await redis.cli('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
  // The write lands while the tracking connection is gone: its invalidation is lost with it.
  await other.set('test:1:k', '"b"')
  for (let i = 0; i < 50; i++) {
    const value = await app.cache.get('k').catch((err: { code: string }) => err.code)
    t.not(value, 'a', 'never the old value')
    if (value === 'b') break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.equal(await app.cache.get('k'), 'b')
})

t.test('the @redis/client seam: the BasicPooledClientSideCache we create reports invalidations (fails if an upgrade changes it)', async (t) => {
  const redis = await redisForTest(t)
  const source = await rawClient(t, redis)
  const other = await rawClient(t, redis)
  const seen: Array<string | null> = []
  const twin = new TrackedTwin({ client: source, kind: 'single' } as never, { maxEntries: 10, ttl: null }, (key) => { seen.push(key) })
  const client = twin.client as unknown as typeof source
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.destroy())
  t.equal(twin.engaged, true, '@redis/client tracks through the cache instance we passed as clientSideCache')
  seen.length = 0
  await other.set('seam', '1')
  t.equal(await client.get('seam'), '1')
  twin.drop('seam')
  t.same(seen, [], 'our own drop is not reported back to us')
  t.equal(await client.get('seam'), '1')
  await other.set('seam', '2')
  await until(async () => seen.includes('seam'), SEEN_WITHIN_MS)
  t.pass('another client\'s write reported through the cache\'s \'invalidate\' event, by key')
  seen.length = 0
  await other.flushDb()
  await until(async () => seen.includes(null), SEEN_WITHIN_MS)
  t.pass('a flush reported as null')
})
