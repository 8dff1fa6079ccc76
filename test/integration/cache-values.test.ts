import t from 'tap'
import type { JsonValue } from '../../index.js'
import { cacheApp, rawClient } from '../helpers/cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('cache values round-trip as strict JSON', async t => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis)
  const raw = await rawClient(t, redis)
  const { cache } = app

  t.test('a missing key is undefined, a stored null is null', async t => {
    t.equal(await cache.get('missing'), undefined)
    await cache.set('nothing', null)
    t.equal(await cache.get('nothing'), null)
  })

  t.test('every JSON type comes back equal', async t => {
    const value = { s: 'héllo ✓', n: -1.5, i: 42, b: true, f: false, z: null, a: [1, 'two', { three: [3] }], o: { deep: { er: [] } } }
    await cache.set('doc', value)
    t.same(await cache.get('doc'), value)
    t.equal(await raw.get('test:1:doc'), JSON.stringify(value), 'stored as plain UTF-8 JSON under prefix:version:key')
  })

  t.test('undefined properties are omitted, as JSON does', async t => {
    await cache.set('sparse', { keep: 1, drop: undefined })
    t.same(await cache.get('sparse'), { keep: 1 })
  })

  t.test('a null-prototype object is allowed', async t => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { x: 1 })
    await cache.set('bare', bare as JsonValue)
    t.same(await cache.get('bare'), { x: 1 })
  })

  t.test('non-JSON values are refused with the path named, and nothing is written', async t => {
    class Point { x = 1 }
    const circular: Record<string, unknown> = { a: 1 }
    circular.self = circular
    const rejected: Array<[string, unknown]> = [
      ['undefined', undefined],
      ['NaN', Number.NaN],
      ['Infinity', { n: Infinity }],
      ['BigInt', { n: 10n }],
      ['Date', { when: new Date() }],
      ['Map', new Map([['a', 1]])],
      ['Set', { tags: new Set(['a']) }],
      ['Buffer', Buffer.from('x')],
      ['Uint8Array', { bytes: new Uint8Array(2) }],
      ['function', { fn: () => 1 }],
      ['symbol', { s: Symbol('x') }],
      ['class instance', { p: new Point() }],
      ['undefined in array', [1, undefined]],
      ['circular', circular]
    ]
    await cache.set('kept', 'original')
    for (const [name, value] of rejected) {
      // Typed `never`: the compiler refuses these values too (test/types/cache-typing.ts); this checks run time.
      await t.rejects(cache.set('kept', value as never), { code: 'FST_CODEX_NOT_SERIALIZABLE', name: 'NotSerializableError' }, `set refuses ${name}`)
      await t.rejects(cache.add('new-' + name, value as never), { code: 'FST_CODEX_NOT_SERIALIZABLE' }, `add refuses ${name}`)
      t.equal(await raw.exists('test:1:new-' + name), 0, `add of ${name} wrote nothing`)
    }
    t.equal(await cache.get('kept'), 'original', 'the stored value is untouched')
    const err = await cache.set('x', { user: { tags: ['a', new Date() as never] } }).catch((e: Error) => e)
    t.ok(err instanceof TypeError, 'a TypeError')
    t.match((err as Error).message, /user\.tags\[1\]/, 'names the path of the offending value')
  })

  t.test('poisoned or unreadable payloads are refused on read', async t => {
    await raw.set('test:1:proto', '{"__proto__":{"polluted":true}}')
    await t.rejects(cache.get('proto'), { code: 'FST_CODEX_CORRUPT_VALUE' })
    await raw.set('test:1:ctor', '{"constructor":{"prototype":{"polluted":true}}}')
    await t.rejects(cache.get('ctor'), { code: 'FST_CODEX_CORRUPT_VALUE' })
    await raw.set('test:1:garbage', '\x80\x04pickle')
    await t.rejects(cache.get('garbage'), { code: 'FST_CODEX_CORRUPT_VALUE' })
    await raw.set('test:1:many-bad', '{"__proto__":{"polluted":true}}')
    await t.rejects(cache.getMany(['many-bad']), { code: 'FST_CODEX_CORRUPT_VALUE' })
    t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is clean')
  })

  t.test('keys must be non-empty strings', async t => {
    for (const key of ['', 1, null, undefined, {}]) {
      await t.rejects(cache.get(key as string), { code: 'FST_CODEX_INVALID_KEY' })
      await t.rejects(cache.set(key as string, 1), { code: 'FST_CODEX_INVALID_KEY' })
    }
    t.throws(() => cache.makeKey(''), { code: 'FST_CODEX_INVALID_KEY' })
    await t.rejects(cache.setMany([['ok', 1], ['', 2]]), { code: 'FST_CODEX_INVALID_KEY' })
    t.equal(await raw.exists('test:1:ok'), 0, 'setMany wrote nothing when one key was bad')
  })

  t.test('versions and makeKey', async t => {
    t.equal(cache.makeKey('k'), 'test:1:k')
    t.equal(cache.makeKey('k', 2), 'test:2:k')
    await cache.set('v', 'one')
    await cache.set('v', 'two', { version: 2 })
    t.equal(await cache.get('v'), 'one')
    t.equal(await cache.get('v', { version: 2 }), 'two')
    t.equal(await cache.get('v', { version: 3 }), undefined)
  })
})

t.test('options: custom keyFunction, serializer, version and decorator name', async t => {
  const redis = await redisForTest(t)
  const raw = await rawClient(t, redis)
  const app = await cacheApp(t, redis, {
    keyPrefix: 'p',
    version: 7,
    decorator: 'redisCache',
    keyFunction: (key, prefix, version) => `${prefix}/${version}/${key}`,
    serializer: { stringify: (v) => 'X' + JSON.stringify(v), parse: (s) => JSON.parse(s.slice(1)) }
  })
  const cache = (app as unknown as { redisCache: typeof app.cache }).redisCache
  t.equal(app.hasDecorator('cache'), false, 'the default name is free for another cache')
  await cache.set('k', [1])
  t.equal(await raw.get('p/7/k'), 'X[1]')
  t.same(await cache.get('k'), [1])
})

t.test('bad options are refused at registration', async t => {
  const redis = await redisForTest(t)
  for (const options of [{ ttl: Number.NaN }, { ttl: '5' }, { keyPrefix: 3 }, { version: {} }, { serializer: {} }, { keyFunction: 'x' }, { decorator: '' }]) {
    await t.rejects(cacheApp(t, redis, options as never), { code: 'FST_CODEX_INVALID_OPTIONS' }, JSON.stringify(options))
  }
})
