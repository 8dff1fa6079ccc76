import { createServer, connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { codexCache, RedisCache } from '../../index.js'
import { rawClient } from '../helpers/cache-app.js'
import { milestone, subscribers, together } from '../helpers/read-through.js'
import { until } from '../helpers/until.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'

/** A cache on its own client: two of them behave like two processes (separate flights, separate connections). */
async function cacheOn (t: Test, redis: RedisServer): Promise<RedisCache> {
  const client = await rawClient(t, redis)
  const cache = new RedisCache(client, { keyPrefix: 'un' })
  t.teardown(() => cache.close())
  return cache
}

t.test('uncacheable(): waiters in this process run their own factory; the value goes to its caller only', async t => {
  const redis = await redisForTest(t)
  const cache = await cacheOn(t, redis)
  const started = milestone()
  let release!: () => void
  const held = new Promise<void>((resolve) => { release = resolve })
  const a = cache.getOrSet('k', async (ctx) => {
    started.reach()
    await held
    ctx.uncacheable()
    return 'A'
  }, { ttl: 60 })
  await started.reached
  const b = cache.getOrSet('k', () => 'B', { ttl: 60 })
  const c = cache.getOrSet('k', (ctx) => { ctx.uncacheable(); return 'C' }, { ttl: 60 })
  await sleep(20)
  release()
  t.same(await Promise.all([a, b, c]), ['A', 'B', 'C'], 'each caller got its own value')
  t.equal(await cache.get('k'), 'B', 'only the storable one was stored')
})

t.test('uncacheable(): a waiter in another process runs its own factory instead of receiving the value', async t => {
  const redis = await redisForTest(t)
  const one = await cacheOn(t, redis)
  const two = await cacheOn(t, redis)
  const started = milestone()
  let release!: () => void
  const held = new Promise<void>((resolve) => { release = resolve })
  const a = one.getOrSet('k', async (ctx) => {
    started.reach()
    await held
    ctx.uncacheable()
    return 'A'
  }, { ttl: 60 })
  await started.reached
  let bRan = false
  const b = two.getOrSet('k', () => { bRan = true; return 'B' }, { ttl: 60 })
  await sleep(50)
  t.notOk(bRan, 'b waits for the computation at first')
  release()
  t.equal(await a, 'A')
  t.equal(await b, 'B', 'then computes its own')
})

t.test('after uncacheable(), for min(ttl, 10) s the key makes no caller wait, in any process', async t => {
  const redis = await redisForTest(t)
  const one = await cacheOn(t, redis)
  const two = await cacheOn(t, redis)
  t.equal(await one.getOrSet('k', (ctx) => { ctx.uncacheable(); return 'A' }, { ttl: 60 }), 'A')
  let running = 0
  let overlapped = false
  const slow = async (ctx: { uncacheable: () => void }): Promise<string> => {
    running++
    if (running > 1) overlapped = true
    await sleep(100)
    running--
    ctx.uncacheable()
    return 'x'
  }
  await Promise.all([one.getOrSet('k', slow, { ttl: 60 }), two.getOrSet('k', slow, { ttl: 60 })])
  t.ok(overlapped, 'both processes computed at once')
  await Promise.all([one.getOrSet('k', slow, { ttl: 60 }), one.getOrSet('k', slow, { ttl: 60 })])
  t.ok(overlapped, 'and both callers in one process')
})

t.test('the mark lasts the value\'s ttl when shorter than 10 s; then callers wait again', async t => {
  const redis = await redisForTest(t)
  const one = await cacheOn(t, redis)
  const two = await cacheOn(t, redis)
  t.equal(await one.getOrSet('k', (ctx) => { ctx.uncacheable(); return 'A' }, { ttl: 0.2 }), 'A')
  await sleep(300)
  let runs = 0
  const factory = async (): Promise<number> => { runs++; await sleep(100); return runs }
  const values = await Promise.all([one.getOrSet('k', factory, { ttl: 60 }), two.getOrSet('k', factory, { ttl: 60 })])
  t.equal(runs, 1, 'one computation again')
  t.same(values, [1, 1])
})

t.test('a stored value ends the key\'s uncacheable mark: concurrent callers, here and in another process, wait for one computation again', async t => {
  const redis = await redisForTest(t)
  const raw = await rawClient(t, redis)
  const one = await cacheOn(t, redis)
  const two = await cacheOn(t, redis)
  t.equal(await one.getOrSet('k', (ctx) => { ctx.uncacheable(); return 'A' }, { ttl: 60 }), 'A')
  t.equal((await raw.keys('*alone:*')).length, 1, 'marked in Redis')
  t.equal(await one.getOrSet('k', () => 'B', { ttl: 60 }), 'B')
  t.same(await raw.keys('*alone:*'), [], 'the mark is gone once a value was stored')
  await one.delete('k')
  for (const cache of [one, two]) {
    let runs = 0
    const started = milestone()
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    const first = cache.getOrSet('k', async () => { runs++; started.reach(); await held; return 'C' }, { ttl: 60 })
    await started.reached
    const second = cache.getOrSet('k', () => { runs++; return 'D' }, { ttl: 60 })
    release()
    t.same(await Promise.all([first, second]), ['C', 'C'], 'the second caller waited for the first')
    t.equal(runs, 1)
    await cache.delete('k')
  }
})

t.test('a process that learns the mark from Redis lets none of its callers wait for another\'s computation', async t => {
  const redis = await redisForTest(t)
  const one = await cacheOn(t, redis)
  const two = await cacheOn(t, redis)
  t.equal(await one.getOrSet('k', (ctx) => { ctx.uncacheable(); return 'A' }, { ttl: 60 }), 'A')
  // Four concurrent callers in the other process: each factory holds until all four run at once.
  const four = together(4)
  const values = await Promise.all([1, 2, 3, 4].map((i) => two.getOrSet('k', async (ctx) => {
    await four.enter()
    ctx.uncacheable()
    return i
  }, { ttl: 60 })))
  t.equal(four.most, 4, 'the four factories ran side by side')
  t.same(values, [1, 2, 3, 4], 'each caller got its own value')
})

t.test('a factory that calls uncacheable() and then fails: its waiters here get the error, waiters elsewhere compute at once', async t => {
  const redis = await redisForTest(t)
  const raw = await rawClient(t, redis)
  const one = await cacheOn(t, redis)
  const two = await cacheOn(t, redis)
  const started = milestone()
  let release!: () => void
  const held = new Promise<void>((resolve) => { release = resolve })
  const failure = Object.assign(new Error('backend down'), { code: 'BACKEND_DOWN' })
  const a = one.getOrSet('k', async (ctx) => {
    started.reach()
    await held
    ctx.uncacheable()
    throw failure
  }, { ttl: 60 })
  await started.reached
  const sameProcess = one.getOrSet('k', () => 'never', { ttl: 60 })
  const three = together(3)
  const elsewhere = Promise.all([1, 2, 3].map((i) => two.getOrSet('k', async () => { await three.enter(); return i }, { ttl: 60 })))
  // The other process subscribes to the announcement once it waits for this computation.
  await until(async () => await subscribers(raw) === 1, 5000)
  release()
  await t.rejects(a, { code: 'BACKEND_DOWN' })
  await t.rejects(sameProcess, { code: 'BACKEND_DOWN' }, 'a waiter in the failing process gets its error')
  t.same(await elsewhere, [1, 2, 3], 'each caller elsewhere got its own value')
  t.equal(three.most, 3, 'the three factories elsewhere ran side by side, none queued behind the failure')
})

t.test('with grace, a key marked by a failed refresh still answers the stale value when a later refresh fails', async t => {
  const redis = await redisForTest(t)
  const cache = await cacheOn(t, redis)
  await cache.getOrSet('g', () => 'v1', { ttl: 0.1, grace: 60 })
  await sleep(200)
  const failing = (ctx: { uncacheable: () => void }): never => { ctx.uncacheable(); throw new Error('db down') }
  t.equal(await cache.getOrSet('g', failing, { grace: 60 }), 'v1', 'the refresh that marks the key')
  for (const refresh of [2, 3]) {
    t.equal(await cache.getOrSet('g', () => { throw new Error('db down') }, { grace: 60 }), 'v1', `refresh ${refresh}, computed alone`)
  }
  // Abandoned at hardTimeout on the alone path: the stale value too.
  t.equal(await cache.getOrSet('g', async () => await new Promise<never>(() => {}), { grace: 60, hardTimeout: 50 }), 'v1', 'past hardTimeout')
  await t.rejects(cache.getOrSet('g', () => { throw Object.assign(new Error('db down'), { code: 'DB_DOWN' }) }), { code: 'DB_DOWN' }, 'grace 0: the error')
})

t.test('with grace and timeout, a caller computing alone (the key marked) answers the stale value once timeout passes', async t => {
  const redis = await redisForTest(t)
  const cache = await cacheOn(t, redis)
  await cache.getOrSet('g', () => 'v1', { ttl: 0.1, grace: 60 })
  await sleep(200)
  t.equal(await cache.getOrSet('g', (ctx) => { ctx.uncacheable(); return 'private' }, { grace: 60 }), 'private', 'the key is marked')
  let release!: () => void
  const held = new Promise<void>((resolve) => { release = resolve })
  // Only a safety net: the stale value comes at 50 ms, long before.
  const net = setTimeout(release, 3000)
  t.teardown(() => clearTimeout(net))
  const slow = cache.getOrSet('g', async () => { await held; return 'new' }, { grace: 60, timeout: 50 })
  t.equal(await slow, 'v1', 'the stale value, while the refresh still runs')
  release()
})

/**
 * A loopback TCP relay to `redis`; once `cut(marker)` is called, a connection whose client sends `marker` has that
 * command and everything after it held (the server, for that client, stops answering from that command on).
 */
async function relay (t: Test, redis: RedisServer): Promise<{ url: string, cut: (marker: string) => void }> {
  const { port } = new URL(redis.url)
  let marker: string | undefined
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(Number(port), '127.0.0.1')
    sockets.add(client).add(upstream)
    let held = false
    client.on('data', (chunk: Buffer) => {
      if (!held && marker !== undefined && chunk.includes(marker)) held = true
      if (!held) upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => client.write(chunk))
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.on('error', () => b.destroy())
      a.on('close', () => b.destroy())
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  const address = server.address() as { port: number }
  return { url: `redis://127.0.0.1:${address.port}`, cut: (text) => { marker = text } }
}

t.test('failOpen: a caller computing alone (the key marked) whose tags cannot be read runs its factory as Redis were down', async t => {
  const redis = await redisForTest(t)
  const proxy = await relay(t, redis)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(codexCache, { url: proxy.url, keyPrefix: 'fo', commandTimeout: 300, failOpen: true })
  await app.ready()
  const opts = { ttl: 60, tags: ['t'] }
  t.equal(await app.cache.getOrSet('k', (ctx) => { ctx.uncacheable(); return 'private' }, opts), 'private', 'the key is marked')
  // The value's read still answers; the tags' epochs read, which follows it, never does.
  proxy.cut('~codex:tagv:t')
  t.equal(await app.cache.getOrSet('k', () => 'computed', opts), 'computed', 'computed, stored nowhere')
})
