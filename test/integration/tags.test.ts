import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { RedisCache } from '../../index.js'
import { rawClient } from '../helpers/cache-app.js'
import { milestone } from '../helpers/read-through.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'

async function cacheOn (t: Test, redis: RedisServer) {
  const client = await rawClient(t, redis)
  const cache = new RedisCache(client, { keyPrefix: 'tg' })
  t.teardown(() => cache.close())
  return { cache, client }
}

t.test('invalidateTags in one cache: the other sees every tagged value gone', async t => {
  const redis = await redisForTest(t)
  const { cache: a } = await cacheOn(t, redis)
  const { cache: b } = await cacheOn(t, redis)
  await a.set('s', 1, { tags: ['user:1'] })
  t.equal(await a.add('a', 2, { tags: ['user:1', 'other'] }), true)
  t.same(await a.setMany({ m1: 3, m2: 4 }, { tags: ['user:1'] }), [])
  await a.getOrSet('g', () => 5, { tags: ['user:1'], grace: 60 })
  await a.set('untagged', 6)
  await a.set('elsewhere', 7, { tags: ['user:2'] })
  t.same(await b.getMany(['s', 'a', 'm1', 'm2', 'g']), new Map([['s', 1], ['a', 2], ['m1', 3], ['m2', 4], ['g', 5]]))

  await b.invalidateTags(['user:1'])
  for (const key of ['s', 'a', 'm1', 'm2', 'g']) {
    t.equal(await a.get(key), undefined, `${key} is gone`)
    t.equal(await a.has(key), false)
  }
  t.same(await a.getMany(['s', 'g']), new Map())
  t.equal(await a.get('untagged'), 6, 'untagged values stay')
  t.equal(await a.get('elsewhere'), 7, 'other tags stay')
  t.equal(await a.getOrSet('g', () => { throw new Error('db down') }, { grace: 60 }).catch((err: Error) => err.message), 'db down',
    'an invalidated value is never served as stale')
  t.equal(await a.getOrSet('g', () => 'recomputed', { tags: ['user:1'] }), 'recomputed', 'getOrSet recomputes')
})

t.test('tags that are not an array of non-empty strings: FST_CODEX_INVALID_OPTIONS saying so (not a key error), nothing written', async t => {
  const redis = await redisForTest(t)
  const { cache, client } = await cacheOn(t, redis)
  for (const [tags, named] of [['a', /tags must be an array of non-empty strings, got a string$/], [[''], /got an empty string at tags\[0\]/], [['ok', 3], /got 3 at tags\[1\]/]] as Array<[unknown, RegExp]>) {
    const message = { code: 'FST_CODEX_INVALID_OPTIONS', message: named }
    await t.rejects(cache.set('k', 1, { tags: tags as string[] }), message, `set ${JSON.stringify(tags)}`)
    await t.rejects(cache.add('k', 1, { tags: tags as string[] }), message)
    await t.rejects(cache.setMany({ k: 1 }, { tags: tags as string[] }), message)
    await t.rejects(cache.getOrSet('k', () => 1, { tags: tags as string[] }), message)
    await t.rejects(cache.invalidateTags(tags as string[]), message)
  }
  const err = await cache.set('k', 1, { tags: 'a' as unknown as string[] }).catch((e: Error) => e)
  t.notMatch((err as Error).message, /key/i, 'the message does not blame a key')
  t.equal(await client.dbSize(), 0)
})

t.test('an add that did not write does not tag the existing value', async t => {
  const redis = await redisForTest(t)
  const { cache } = await cacheOn(t, redis)
  await cache.set('k', 'mine')
  t.equal(await cache.add('k', 'theirs', { tags: ['x'] }), false)
  await cache.invalidateTags(['x'])
  t.equal(await cache.get('k'), 'mine')
})

t.test('tag bookkeeping: expired entries leave on the next write to the tag; the tag set expires with its last entry', async t => {
  const redis = await redisForTest(t)
  const { cache, client } = await cacheOn(t, redis)
  await cache.setMany(Array.from({ length: 20 }, (_, i) => [`short:${i}`, i] as const), { tags: ['t'], ttl: 0.3 })
  t.equal(await client.zCard('tg:~codex:tag:t'), 20)
  await sleep(400)
  await cache.set('long', 1, { tags: ['t'], ttl: 60 })
  t.same(await client.zRange('tg:~codex:tag:t', 0, -1), ['tg:1:long'], 'pruned to the live entry')
  const pttl = await client.pTTL('tg:~codex:tag:t')
  t.ok(pttl > 59_000 && pttl <= 60_000, `the tag set expires with its last entry (${pttl})`)
  await cache.set('short', 1, { tags: ['u'], ttl: 0.1 })
  await sleep(250)
  t.equal(await client.exists('tg:~codex:tag:u'), 0, 'an idle tag set goes away by itself')
  await cache.set('forever', 1, { tags: ['f'], ttl: null })
  t.equal(await client.pTTL('tg:~codex:tag:f'), -1, 'an entry without expiry keeps its tag set')
})

t.test('invalidation works through many batches of entries', async t => {
  const redis = await redisForTest(t)
  const { cache, client } = await cacheOn(t, redis)
  const entries = Object.fromEntries(Array.from({ length: 1234 }, (_, i) => [`k${i}`, i]))
  await cache.setMany(entries, { tags: ['bulk'] })
  await cache.invalidateTags(['bulk', 'never-used'])
  t.equal((await client.keys('tg:1:*')).length, 0)
  t.equal(await client.exists('tg:~codex:tag:bulk'), 0, 'the tag set is gone')
})

t.test('a computation that started before invalidateTags and lands after it is not kept', async t => {
  const redis = await redisForTest(t)
  const { cache: a } = await cacheOn(t, redis)
  const { cache: b } = await cacheOn(t, redis)
  let release!: () => void
  const loaded = new Promise<void>((resolve) => { release = resolve })
  const started = milestone()
  const computing = a.getOrSet('k', async () => { started.reach(); await loaded; return 'read before the invalidation' }, { tags: ['x'] })
  await started.reached
  await b.invalidateTags(['x'])
  release()
  t.equal(await computing, 'read before the invalidation', 'the caller still gets its result')
  t.equal(await b.get('k'), undefined, 'but it is not stored for anyone else')
  t.equal(await a.getOrSet('k', () => 'fresh', { tags: ['x'] }), 'fresh')
  t.equal(await b.get('k'), 'fresh', 'a computation after the invalidation is kept')
})

t.test('a grace copy invalidated while its refresh runs is not served as stale (failure or timeout)', async t => {
  const redis = await redisForTest(t)
  const { cache } = await cacheOn(t, redis)
  await cache.getOrSet('f', () => 'old', { tags: ['t'], ttl: 0.2, grace: 60 })
  await cache.getOrSet('s', () => 'old', { tags: ['u'], ttl: 0.2, grace: 60 })
  await sleep(400)
  // The refresh read the grace copy before the invalidation; it must still not hand it out after it.
  const failed = cache.getOrSet('f', async () => {
    await cache.invalidateTags(['t'])
    throw new Error('db down')
  }, { tags: ['t'], grace: 60 }).then((v) => `served ${String(v)}`, (err: Error) => err.message)
  t.equal(await failed, 'db down', 'the refresh failed after the invalidation: its error, not the invalidated value')
  let invalidated = false
  const slow = await cache.getOrSet('s', async () => {
    await cache.invalidateTags(['u'])
    invalidated = true
    await sleep(2000)
    return 'new'
  }, { tags: ['u'], grace: 60, timeout: 1500 })   // a timeout a stalled loop cannot reach before the invalidation lands
  t.ok(invalidated)
  t.equal(slow, 'new', 'past timeout, the invalidated grace copy is not served: the caller waits for the refresh')
})
