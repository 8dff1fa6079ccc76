import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { RedisCache, type CodexLogger } from '../../index.js'
import { rawClient } from '../helpers/cache-app.js'
import { milestone, settlesTo } from '../helpers/read-through.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'
import type { Test } from 'tap'
import { timed } from '../helpers/stall-meter.js'

interface Logged { obj: object, msg: string }

function recordingLogger (): CodexLogger & { logged: Logged[] } {
  const logged: Logged[] = []
  return { logged, warn (obj, msg) { logged.push({ obj, msg }) } }
}

/** A cache on its own client: two of them behave like two processes (separate flights, separate connections). */
async function cacheOn (t: Test, redis: RedisServer, options: ConstructorParameters<typeof RedisCache>[1] = {}) {
  const client = await rawClient(t, redis)
  const cache = new RedisCache(client, { keyPrefix: 'rt', ...options })
  t.teardown(() => cache.close())
  return { cache, client }
}

t.test('a miss computes, stores the same payload set writes, and a hit never calls the factory', async t => {
  const redis = await redisForTest(t)
  const { cache, client } = await cacheOn(t, redis)
  let runs = 0
  const value = await cache.getOrSet('user:1', async () => { runs++; return { name: 'Ada', n: [1, 2] } }, { ttl: 30 })
  t.same(value, { name: 'Ada', n: [1, 2] })
  const stored = await client.get('rt:1:user:1')
  await cache.set('copy', { name: 'Ada', n: [1, 2] })
  t.equal(stored, await client.get('rt:1:copy'), 'same payload text as set')
  const pttl = await client.pTTL('rt:1:user:1')
  t.ok(pttl > 28_000 && pttl <= 30_000, `ttl applied (${pttl})`)
  t.same(await cache.getOrSet('user:1', () => { runs++; return 'other' }), { name: 'Ada', n: [1, 2] })
  t.equal(runs, 1, 'the hit did not run the factory')
  t.same(await cache.get('user:1'), { name: 'Ada', n: [1, 2] }, 'get sees it')
})

t.test('type: getOrSet<T> infers the factory type', async t => {
  const redis = await redisForTest(t)
  const { cache } = await cacheOn(t, redis)
  const n: number = await cache.getOrSet('n', () => 41 + 1)
  const s: { a: string } = await cache.getOrSet('s', async () => ({ a: 'x' }))
  t.equal(n, 42)
  t.equal(s.a, 'x')
})

t.test('concurrent callers in one process share one computation, each gets its own copy', async t => {
  const redis = await redisForTest(t)
  const { cache } = await cacheOn(t, redis)
  let runs = 0
  const factory = async () => { runs++; await sleep(100); return { list: [1] } }
  const results = await Promise.all(Array.from({ length: 50 }, () => cache.getOrSet('hot', factory)))
  t.equal(runs, 1)
  t.ok(results.every((r) => r.list[0] === 1))
  results[0]!.list.push(2)
  t.same(results[1], { list: [1] }, 'mutating one caller’s value changes no other')
})

t.test('across caches (processes): one computation, the waiter learns within milliseconds', async t => {
  const redis = await redisForTest(t)
  const { cache: a } = await cacheOn(t, redis)
  const { cache: b } = await cacheOn(t, redis)
  const { cache: c } = await cacheOn(t, redis)
  const lags: number[] = []
  for (let i = 0; i < 5; i++) {
    let runs = 0
    let doneAt = 0
    const factory = async () => { runs++; await sleep(300); doneAt = performance.now(); return runs }
    const first = a.getOrSet(`k${i}`, factory)
    await sleep(50)
    const waiters = [b.getOrSet(`k${i}`, factory), c.getOrSet(`k${i}`, factory)].map(async (p) => ({ value: await p, at: performance.now() }))
    const [value, ...others] = await Promise.all([first, ...waiters])
    t.equal(runs, 1, 'the factory ran once in all')
    t.equal(value, 1)
    for (const other of others as Array<{ value: number, at: number }>) {
      t.equal(other.value, 1)
      lags.push(other.at - doneAt)
    }
  }
  lags.sort((x, y) => x - y)
  const median = lags[lags.length >> 1]!
  // A missed announcement would show as the 1 s re-check or the 5 s lock expiry; a stalled loop adds a few hundred ms.
  t.ok(median < 400, `waiters answered a median ${Math.round(median)} ms after the value landed (${lags.map(Math.round).join(', ')})`)
  t.equal((await redis.cli('PUBSUB', 'NUMSUB', 'rt:~codex:landed')).split('\n')[1], '2', 'the waiting caches subscribed')
  await Promise.all([b.close(), c.close()])
  t.equal((await redis.cli('PUBSUB', 'NUMSUB', 'rt:~codex:landed')).split('\n')[1], '0', 'close() ends the subscriber connections')
})

t.test('the plugin closes the subscriber with the app', async t => {
  const redis = await redisForTest(t)
  const { default: Fastify } = await import('fastify')
  const { codexCache } = await import('../../index.js')
  const apps = [Fastify(), Fastify()]
  for (const app of apps) await app.register(codexCache, { url: redis.url, keyPrefix: 'rt' })
  const computing = milestone()
  const slow = apps[0]!.cache.getOrSet('k', async () => { computing.reach(); await sleep(200); return 1 })
  await computing.reached
  t.equal(await apps[1]!.cache.getOrSet('k', () => 2), 1)
  await slow
  await Promise.all(apps.map((app) => app.close()))
  const clients = (await redis.cli('CLIENT', 'LIST')).split('\n').filter((line) => line.startsWith('id=') && !line.includes('cmd=client|list'))
  t.equal(clients.length, 0, 'no connection of ours is left open')
})

t.test('a throwing factory stores nothing; in-process waiters share the error; another process takes over', async t => {
  const redis = await redisForTest(t)
  const { cache: a, client } = await cacheOn(t, redis)
  const { cache: b } = await cacheOn(t, redis)
  const boom = new Error('db down')
  const computing = milestone()
  const failing = async () => { computing.reach(); await sleep(200); throw boom }
  const calls = [a.getOrSet('k', failing), a.getOrSet('k', failing)]
  await computing.reached
  let bRuns = 0
  const other = b.getOrSet('k', async () => { bRuns++; return 'from b' })
  const settled = await Promise.allSettled(calls)
  t.ok(settled.every((s) => s.status === 'rejected' && s.reason === boom), 'both in-process callers got the same error')
  t.equal(await other, 'from b', 'the waiter in the other process computed')
  t.equal(bRuns, 1)
  t.equal(await client.get('rt:1:k'), '"from b"')
  await t.rejects(a.getOrSet('sync', () => { throw boom }), boom, 'a sync throw rejects')
  t.equal(await a.get('sync'), undefined)
})

t.test('ctx.skip(): the value is returned, not stored; another process computes its own', async t => {
  const redis = await redisForTest(t)
  const { cache: a } = await cacheOn(t, redis)
  const { cache: b } = await cacheOn(t, redis)
  const computing = milestone()
  const first = a.getOrSet('k', async (ctx) => { computing.reach(); await sleep(200); ctx.skip(); return 'partial' })
  const joined = a.getOrSet('k', () => 'never')
  await computing.reached
  const other = b.getOrSet('k', () => 'full')
  t.equal(await first, 'partial')
  t.equal(await joined, 'partial', 'in-process waiter gets the skipped value')
  t.equal(await other, 'full', 'the other process computed its own')
  t.equal(await a.get('k'), 'full')
})

t.test('ctx.setTtl picks the TTL; a non-JSON result rejects and stores nothing', async t => {
  const redis = await redisForTest(t)
  const { cache, client } = await cacheOn(t, redis)
  await cache.getOrSet('k', (ctx) => { ctx.setTtl(5); return 1 }, { ttl: 100 })
  const pttl = await client.pTTL('rt:1:k')
  t.ok(pttl > 4000 && pttl <= 5000, `setTtl applied (${pttl})`)
  await cache.getOrSet('forever', (ctx) => { ctx.setTtl(null); return 1 })
  t.equal(await client.pTTL('rt:1:forever'), -1)
  await t.rejects(cache.getOrSet('bad', () => new Date() as never), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
  t.equal(await client.exists('rt:1:bad'), 0)
  await t.rejects(cache.getOrSet('k2', () => 1, { grace: -1 }), { code: 'FST_CODEX_INVALID_TTL' })
  await t.rejects(cache.getOrSet('k2', () => 1, { tags: [''] }), { code: 'FST_CODEX_INVALID_OPTIONS' })
})

t.test('get, has and getMany never see a getOrSet value past its ttl, even with grace', async t => {
  const redis = await redisForTest(t)
  const { cache } = await cacheOn(t, redis)
  await cache.getOrSet('k', () => 'v', { ttl: 0.2, grace: 30 })
  t.equal(await cache.get('k'), 'v')
  await sleep(300)
  t.equal(await cache.get('k'), undefined)
  t.equal(await cache.has('k'), false)
  t.same(await cache.getMany(['k']), new Map())
  t.equal(await cache.ttl('k'), undefined)
})

t.test('grace: a failed refresh answers the stale value (logged); a call with grace 0 never does', async t => {
  const redis = await redisForTest(t)
  const logger = recordingLogger()
  const { cache } = await cacheOn(t, redis, { logger })
  await cache.getOrSet('k', () => 'old', { ttl: 0.1, grace: 30 })
  await sleep(200)
  let seen: unknown
  const value = await cache.getOrSet('k', (ctx) => { seen = ctx.stale; throw new Error('db down') }, { grace: 30 })
  t.equal(value, 'old')
  t.equal(seen, 'old', 'ctx.stale is the value being refreshed')
  t.equal(logger.logged.length, 1, 'the error was logged')
  await t.rejects(cache.getOrSet('k', () => { throw new Error('db down') }), { message: 'db down' }, 'grace 0: the error')
  const fresh = await cache.getOrSet('k', () => 'new', { grace: 30 })
  t.equal(fresh, 'new', 'a working refresh replaces it')
})

t.test('nothing is returned past ttl + grace', async t => {
  const redis = await redisForTest(t)
  const { cache } = await cacheOn(t, redis, { logger: recordingLogger() })
  await cache.getOrSet('k', () => 'old', { ttl: 0.1, grace: 0.2 })
  await sleep(400)
  await t.rejects(cache.getOrSet('k', () => { throw new Error('down') }, { grace: 30 }), { message: 'down' })
})

t.test('timeout: a slow refresh answers the stale value now and lands in the background; 0 = stale-while-revalidate', async t => {
  const redis = await redisForTest(t)
  const { cache } = await cacheOn(t, redis)
  await cache.getOrSet('k', () => 'old', { ttl: 0.1, grace: 30 })
  await sleep(200)
  const { value, elapsed: took, stalled } = await timed(async () =>
    await cache.getOrSet('k', async () => { await sleep(600); return 'new' }, { grace: 30, timeout: 50 }), 50)
  t.equal(value, 'old')
  t.ok(took - stalled < 400, `answered in ${Math.round(took)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
  t.equal(await settlesTo(() => cache.get('k'), 'new'), 'new', 'the refresh finished in the background')

  await cache.getOrSet('s', () => 'old', { ttl: 0.1, grace: 30 })
  await sleep(200)
  const swr = await cache.getOrSet('s', async () => { await sleep(200); return 'new' }, { grace: 30, timeout: 0 })
  t.equal(swr, 'old')
  t.equal(await settlesTo(() => cache.get('s'), 'new'), 'new')

  const noStale = await cache.getOrSet('none', async () => { await sleep(200); return 'computed' }, { grace: 30, timeout: 0 })
  t.equal(noStale, 'computed', 'without a stale value, timeout waits for the computation')
})

t.test('hardTimeout: the signal aborts; FST_CODEX_FACTORY_TIMEOUT (504), or the stale value', async t => {
  const redis = await redisForTest(t)
  const { cache } = await cacheOn(t, redis, { logger: recordingLogger() })
  let signal: AbortSignal | undefined
  await t.rejects(cache.getOrSet('k', async (ctx) => { signal = ctx.signal; await sleep(1000); return 'late' }, { hardTimeout: 100 }),
    { code: 'FST_CODEX_FACTORY_TIMEOUT', statusCode: 504 })
  t.equal(signal?.aborted, true)
  await sleep(1000)
  t.equal(await cache.get('k'), undefined, 'the abandoned result was not stored')

  await cache.getOrSet('s', () => 'old', { ttl: 0.1, grace: 30 })
  await sleep(200)
  t.equal(await cache.getOrSet('s', async () => { await sleep(1000); return 'new' }, { grace: 30, hardTimeout: 100 }), 'old')
})

t.test('a factory that never settles, without hardTimeout: the cache default abandons it and frees the compute lock', async t => {
  const redis = await redisForTest(t)
  // The default is 30 s (test/unit/read-through-parts.test.ts); a short cache-level one keeps this test short.
  const { cache, client } = await cacheOn(t, redis, { hardTimeout: 100 })
  let signal: AbortSignal | undefined
  const stuck = cache.getOrSet('k', (ctx) => { signal = ctx.signal; return new Promise<string>(() => {}) })
  await t.rejects(stuck, { code: 'FST_CODEX_FACTORY_TIMEOUT', statusCode: 504 })
  t.equal(signal?.aborted, true, 'the factory is told to stop')
  t.equal(await settlesTo(() => client.exists('rt:~codex:compute:rt:1:k'), 0), 0, 'the compute lock is released, not extended forever')
  t.equal(await cache.getOrSet('k', () => 'next'), 'next', 'the next caller computes')
})

t.test('lockTimeout: a caller waits at most that long for another process, then computes itself', async t => {
  const redis = await redisForTest(t)
  const { cache: a } = await cacheOn(t, redis)
  const { cache: b } = await cacheOn(t, redis)
  const computing = milestone()
  const slow = a.getOrSet('k', async () => { computing.reach(); await sleep(1500); return 'a' })
  await computing.reached
  const { value, elapsed: took, stalled } = await timed(async () => await b.getOrSet('k', () => 'b', { lockTimeout: 200 }), 200)
  t.equal(value, 'b')
  t.ok(took >= 190 && took - stalled < 1200, `computed after ${Math.round(took)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
  t.equal(await slow, 'a')
})

t.test('Redis down: FST_CODEX_REDIS_UNAVAILABLE; with failOpen the factory runs once per key, unstored', async t => {
  const redis = await redisForTest(t)
  const { cache } = await cacheOn(t, redis, { commandTimeout: 500 })
  const { cache: open } = await cacheOn(t, redis, { commandTimeout: 500, failOpen: true })
  await cache.getOrSet('warm', () => 1)
  await open.getOrSet('warm', () => 1)
  await redis.stop()
  await t.rejects(cache.getOrSet('k', () => 1), { code: 'FST_CODEX_REDIS_UNAVAILABLE', statusCode: 503 })
  let runs = 0
  const results = await Promise.all(Array.from({ length: 10 }, () => open.getOrSet('k', async () => { runs++; await sleep(50); return 'v' })))
  t.same(results, Array(10).fill('v'))
  t.equal(runs, 1, 'once per key per process')
  await t.rejects(open.get('k'), { code: 'FST_CODEX_REDIS_UNAVAILABLE' }, 'other methods stay loud')
})

t.test('failOpen with a hung server: the factory runs after one commandTimeout, not two', async t => {
  const redis = await redisForTest(t)
  const { cache: open } = await cacheOn(t, redis, { commandTimeout: 400, failOpen: true })
  redis.pause()
  t.teardown(() => redis.resume())
  const { value, elapsed: took, stalled } = await timed(async () => await open.getOrSet('k', () => 'v'), 400)
  t.equal(value, 'v')
  t.ok(took >= 350 && took - stalled < 750, `answered after ${Math.round(took)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
})

t.test('failOpen is validated at registration', async t => {
  const redis = await redisForTest(t)
  const client = await rawClient(t, redis)
  t.throws(() => new RedisCache(client, { failOpen: 'yes' as never }), { code: 'FST_CODEX_INVALID_OPTIONS' })
  const { default: Fastify } = await import('fastify')
  const { codexCache } = await import('../../index.js')
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(codexCache, { url: redis.url, failOpen: 1 as never }) }, { code: 'FST_CODEX_INVALID_OPTIONS' }, 'the plugin refuses it at registration')
})

t.test('a refresh stored with ctx.setTtl(0) drops the older grace copy: a later failed refresh does not bring it back', async t => {
  const redis = await redisForTest(t)
  const { cache, client } = await cacheOn(t, redis, { logger: recordingLogger() })
  await cache.getOrSet('e', () => 'old', { ttl: 0.2, grace: 60 })
  await sleep(300)
  t.equal(await cache.getOrSet('e', (ctx) => { ctx.setTtl(0); return 'newer' }, { grace: 60 }), 'newer')
  t.equal(await client.exists('rt:~codex:stale:rt:1:e'), 0, 'no grace copy older than the last computation')
  t.equal(await cache.getOrSet('e', () => { throw new Error('db down') }, { grace: 60 }).catch((err: Error) => err.message), 'db down')
})
