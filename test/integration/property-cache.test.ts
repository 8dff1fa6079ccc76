import assert from 'node:assert/strict'
import fc from 'fast-check'
import t from 'tap'
import { RedisCache, type JsonValue } from '../../index.js'
import { rawClient } from '../helpers/cache-app.js'
import { asStored, disjointPrefixes, holdsPrototypeKey, jsonValue, keyText, namespaceText, valueWithNonJsonPart, version } from '../helpers/arbitraries.js'
import { redisForTest } from '../helpers/redis-server.js'

// Enough runs to meet fast-check's biased corner cases (__proto__ keys, -0, deep nesting), few enough for CI.
const RUNS = 150

t.test('property: strict JSON in, the same JSON out; anything else refused with nothing written', async (t) => {
  const redis = await redisForTest(t)
  const raw = await rawClient(t, redis)
  const cache = new RedisCache({ client: raw, keyPrefix: 'p' })

  await t.test('any strict-JSON value round-trips exactly through set/get and getMany', async (t) => {
    await fc.assert(fc.asyncProperty(jsonValue, async (value) => {
      if (holdsPrototypeKey(value)) return
      await cache.set('v', value)
      assert.deepStrictEqual(await cache.get('v'), asStored(value))
      const many = await cache.getMany(['v', 'missing'])
      assert.deepStrictEqual([...many.entries()], [['v', asStored(value)]])
      assert.equal(await raw.get('p:1:v'), JSON.stringify(value), 'stored as its own JSON text')
    }), { numRuns: RUNS })
    t.pass(`${RUNS} values round-tripped`)
  })

  await t.test('a value holding a __proto__ or constructor.prototype key is refused on write, not stored unreadable', async (t) => {
    await fc.assert(fc.asyncProperty(jsonValue.filter(holdsPrototypeKey), async (value) => {
      await raw.set('p:1:guarded', '"before"')
      await assert.rejects(cache.set('guarded', value), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
      assert.equal(await raw.get('p:1:guarded'), '"before"')
    }), { numRuns: 20 })
    t.pass('20 generated values with prototype keys refused')
    const poisoned = JSON.parse('{"a":[{"__proto__":{"admin":true}}]}') as unknown
    await t.rejects(cache.set('guarded', poisoned as JsonValue), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
    await t.rejects(cache.add('guarded-new', { constructor: { prototype: { admin: true } } }), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
    t.equal(await raw.exists('p:1:guarded-new'), 0)
    t.equal(({} as Record<string, unknown>).admin, undefined)
  })

  await t.test('a value with a non-JSON part anywhere is refused by set, add and setMany, and nothing is written', async (t) => {
    await fc.assert(fc.asyncProperty(valueWithNonJsonPart, jsonValue, async ({ what, value }, good) => {
      if (holdsPrototypeKey(good)) good = null
      await raw.set('p:1:kept', '"original"')
      await assert.rejects(cache.set('kept', value as never), { code: 'FST_CODEX_NOT_SERIALIZABLE' }, `set refuses ${what}`)
      await assert.rejects(cache.add('added', value as never), { code: 'FST_CODEX_NOT_SERIALIZABLE' }, `add refuses ${what}`)
      await assert.rejects(cache.setMany([['good', good], ['bad', value as never]]), { code: 'FST_CODEX_NOT_SERIALIZABLE' }, `setMany refuses ${what}`)
      assert.equal(await raw.get('p:1:kept'), '"original"', 'the stored value is untouched')
      assert.equal(await raw.exists(['p:1:added', 'p:1:good', 'p:1:bad']), 0, 'nothing new was written')
    }), { numRuns: RUNS })
    t.pass(`${RUNS} values with a non-JSON part refused`)
  })
})

t.test('property: random keys, versions and prefixes never read or delete outside their namespace', async (t) => {
  const redis = await redisForTest(t)
  const raw = await rawClient(t, redis)
  // A keyPrefix ending with ':' is refused (it would make 'p::…' keys).
  const namespaces = fc.tuple(namespaceText, namespaceText).filter(([a, b]) => disjointPrefixes(a, b) && !a.endsWith(':') && !b.endsWith(':'))
  const keys = fc.uniqueArray(keyText, { minLength: 1, maxLength: 6 })

  await fc.assert(fc.asyncProperty(namespaces, keys, version, version, async ([prefixA, prefixB], names, versionA, versionB) => {
    await raw.flushDb()
    const a = new RedisCache({ client: raw, keyPrefix: prefixA, version: versionA })
    const b = new RedisCache({ client: raw, keyPrefix: prefixB, version: versionB })
    // A third cache on A's prefix but another version: same namespace, other keys.
    const otherVersion = typeof versionA === 'number' ? versionA + 1 : `${versionA}x`
    for (const name of names) {
      await a.set(name, { from: 'a', name })
      await a.set(name, { from: 'a-next', name }, { version: otherVersion })
      await b.set(name, { from: 'b', name })
    }
    for (const name of names) {
      assert.deepEqual(await a.get(name), { from: 'a', name }, 'a reads its own value')
      assert.deepEqual(await a.get(name, { version: otherVersion }), { from: 'a-next', name }, 'versions are separate')
      assert.deepEqual(await b.get(name), { from: 'b', name }, 'b reads its own value')
    }
    assert.equal(await a.deleteMany(names), names.length, 'deleteMany removes exactly the named keys of a')
    for (const name of names) assert.deepEqual(await b.get(name), { from: 'b', name }, 'b kept every key')

    for (const name of names) await a.set(name, 1)
    const bKeysBefore = (await raw.keys('*')).filter((key) => key.startsWith(`${prefixB}:`)).sort()
    assert.equal(await a.clear(), names.length * 2, "clear() removes a's keys of every version")
    const left = (await raw.keys('*')).sort()
    assert.deepEqual(left, bKeysBefore, "only b's keys are left")
  }), { numRuns: 60 })
  t.pass('60 random namespace pairs held')
})
