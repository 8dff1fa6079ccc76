import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import t from 'tap'
import { LockLostError, codexCache, type Lock } from '../../index.js'
import { cacheApp, rawClient } from '../helpers/cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'

const KEY = (name: string): string => `test:~codex:lock:${name}`

t.test('locks', async t => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis)
  const raw = await rawClient(t, redis)
  const { cache } = app

  t.test('N concurrent lock() calls: exactly one holder, the others get null', async t => {
    const results = await Promise.all(Array.from({ length: 64 }, async () => await cache.lock('exclusive', { ttl: 10 })))
    const held = results.filter((lock): lock is Lock => lock !== null)
    t.equal(held.length, 1, 'one holder')
    const [lock] = held
    t.equal(lock!.name, 'exclusive')
    t.ok(Number.isSafeInteger(lock!.token) && lock!.token > 0, `token is a positive safe integer (${lock!.token})`)
    t.match(await raw.get(KEY('exclusive')), /^[0-9a-f-]{36}$/, 'the key holds the owner id')
    t.equal(await cache.lock('exclusive', { ttl: 10 }), null, 'still held')
    t.equal(await lock!.release(), true)
    t.equal(await lock!.release(), false, 'a second release is a no-op')
    const next = await cache.lock('exclusive', { ttl: 10 })
    t.ok(next !== null, 'free again after release')
    await next!.release()
  })

  t.test('ttl fractions keep millisecond precision; extend() re-applies a ttl', async t => {
    const lock = await cache.lock('frac', { ttl: 1.5 })
    const pttl = await raw.pTTL(KEY('frac'))
    t.ok(pttl > 1000 && pttl <= 1500, `PX 1500 (${pttl} ms left)`)
    t.equal(await lock!.extend(20.25), true)
    const extended = await raw.pTTL(KEY('frac'))
    t.ok(extended > 19_000 && extended <= 20_250, `extended to 20.25 s (${extended} ms)`)
    t.equal(await lock!.extend(), true, 'default: the ttl it was taken with')
    t.ok(await raw.pTTL(KEY('frac')) <= 1500)
    await lock!.release()
  })

  t.test('wait: retries until the holder releases; gives up after wait ms', async t => {
    const holder = await cache.lock('queue', { ttl: 10 })
    t.ok(holder)
    const started = performance.now()
    setTimeout(() => { holder!.release().catch(() => {}) }, 300)
    const waiter = await cache.lock('queue', { ttl: 10, wait: 5000 })
    const waited = performance.now() - started
    t.ok(waiter !== null, 'acquired after the release')
    t.ok(waited >= 250 && waited < 2000, `within a retry delay of the release (${Math.round(waited)} ms)`)
    t.ok(waiter!.token > holder!.token, 'a greater token')

    const before = performance.now()
    t.equal(await cache.lock('queue', { ttl: 10, wait: 300, retryDelay: 20 }), null, 'still held after wait')
    const gaveUp = performance.now() - before
    t.ok(gaveUp >= 290 && gaveUp < 1500, `gave up after about wait ms (${Math.round(gaveUp)} ms)`)
    await waiter!.release()
  })

  t.test('expiry frees the lock; the old holder can no longer release or extend, and touches nothing', async t => {
    const old = await cache.lock('expiring', { ttl: 0.2 })
    t.ok(old)
    await sleep(350)
    const fresh = await cache.lock('expiring', { ttl: 30 })
    t.ok(fresh !== null, 'the next caller gets it')
    t.ok(fresh!.token > old!.token, 'with a greater token')
    const value = await raw.get(KEY('expiring'))
    t.equal(await old!.extend(60), false, 'old extend: false')
    t.equal(await old!.release(), false, 'old release: false')
    t.equal(await raw.get(KEY('expiring')), value, "the new holder's key is intact")
    const pttl = await raw.pTTL(KEY('expiring'))
    t.ok(pttl > 25_000 && pttl <= 30_000, `with the new holder's ttl (${pttl} ms)`)
    t.equal(await cache.lock('expiring', { ttl: 1 }), null, 'and still held')
    t.equal(await fresh!.release(), true)
  })

  t.test('fencing tokens strictly increase: releases, expiry, clear() and a lost key', async t => {
    const tokens: number[] = []
    const take = async (ttl = 10): Promise<Lock> => {
      const lock = await cache.lock('fence', { ttl })
      if (lock === null) throw new Error('expected the lock to be free')
      tokens.push(lock.token)
      return lock
    }
    for (let i = 0; i < 20; i++) await (await take()).release()
    await take(0.05)
    await sleep(120)
    await (await take()).release()
    await take()
    t.ok(await cache.clear() >= 1, 'clear() removes the held lock')
    t.equal(await raw.exists(KEY('fence')), 0)
    await (await take()).release()
    await raw.del(KEY('fence'))
    await (await take()).release()
    // A released lock remembers its token: even a far-future token (clock stepped back) keeps growing.
    const ahead = Date.now() * 1000 + 3_600_000_000
    await raw.set(KEY('fence'), String(ahead))
    const after = await take()
    t.equal(after.token, ahead + 1, 'last + 1 when the remembered token is ahead of the clock')
    await after.release()
    for (let i = 1; i < tokens.length; i++) {
      if (!(tokens[i]! > tokens[i - 1]!)) t.fail(`token ${i} (${tokens[i]}) not above ${tokens[i - 1]}`)
    }
    t.pass(`${tokens.length} tokens, strictly increasing`)
    t.ok(tokens.every(Number.isSafeInteger), 'every token is a safe integer')
  })

  t.test('a remembered token gives the next one without reading the clock (TIME only when none is remembered)', async t => {
    const timeCalls = async (): Promise<number> => Number(/^cmdstat_time:calls=(\d+)/m.exec(await raw.info('commandstats'))?.[1] ?? 0)
    const before = await timeCalls()
    const first = await cache.lock('chain', { ttl: 10 })
    t.equal(await timeCalls(), before + 1, 'a first acquisition reads the Redis clock')
    await first!.release()
    const tokens = [first!.token]
    for (let i = 0; i < 5; i++) {
      const lock = await cache.lock('chain', { ttl: 10 })
      tokens.push(lock!.token)
      await lock!.release()
    }
    t.equal(await timeCalls(), before + 1, 'no TIME call while a token is remembered')
    t.same(tokens, tokens.map((_, i) => first!.token + i), 'each next token is the last + 1')
  })

  t.test('withLock extends the lock while fn runs past its ttl, and releases it after', async t => {
    let seenBusy = 0
    // Extended every 333 ms, the lock survives a stall of up to ~650 ms: a loaded machine must not end it.
    const result = await cache.withLock('long-job', async (signal, lock) => {
      for (let i = 0; i < 3; i++) {
        await sleep(800)
        if (await cache.lock('long-job', { ttl: 1 }) === null) seenBusy++
      }
      t.equal(signal.aborted, false, 'the signal stays quiet')
      return lock.token
    }, { ttl: 1 })
    t.equal(seenBusy, 3, 'held for 2.4 s with a 1 s ttl')
    t.ok(Number.isSafeInteger(result), 'returns what fn returns')
    t.equal(await raw.get(KEY('long-job')), String(result), 'released: only the token is remembered')
    const again = await cache.lock('long-job', { ttl: 1 })
    t.ok(again !== null, 'free after fn settled')
    await again!.release()
  })

  for (const [how, steal] of [
    ['deleted', async () => { await raw.del(KEY('victim')) }],
    ['taken over', async () => { await raw.set(KEY('victim'), '1:someone-else', { PX: 10_000 }) }]
  ] as const) {
    t.test(`withLock: the signal aborts with FST_CODEX_LOCK_LOST when the key is ${how} behind its back`, async t => {
      const started = performance.now()
      const reason = await cache.withLock('victim', async (signal) => {
        await steal()
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
        return signal.reason as unknown
      }, { ttl: 0.6 })
      const took = performance.now() - started
      t.ok(reason instanceof LockLostError, 'reason is a LockLostError')
      t.equal((reason as { code?: unknown }).code, 'FST_CODEX_LOCK_LOST')
      t.ok(took < 1500, `noticed at the next extension (${Math.round(took)} ms)`)
      if (how === 'taken over') t.equal(await raw.get(KEY('victim')), '1:someone-else', "the release left the new owner's key alone")
      await raw.del(KEY('victim'))
    })
  }

  t.test('withLock: busy → FST_CODEX_LOCK_BUSY (409) and fn never runs', async t => {
    const holder = await cache.lock('busy', { ttl: 10 })
    let ran = false
    await t.rejects(cache.withLock('busy', () => { ran = true }, { ttl: 1 }), { code: 'FST_CODEX_LOCK_BUSY', statusCode: 409 })
    await t.rejects(cache.withLock('busy', () => { ran = true }, { ttl: 1, wait: 150 }), { code: 'FST_CODEX_LOCK_BUSY' })
    t.equal(ran, false)
    await holder!.release()
    t.equal(await cache.withLock('busy', () => 'ran', { ttl: 1 }), 'ran', 'a sync fn works too')
  })

  t.test("withLock: fn's error propagates and the lock is released", async t => {
    const boom = new Error('boom')
    await t.rejects(cache.withLock('failing', async () => { throw boom }, { ttl: 10 }), boom)
    const next = await cache.lock('failing', { ttl: 10 })
    t.ok(next !== null, 'released')
    await next!.release()
  })

  t.test('invalid names, ttls and options: coded errors, nothing written', async t => {
    const before = await raw.dbSize()
    for (const name of ['', 5, null, undefined, {}]) {
      await t.rejects(cache.lock(name as string, { ttl: 1 }), { code: 'FST_CODEX_INVALID_KEY' }, `name ${String(name)}`)
      await t.rejects(cache.withLock(name as string, () => 1, { ttl: 1 }), { code: 'FST_CODEX_INVALID_KEY' })
    }
    for (const ttl of [0, -1, Number.NaN, Infinity, '1', null, undefined, {}]) {
      await t.rejects(cache.lock('bad-ttl', { ttl: ttl as number }), { code: 'FST_CODEX_INVALID_TTL' }, `ttl ${String(ttl)}`)
      await t.rejects(cache.withLock('bad-ttl', () => 1, { ttl: ttl as number }), { code: 'FST_CODEX_INVALID_TTL' })
    }
    await t.rejects(cache.lock('bad-ttl', undefined as unknown as { ttl: number }), { code: 'FST_CODEX_INVALID_TTL' }, 'no options')
    // A lock needs an expiry: its message must not offer null, which other ttls accept.
    const nullTtl = await cache.lock('null-ttl', { ttl: null as unknown as number }).catch((e: Error) => e)
    t.match(nullTtl, { code: 'FST_CODEX_INVALID_TTL', message: /lock's ttl must be a number of seconds > 0.*got null/ })
    t.notMatch((nullTtl as Error).message, /must be null/)
    for (const wait of [-1, Number.NaN, '10']) {
      await t.rejects(cache.lock('bad-wait', { ttl: 1, wait: wait as number }), { code: 'FST_CODEX_INVALID_OPTIONS' })
      await t.rejects(cache.lock('bad-wait', { ttl: 1, retryDelay: wait as number }), { code: 'FST_CODEX_INVALID_OPTIONS' })
    }
    await t.rejects(cache.withLock('no-fn', 'nope' as unknown as () => void, { ttl: 1 }), { code: 'FST_CODEX_INVALID_OPTIONS' })
    const lock = await cache.lock('ok', { ttl: 1 })
    await t.rejects(lock!.extend(0), { code: 'FST_CODEX_INVALID_TTL' }, 'extend refuses a bad ttl')
    t.ok(await raw.pTTL(KEY('ok')) > 500, '… and leaves the lock alone')
    await lock!.release()
    t.equal(await raw.dbSize(), before + 1, 'only the valid lock left a key')
  })
})

t.test('locks during a Redis outage', async t => {
  const redis = await redisForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  // Our own connected client: a 300 ms start-up deadline would be flaky on a loaded machine.
  const client = await rawClient(t, redis)
  await app.register(codexCache, { client, keyPrefix: 'test', commandTimeout: 300 })
  app.get('/job', async () => await app.cache.withLock('job', () => 'done', { ttl: 5 }))
  await app.ready()
  const { cache } = app

  t.test('an extension that cannot reach Redis gives the lock up within its ttl (LOCK_LOST, cause 503)', async t => {
    const started = performance.now()
    const reason = await cache.withLock('paused', async (signal) => {
      redis.pause()
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
      return signal.reason as { code?: unknown, cause?: { code?: unknown } }
    }, { ttl: 0.6 })
    const took = performance.now() - started
    redis.resume()
    t.equal(reason.code, 'FST_CODEX_LOCK_LOST')
    t.equal(reason.cause?.code, 'FST_CODEX_REDIS_UNAVAILABLE', 'cause: the outage')
    t.ok(took >= 550 && took < 1500, `aborted about when the lock may have expired (${Math.round(took)} ms)`)
  })

  t.test('an extension still unanswered when the ttl runs out: LOCK_LOST, cause 503 (not a bare LOCK_LOST)', async t => {
    // A commandTimeout longer than the ttl: the expiry always fires while the extension waits, as under a stalled loop.
    const patient = Fastify()
    t.teardown(() => patient.close())
    await patient.register(codexCache, { client, keyPrefix: 'test-patient', commandTimeout: 5000 })
    const reason = await patient.cache.withLock('paused', async (signal) => {
      redis.pause()
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
      redis.resume()   // so the release in withLock's finally does not wait out the 5 s deadline
      return signal.reason as { code?: unknown, cause?: { code?: unknown, message?: unknown } }
    }, { ttl: 0.3 })
    t.equal(reason.code, 'FST_CODEX_LOCK_LOST')
    t.equal(reason.cause?.code, 'FST_CODEX_REDIS_UNAVAILABLE')
    t.match(reason.cause?.message, /no reply to the lock's extension before its ttl \(300 ms\) ran out/)
  })

  t.test('lock() and withLock() reject with FST_CODEX_REDIS_UNAVAILABLE; a route answers 503', async t => {
    redis.pause()
    t.teardown(() => redis.resume())
    await t.rejects(cache.lock('down', { ttl: 1 }), { code: 'FST_CODEX_REDIS_UNAVAILABLE', statusCode: 503 })
    await t.rejects(cache.withLock('down', () => 1, { ttl: 1, wait: 1000 }), { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
    const res = await app.inject('/job')
    t.equal(res.statusCode, 503)
    t.equal(res.json().code, 'FST_CODEX_REDIS_UNAVAILABLE')
    redis.resume()
    t.equal((await app.inject('/job')).body, 'done', 'works again once Redis answers')
  })
})
