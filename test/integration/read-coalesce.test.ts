import t from 'tap'
import { RedisCache } from '../../index.js'
import { rawClient } from '../helpers/cache-app.js'
import { commandCalls, resetCommandStats } from '../helpers/commandstats.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'
import type { Test } from 'tap'

const never = (): never => { throw new Error('a hit must not compute') }

async function cacheOn (t: Test, redis: RedisServer, near: boolean) {
  const client = await rawClient(t, redis)
  const cache = new RedisCache(client, { keyPrefix: 'co', ...(near ? { nearCache: { maxEntries: 100 } } : {}) })
  t.teardown(() => cache.close())
  await cache.nearCacheReady
  return cache
}

for (const near of [false, true]) {
  const label = near ? ' (near cache)' : ''

  t.test(`64 concurrent getOrSet hits on one key cost one GET, each caller gets its own copy${label}`, async t => {
    const redis = await redisForTest(t)
    const cache = await cacheOn(t, redis, near)
    await cache.set('hot', { list: [1] })
    await resetCommandStats(redis)
    // The first two callers mutate their values as soon as they resume, before the others take theirs.
    const mutating = (value: { list: number[] }) => { value.list.push(9); return value }
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => cache.getOrSet<{ list: number[] }>('hot', never).then((v) => i < 2 ? mutating(v) : v)))
    t.equal((await commandCalls(redis)).get, 1, 'one GET for 64 callers')
    t.same(results.slice(0, 2), [{ list: [1, 9] }, { list: [1, 9] }])
    t.ok(results.slice(2).every((r) => r.list.length === 1 && r.list[0] === 1), 'callers after a mutation still get the stored value')
    results.splice(0, 2)
    results[0]!.list.push(2)
    t.same(results[1], { list: [1] }, 'mutating one caller’s value changes no other')
    t.not(results[0], results[1])
    // The shared read is gone once settled: a later call reads again.
    await resetCommandStats(redis)
    t.same(await cache.getOrSet('hot', never), { list: [1] })
    t.equal((await commandCalls(redis)).get ?? 0, near ? 0 : 1, near ? 'now a near-cache hit' : 'a new GET')
  })
}

t.test('get is not coalesced: one GET per call', async t => {
  const redis = await redisForTest(t)
  const cache = await cacheOn(t, redis, false)
  await cache.set('k', 1)
  await resetCommandStats(redis)
  await Promise.all(Array.from({ length: 8 }, () => cache.get('k')))
  t.equal((await commandCalls(redis)).get, 8)
})

t.test('a write issued after a read started is seen by a getOrSet called after it', async t => {
  const redis = await redisForTest(t)
  const cache = await cacheOn(t, redis, false)
  const writes: Array<[string, () => Promise<unknown>, unknown]> = [
    ['set', () => cache.set('k', 'new'), 'new'],
    ['delete', () => cache.delete('k'), 'computed'],
    ['touch to expiry', () => cache.touch('k', { ttl: 0 }), 'computed'],
    ['setMany', async () => cache.setMany([['k', 'many']]), 'many'],
    ['deleteMany', () => cache.deleteMany(['k']), 'computed']
  ]
  // Writes of one command, issued in the tick they are called: Redis runs them before the later caller's GET.
  for (const [name, write, expected] of writes) {
    await cache.set('k', 1)
    // Issued in one tick: the first read is in flight when the write begins, the last call comes after it.
    const first = cache.getOrSet('k', () => 'computed')
    const written = write()
    const last = cache.getOrSet('k', () => 'computed')
    t.equal(await first, 1, `${name}: the earlier read sees the old value`)
    t.same(await last, expected, `${name}: the later getOrSet does not join the older read`)
    await written
  }
})

t.test('with a near cache, a write awaited while a read is in flight is seen next', async t => {
  const redis = await redisForTest(t)
  const cache = await cacheOn(t, redis, true)
  await cache.set('k', 'old')
  const first = cache.getOrSet('k', never)
  await cache.set('k', 'new')
  t.equal(await cache.getOrSet('k', never), 'new')
  t.equal(await first, 'old')
})

t.test('a failed shared read rejects every caller with the same error', async t => {
  const redis = await redisForTest(t)
  const client = await rawClient(t, redis)
  const cache = new RedisCache(client, { keyPrefix: 'co', commandTimeout: 200 })
  t.teardown(() => cache.close())
  await cache.set('k', 1)
  await redis.cli('CLIENT', 'PAUSE', '1500', 'ALL')
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => cache.getOrSet('k', never)))
  t.ok(results.every((r) => r.status === 'rejected'))
  const errors = results.map((r) => (r as PromiseRejectedResult).reason as { code?: string })
  t.ok(errors.every((e) => e === errors[0]), 'one shared error')
  t.match(errors[0], { code: /^FST_CODEX_/ })
})
