import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { RedisCache } from '../../index.js'
import { rawClient } from '../helpers/cache-app.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'

async function cacheOn (t: Test, redis: RedisServer): Promise<RedisCache> {
  const client = await rawClient(t, redis)
  const cache = new RedisCache(client, { keyPrefix: 'many' })
  t.teardown(() => cache.close())
  return cache
}

async function calls (redis: RedisServer, command: string): Promise<number> {
  const info = await redis.cli('INFO', 'commandstats')
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0)
}

t.test('getOrSetMany: one MGET, the factory called once with the missing keys, every value stored', async t => {
  const redis = await redisForTest(t)
  const cache = await cacheOn(t, redis)
  await cache.set('a', 1)
  await cache.set('c', 3)
  await redis.cli('CONFIG', 'RESETSTAT')
  const asked: string[][] = []
  const values = await cache.getOrSetMany(['a', 'b', 'c', 'd'], async (keys) => {
    asked.push(keys)
    return new Map(keys.map((k) => [k, k.toUpperCase()]))
  }, { ttl: 60 })
  t.same([...values], [['a', 1], ['b', 'B'], ['c', 3], ['d', 'D']], 'every key, in the order asked')
  t.same(asked, [['b', 'd']], 'one call, the missing keys only')
  t.equal(await calls(redis, 'mget'), 1, 'one MGET')
  t.same(await cache.getMany(['b', 'd']), new Map([['b', 'B'], ['d', 'D']]), 'stored')
  const again = await cache.getOrSetMany(['a', 'b'], () => { throw new Error('not called') })
  t.same([...again], [['a', 1], ['b', 'B']], 'all hits: no factory call')
})

t.test('getOrSetMany: an object result works; a key the factory leaves out is neither stored nor returned', async t => {
  const redis = await redisForTest(t)
  const cache = await cacheOn(t, redis)
  const values = await cache.getOrSetMany(['x', 'y'], () => ({ x: { n: 1 } }))
  t.same([...values], [['x', { n: 1 }]])
  t.equal(await cache.has('y'), false)
  await t.rejects(cache.getOrSetMany(['z'], () => [1] as never), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
  await t.rejects(cache.getOrSetMany(['w'], () => new Map([['w', new Date()]]) as never), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
})

t.test('getOrSetMany in two processes at once on overlapping keys: each key is computed once', async t => {
  const redis = await redisForTest(t)
  const one = await cacheOn(t, redis)
  const two = await cacheOn(t, redis)
  const computed: string[] = []
  const factory = async (keys: string[]): Promise<Map<string, string>> => {
    computed.push(...keys)
    await sleep(100)
    return new Map(keys.map((k) => [k, `v-${k}`]))
  }
  const [a, b] = await Promise.all([one.getOrSetMany(['k1', 'k2', 'k3'], factory), two.getOrSetMany(['k2', 'k3', 'k4'], factory)])
  t.same(computed.sort(), ['k1', 'k2', 'k3', 'k4'], 'each key once in all')
  t.same([...a], [['k1', 'v-k1'], ['k2', 'v-k2'], ['k3', 'v-k3']])
  t.same([...b], [['k2', 'v-k2'], ['k3', 'v-k3'], ['k4', 'v-k4']])
})
