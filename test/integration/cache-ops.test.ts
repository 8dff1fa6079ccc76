import t from 'tap'
import { cacheApp, rawClient } from '../helpers/cache-app.js'
import { commandCalls, resetCommandStats } from '../helpers/commandstats.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('cache operations', async t => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { ttl: 60 })
  const raw = await rawClient(t, redis)
  const { cache } = app

  t.test('TTL rules', async t => {
    await cache.set('default', 1)
    const pttl = await raw.pTTL('test:1:default')
    t.ok(pttl > 59_000 && pttl <= 60_000, `default ttl applied (${pttl} ms)`)
    await cache.set('forever', 1, { ttl: null })
    t.equal(await raw.pTTL('test:1:forever'), -1, 'null: no expiry')
    t.equal(await cache.ttl('forever'), null)
    await cache.set('frac', 1, { ttl: 1.5 })
    const frac = await raw.pTTL('test:1:frac')
    t.ok(frac > 1000 && frac <= 1500, `fractions keep millisecond precision (${frac} ms)`)
    const seconds = await cache.ttl('frac')
    t.ok(typeof seconds === 'number' && seconds > 1 && seconds <= 1.5, `ttl() in seconds (${String(seconds)})`)
    t.equal(await cache.ttl('missing'), undefined, 'missing key: undefined')

    await cache.set('gone', 1)
    await cache.set('gone', 2, { ttl: 0 })
    t.equal(await raw.exists('test:1:gone'), 0, 'set with ttl <= 0 deletes the key')
    await cache.set('gone2', 1)
    await cache.set('gone2', 2, { ttl: -5 })
    t.equal(await raw.exists('test:1:gone2'), 0)
    t.equal(await cache.add('never', 1, { ttl: 0 }), false, 'add with ttl <= 0 returns false')
    t.equal(await raw.exists('test:1:never'), 0, '… and writes nothing')

    await cache.set('keep', 'v')
    for (const ttl of [Number.NaN, Infinity, -Infinity, '10', {}, true]) {
      await t.rejects(cache.set('keep', 'changed', { ttl: ttl as number }), { code: 'FST_CODEX_INVALID_TTL', name: 'InvalidTtlError' }, `set refuses ttl ${String(ttl)}`)
      await t.rejects(cache.add('add-bad-ttl', 1, { ttl: ttl as number }), { code: 'FST_CODEX_INVALID_TTL' })
      await t.rejects(cache.touch('keep', { ttl: ttl as number }), { code: 'FST_CODEX_INVALID_TTL' })
    }
    t.equal(await cache.get('keep'), 'v', 'nothing written on a bad ttl')
    t.equal(await raw.exists('test:1:add-bad-ttl'), 0)
    const err = await cache.set('keep', 1, { ttl: Number.NaN }).catch((e: unknown) => e)
    t.ok(err instanceof TypeError, 'FST_CODEX_INVALID_TTL is a TypeError')
  })

  t.test('touch', async t => {
    await cache.set('t', 1, { ttl: 5 })
    t.equal(await cache.touch('t', { ttl: 100 }), true)
    t.ok(await raw.pTTL('test:1:t') > 99_000, 're-applies the given TTL')
    t.equal(await cache.touch('t'), true)
    t.ok(await raw.pTTL('test:1:t') <= 60_000, 're-applies the default TTL')
    t.equal(await cache.touch('t', { ttl: null }), true)
    t.equal(await raw.pTTL('test:1:t'), -1, 'null removes the expiry')
    t.equal(await cache.touch('t', { ttl: null }), true, 'an existing key without TTL still reports true')
    t.equal(await cache.touch('nope', { ttl: null }), false, 'missing key: false')
    t.equal(await cache.touch('nope'), false)
    t.equal(await raw.exists('test:1:nope'), 0, 'touch creates nothing')
    t.equal(await cache.touch('t', { ttl: 0 }), true, 'ttl <= 0 deletes and reports the key existed')
    t.equal(await raw.exists('test:1:t'), 0)
  })

  t.test('delete and has: one command each, no EXISTS round trip for delete', async t => {
    await cache.set('d', 1)
    t.equal(await cache.has('d'), true)
    await resetCommandStats(redis)
    t.equal(await cache.delete('d'), true)
    t.equal(await cache.delete('d'), false)
    const calls = await commandCalls(redis)
    t.equal(calls.exists, undefined, 'no EXISTS')
    t.equal((calls.unlink ?? 0) + (calls.del ?? 0), 2, 'one command per delete')
    t.equal(await cache.has('d'), false)
  })

  t.test('add: exactly one winner among concurrent callers, with the expiry set atomically', async t => {
    const attempts = Array.from({ length: 50 }, (_, i) => cache.add('lock', { owner: i }, { ttl: 30 }))
    const results = await Promise.all(attempts)
    t.equal(results.filter(Boolean).length, 1, 'one add succeeds')
    const winner = results.indexOf(true)
    t.same(await cache.get('lock'), { owner: winner }, 'the winner’s value is stored')
    const pttl = await raw.pTTL('test:1:lock')
    t.ok(pttl > 29_000 && pttl <= 30_000, 'the lock expires')
    t.equal(await cache.add('lock', 'late'), false)
  })

  t.test('incr and decr: atomic, TTL kept, missing keys never created', async t => {
    await cache.set('n', 0, { ttl: 100 })
    const results = await Promise.all(Array.from({ length: 200 }, () => cache.incr('n')))
    t.equal(await cache.get('n'), 200, 'no lost update')
    t.equal(new Set(results).size, 200, 'each caller saw a distinct value')
    const pttl = await raw.pTTL('test:1:n')
    t.ok(pttl > 90_000 && pttl <= 100_000, `TTL kept (${pttl})`)
    t.equal(await cache.incr('n', 10), 210)
    t.equal(await cache.decr('n'), 209)
    t.equal(await cache.decr('n', 9), 200)
    t.equal(await cache.incr('n', -300), -100)
    await cache.set('forever', 5, { ttl: null })
    await cache.incr('forever')
    t.equal(await raw.pTTL('test:1:forever'), -1, 'a key without expiry stays without')

    await t.rejects(cache.incr('absent'), { code: 'FST_CODEX_KEY_NOT_FOUND' })
    await t.rejects(cache.decr('absent'), { code: 'FST_CODEX_KEY_NOT_FOUND' })
    t.equal(await raw.exists('test:1:absent'), 0, 'nothing created')
    for (const delta of [1.5, Number.NaN, '1', 2 ** 60]) {
      await t.rejects(cache.incr('n', delta as number), { code: 'FST_CODEX_INVALID_DELTA' }, `delta ${String(delta)}`)
    }
    await cache.set('text', 'abc')
    await t.rejects(cache.incr('text'), { code: 'FST_CODEX_REDIS_ERROR', statusCode: 500 }, 'a non-integer value is a Redis error')
    t.equal(await cache.get('text'), 'abc')
  })

  t.test('getMany: found keys only, one MGET', async t => {
    await cache.setMany({ a: 1, b: { x: [2] }, c: null })
    await resetCommandStats(redis)
    const found = await cache.getMany(['a', 'b', 'c', 'missing'])
    t.same([...found], [['a', 1], ['b', { x: [2] }], ['c', null]])
    t.same((await commandCalls(redis)).mget, 1, 'one MGET')
    t.same(await cache.getMany([]), new Map(), 'no keys: empty map')
    const versioned = await cache.getMany(['a'], { version: 2 })
    t.equal(versioned.size, 0)
  })

  t.test('setMany: objects, Maps and pairs; one round trip; all values checked before writing', async t => {
    await resetCommandStats(redis)
    t.same(await cache.setMany({ o1: 1, o2: 2 }), [])
    t.same(await cache.setMany(new Map([['m1', 'a'], ['m2', 'b']]), { ttl: 5 }), [])
    t.same(await cache.setMany([['p1', true]], { ttl: null }), [])
    t.same(await cache.getMany(['o1', 'o2', 'm1', 'm2', 'p1']), new Map<string, unknown>([['o1', 1], ['o2', 2], ['m1', 'a'], ['m2', 'b'], ['p1', true]]))
    t.ok(await raw.pTTL('test:1:m1') <= 5000)
    t.equal(await raw.pTTL('test:1:p1'), -1)
    t.equal((await commandCalls(redis)).set, 5)

    await t.rejects(cache.setMany({ good1: 1, bad: new Date() as never, good2: 2 }), { code: 'FST_CODEX_NOT_SERIALIZABLE', message: /setMany entry "bad"/ })
    await t.rejects(cache.setMany(new Map([['b', { deep: new Map() as never }]])), { code: 'FST_CODEX_NOT_SERIALIZABLE', message: /setMany entry "b"\.deep/ }, 'names the entry')
    t.equal(await raw.exists(['test:1:good1', 'test:1:good2']), 0, 'nothing written when one value is bad')
    await t.rejects(cache.setMany({ good3: 1 }, { ttl: Number.NaN }), { code: 'FST_CODEX_INVALID_TTL' })
    t.equal(await raw.exists('test:1:good3'), 0)
    await cache.setMany({ o1: 1 }, { ttl: 0 })
    t.equal(await raw.exists('test:1:o1'), 0, 'ttl <= 0 deletes')
  })

  t.test('deleteMany counts what it removed', async t => {
    await cache.setMany({ x1: 1, x2: 2 })
    t.equal(await cache.deleteMany(['x1', 'x2', 'x3']), 2)
    t.equal(await cache.deleteMany([]), 0)
  })
})

t.test('clear() removes only our namespace, in batches, and never flushes', async t => {
  const redis = await redisForTest(t)
  const raw = await rawClient(t, redis)
  const app = await cacheApp(t, redis, { keyPrefix: 'app[1]*?' })
  const entries = Array.from({ length: 5000 }, (_, i) => [`k${i}`, i] as const)
  t.same(await app.cache.setMany(entries), [])
  // Keys a glob-unescaped prefix would also match, and neighbours that must survive.
  await raw.mSet({ 'app1:x': '1', 'app[1]*?x:y': '1', 'appa:z': '1', 'other:1:k': '1', 'app[1]*?': '1' })
  await resetCommandStats(redis)
  t.equal(await app.cache.clear(), 5000, 'returns how many keys were removed')
  t.equal(await raw.dbSize(), 5, 'everything else survives')
  const calls = await commandCalls(redis)
  t.equal(calls.flushdb, undefined)
  t.equal(calls.flushall, undefined)
  t.ok((calls.scan ?? 0) >= 2, 'SCAN in batches')
  t.ok((calls.unlink ?? 0) >= 2, 'UNLINK in batches')
  t.equal(await app.cache.clear(), 0)

  const unprefixed = await cacheApp(t, redis, { keyPrefix: '' })
  await t.rejects(unprefixed.cache.clear(), { code: 'FST_CODEX_CLEAR_REFUSED' })
  t.equal(await raw.dbSize(), 5, 'refusal deletes nothing')
})

t.test('a per-call option name the method does not know is refused (did you mean …), nothing written', async t => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis)
  const raw = await rawClient(t, redis)
  const { cache } = app
  const typo = (name: string, suggestion: string) => ({ code: 'FST_CODEX_INVALID_OPTIONS', message: new RegExp(`has no option '${name}' \\(did you mean '${suggestion}'\\?\\)`) })
  await t.rejects(cache.set('k', 1, { tll: 5 } as never), typo('tll', 'ttl'))
  await t.rejects(cache.add('k', 1, { tag: ['a'] } as never), typo('tag', 'tags'))
  await t.rejects(cache.setMany({ k: 1 }, { verison: 2 } as never), typo('verison', 'version'))
  await t.rejects(cache.touch('k', { tll: 5 } as never), typo('tll', 'ttl'))
  await t.rejects(cache.delete('k', { verion: 2 } as never), typo('verion', 'version'))
  await t.rejects(cache.deleteMany(['k'], { verion: 2 } as never), typo('verion', 'version'))
  await t.rejects(cache.incr('k', 1, { verion: 2 } as never), typo('verion', 'version'))
  await t.rejects(cache.getOrSet('k', () => 1, { hardtimeout: 5 } as never), typo('hardtimeout', 'hardTimeout'))
  await t.rejects(cache.lock('k', { ttl: 1, wiat: 5 } as never), typo('wiat', 'wait'))
  await t.rejects(cache.withLock('k', () => 1, { ttl: 1, retrydelay: 5 } as never), typo('retrydelay', 'retryDelay'))
  t.same(await raw.keys('*'), [], 'nothing written')
})

t.test('set resolves undefined on every path (plain, expired, tagged, near cache); a refused call rejects, never throws', async t => {
  const redis = await redisForTest(t)
  const raw = await rawClient(t, redis)
  for (const options of [{}, { nearCache: { maxEntries: 100 } }]) {
    const { cache } = await cacheApp(t, redis, options)
    t.equal(await cache.set('plain', 1), undefined)
    t.equal(await cache.set('plain', 1, { ttl: 5, version: 2 }), undefined)
    t.equal(await cache.set('plain', 1, { ttl: 0 }), undefined, 'a delete')
    t.equal(await cache.set('tagged', 1, { tags: ['a'] }), undefined)
    t.equal(await cache.set('tagged', 1, { tags: [] }), undefined, 'no tags')
    t.equal(await cache.get('tagged'), 1)
    for (const [call, code] of [
      [() => cache.set('', 1), 'FST_CODEX_INVALID_KEY'],
      [() => cache.set('k', { at: new Date() } as never), 'FST_CODEX_NOT_SERIALIZABLE'],
      [() => cache.set('k', 1, { ttl: Number.NaN }), 'FST_CODEX_INVALID_TTL'],
      [() => cache.set('k', 1, { tags: [''] }), 'FST_CODEX_INVALID_OPTIONS']
    ] as const) {
      let pending: Promise<void> | undefined
      t.doesNotThrow(() => { pending = call() }, code)
      await t.rejects(pending!, { code })
    }
    t.equal(await raw.exists('test:1:k'), 0, 'nothing written')
    await raw.flushDb()
  }
})
