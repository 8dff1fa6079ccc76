import t from 'tap'
import { RedisCache, ValueTooLargeError } from '../../index.js'
import { cacheApp, rawClient } from '../helpers/cache-app.js'
import { settlesTo } from '../helpers/read-through.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('maxValueBytes: a payload over the limit is refused before anything is sent, on every write path', async t => {
  const redis = await redisForTest(t)
  const raw = await rawClient(t, redis)
  // 64 bytes of JSON: '"' + 62 characters + '"'.
  const cache = new RedisCache(raw, { keyPrefix: 'size', maxValueBytes: 64 })
  t.teardown(() => cache.close())
  const fits = 'e'.repeat(62)
  const over = 'e'.repeat(63)
  // 32 characters, but 2 UTF-8 bytes each: 66 bytes of JSON although its length is 34.
  const wide = 'é'.repeat(32)

  await cache.set('fits', fits)
  t.equal(await cache.get('fits'), fits, 'exactly maxValueBytes is stored')

  const err = await cache.set('big', over, { tags: ['t'] }).catch((e: unknown) => e)
  t.match(err, { code: 'FST_CODEX_VALUE_TOO_LARGE', statusCode: 500 })
  t.ok(err instanceof RangeError && err instanceof ValueTooLargeError, 'a RangeError of its own class')
  t.match((err as Error).message, /"big".*65 bytes.*\(64\)/, 'names the key, the size and the limit')
  await t.rejects(cache.set('wide', wide), { code: 'FST_CODEX_VALUE_TOO_LARGE', message: /is 66 bytes/ }, 'counted in UTF-8 bytes, not characters')
  await t.rejects(cache.add('added', over), { code: 'FST_CODEX_VALUE_TOO_LARGE' })
  await t.rejects(cache.setMany({ a: 'small', b: over }), { code: 'FST_CODEX_VALUE_TOO_LARGE', message: /"b"/ })
  let runs = 0
  await t.rejects(cache.getOrSet('computed', () => { runs++; return over }), { code: 'FST_CODEX_VALUE_TOO_LARGE', message: /"computed"/ })
  t.equal(runs, 1)
  // The compute lock is released just after the callers hear the error.
  t.equal(await settlesTo(async () => (await raw.keys('size:*')).join(), 'size:1:fits'), 'size:1:fits',
    'nothing else was written: no value, no tag, no batch entry, no lock left')
})

t.test('maxValueBytes defaults to 1 MiB; null lifts the limit', async t => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis)
  t.equal(app.cache.options.maxValueBytes, 1_048_576)
  const oneMiBOver = 'x'.repeat(1_048_576 - 1)
  await t.rejects(app.cache.set('big', oneMiBOver), { code: 'FST_CODEX_VALUE_TOO_LARGE' })
  await app.cache.set('fits', oneMiBOver.slice(2))
  t.equal((await app.cache.get<string>('fits'))?.length, 1_048_576 - 3)

  const raw = await rawClient(t, redis)
  const unlimited = new RedisCache(raw, { keyPrefix: 'free', maxValueBytes: null })
  t.teardown(() => unlimited.close())
  await unlimited.set('big', oneMiBOver)
  t.equal((await unlimited.get<string>('big'))?.length, oneMiBOver.length)

  for (const bad of [0, -1, 1.5, '100', Number.NaN]) {
    t.throws(() => new RedisCache(raw, { maxValueBytes: bad as number }), { code: 'FST_CODEX_INVALID_OPTIONS' }, String(bad))
  }
})
