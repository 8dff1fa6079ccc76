import t from 'tap'
import { cacheApp } from '../helpers/cache-app.js'
import { commandCalls, resetCommandStats } from '../helpers/commandstats.js'
import { redisForTest } from '../helpers/redis-server.js'

const NEAR = { maxEntries: 100 }

t.test('with a near cache, a getOrSet hit is answered in process and its writes are seen at once', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR })
  let runs = 0
  const factory = async (): Promise<{ n: number }> => ({ n: ++runs })
  t.same(await app.cache.getOrSet('rt', factory), { n: 1 })
  t.same(await app.cache.get('rt'), { n: 1 }, 'get sees the computed value')
  // The read right after a write may be answered while Redis's invalidation of that write is in flight: not kept.
  t.same(await app.cache.get('rt'), { n: 1 })
  await resetCommandStats(redis)
  for (let i = 0; i < 20; i++) t.same(await app.cache.getOrSet('rt', factory), { n: 1 })
  t.equal((await commandCalls(redis)).get ?? 0, 0, 'twenty getOrSet hits, zero GETs')
  t.equal(runs, 1)

  const first = await app.cache.getOrSet('rt', factory)
  first.n = 99
  t.same(await app.cache.getOrSet('rt', factory), { n: 1 }, 'a returned value is the caller\'s to mutate')

  // A value getOrSet stores replaces the local copy at once, as set() does.
  await app.cache.delete('rt')
  t.same(await app.cache.getOrSet('rt', factory), { n: 2 })
  t.same(await app.cache.get('rt'), { n: 2 }, 'the next get sees the new value, not a copy of the old one')
})

t.test('with a near cache, invalidateTags drops the local copies at once', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR })
  await app.cache.set('tagged', 'v1', { tags: ['t'] })
  t.equal(await app.cache.get('tagged'), 'v1')
  let runs = 0
  t.equal(await app.cache.getOrSet('computed', async () => `c${++runs}`, { tags: ['t'] }), 'c1')
  t.equal(await app.cache.getOrSet('computed', async () => `c${++runs}`, { tags: ['t'] }), 'c1', 'a local hit')
  await app.cache.invalidateTags(['t'])
  t.equal(await app.cache.get('tagged'), undefined, 'get answers undefined right after the call resolves')
  t.equal(await app.cache.getOrSet('computed', async () => `c${++runs}`, { tags: ['t'] }), 'c2', 'getOrSet recomputes')
})

t.test('with a near cache, a value getOrSet wrote with grace is not seen by get, has or getMany past its ttl', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR })
  t.equal(await app.cache.getOrSet('g', () => 'v', { ttl: 0.4, grace: 60 }), 'v')
  t.equal(await app.cache.get('g'), 'v')
  t.equal(await app.cache.get('g'), 'v', 'held in process now')
  await new Promise((resolve) => setTimeout(resolve, 600))
  t.equal(await app.cache.get('g'), undefined, 'get: the ttl passed, the grace copy is not the value')
  t.equal(await app.cache.has('g'), false)
  t.same(await app.cache.getMany(['g']), new Map())
  t.equal(await app.cache.getOrSet('g', () => { throw new Error('db down') }, { grace: 60 }), 'v', 'only getOrSet serves the grace copy')
})

t.test('with a near cache, getOrSet hits of one local copy each get a value of their own, nested parts included', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { nearCache: NEAR })
  const factory = async (): Promise<{ list: Array<{ n: number }>, deep: { tags: string[] } }> => ({ list: [{ n: 1 }], deep: { tags: ['a'] } })
  await app.cache.getOrSet('nested', factory)
  await app.cache.get('nested')
  const hits = await Promise.all([app.cache.getOrSet('nested', factory), app.cache.getOrSet('nested', factory)])
  hits[0].list[0]!.n = 99
  hits[0].deep.tags.push('b')
  t.same(hits[1], { list: [{ n: 1 }], deep: { tags: ['a'] } }, 'a concurrent hit is untouched')
  const later = await app.cache.getOrSet('nested', factory)
  t.same(later, { list: [{ n: 1 }], deep: { tags: ['a'] } }, 'a later hit is untouched')
  later.list.length = 0
  await app.cache.set('nested', { list: [{ n: 2 }], deep: { tags: [] } })
  t.same(await app.cache.getOrSet('nested', factory), { list: [{ n: 2 }], deep: { tags: [] } }, 'a new value is parsed from its own text')
})
