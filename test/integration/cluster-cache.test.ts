import { createCluster } from '@redis/client'
import calculateSlot from 'cluster-key-slot'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { codexCache, codexRedis, type CodexCacheOptions } from '../../index.js'
import { clusterForTest, type RedisCluster } from '../helpers/redis-cluster.js'
import { timed } from '../helpers/stall-meter.js'

// Setup (the cluster connect, setMany over 3 masters) shares this deadline: room for a stalled loaded machine.
const COMMAND_TIMEOUT = 1000
const MARGIN = 250

async function clusterApp (t: Test, options: CodexCacheOptions): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(codexCache, { commandTimeout: COMMAND_TIMEOUT, ...options })
  await app.ready()
  return app
}

/** Keys under `pattern` on each master, in node order. */
async function keysPerNode (cluster: RedisCluster, pattern: string): Promise<number[]> {
  return await Promise.all(cluster.nodes.map(async (node) => (await node.cli('KEYS', pattern)).split('\n').filter(Boolean).length))
}

/** Calls of `command` summed over every node since the last reset. */
async function callsOnCluster (cluster: RedisCluster, command: string): Promise<number> {
  const stats = await Promise.all(cluster.nodes.map(async (node) => await node.cli('INFO', 'commandstats')))
  return stats.reduce((sum, text) => sum + Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(text)?.[1] ?? 0), 0)
}

async function resetStats (cluster: RedisCluster): Promise<void> {
  await Promise.all(cluster.nodes.map(async (node) => await node.cli('CONFIG', 'RESETSTAT')))
}

const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`)

t.test('cluster option', async (t) => {
  const cluster = await clusterForTest(t)
  const app = await clusterApp(t, { cluster: { rootNodes: cluster.rootNodes }, keyPrefix: 'app' })
  const cache = app.cache

  t.test('clear() removes the prefix\'s keys on every master and nothing else', async (t) => {
    const other = await clusterApp(t, { cluster: { rootNodes: cluster.rootNodes }, keyPrefix: 'other' })
    t.same(await cache.setMany(Object.fromEntries(keys.map((key) => [key, key]))), [])
    t.same(await other.cache.setMany({ a: 1, b: 2, c: 3, d: 4 }), [])
    const before = await keysPerNode(cluster, 'app:*')
    t.ok(before.every((n) => n > 0), `keys spread over every master: ${before.join(', ')}`)
    t.equal(await cache.clear(), keys.length, 'reports every key removed')
    t.same(await keysPerNode(cluster, 'app:*'), cluster.nodes.map(() => 0), 'none left on any master')
    t.equal((await other.cache.getMany(['a', 'b', 'c', 'd'])).size, 4, 'another prefix is untouched')
    t.equal(await cache.clear(), 0)
  })

  t.test('getMany across slots: every found key, one MGET per slot', async (t) => {
    await cache.setMany(Object.fromEntries(keys.map((key, i) => [key, { i }])))
    const wanted = [...keys, 'missing-1', 'missing-2']
    const slots = new Set(wanted.map((key) => calculateSlot(cache.makeKey(key))))
    await resetStats(cluster)
    const found = await cache.getMany(wanted)
    t.equal(await callsOnCluster(cluster, 'mget'), slots.size, `${slots.size} slots, ${slots.size} MGETs`)
    t.equal(found.size, keys.length, 'missing keys are left out')
    t.same(found.get('key-7'), { i: 7 })
    t.notOk(found.has('missing-1'))
  })

  t.test('setMany and deleteMany across slots', async (t) => {
    const entries = new Map(keys.map((key, i) => [key, i]))
    t.same(await cache.setMany(entries, { ttl: 60 }), [])
    t.equal(await cache.get('key-59'), 59)
    const ttl = await cache.ttl('key-3')
    t.ok(typeof ttl === 'number' && ttl > 50 && ttl <= 60, `ttl applied: ${String(ttl)}`)
    t.equal(await cache.deleteMany([...keys, 'missing']), keys.length)
    t.equal((await cache.getMany(keys)).size, 0)
  })

  t.test('single-key operations route to the right master', async (t) => {
    t.equal(await cache.add('counter', 10), true)
    t.equal(await cache.add('counter', 11), false)
    t.equal(await cache.incr('counter', 5), 15)
    t.equal(await cache.touch('counter', { ttl: null }), true)
    t.equal(await cache.ttl('counter'), null)
    t.equal(await cache.delete('counter'), true)
    t.equal(await cache.has('counter'), false)
  })

  t.test('a hung master: its keys fail with 503 within commandTimeout, the others still answer', async (t) => {
    await cache.setMany(Object.fromEntries(keys.map((key) => [key, key])))
    const hung = cluster.nodes[0]!
    const onHung = new Set((await hung.cli('KEYS', 'app:*')).split('\n').filter(Boolean))
    hung.pause()
    t.teardown(() => hung.resume())
    const results = await Promise.all(keys.map(async (key) => {
      const { value: outcome, elapsed, stalled } = await timed(async () => await cache.get(key)
        .then((value) => ({ value }), (err: Error & { code: string }) => ({ code: err.code })), COMMAND_TIMEOUT)
      return { key, elapsed, stalled, outcome }
    }))
    for (const { key, elapsed, stalled, outcome } of results) {
      if (onHung.has(cache.makeKey(key))) {
        t.same(outcome, { code: 'FST_CODEX_REDIS_UNAVAILABLE' }, `${key} is on the hung master`)
        t.ok(elapsed - stalled < COMMAND_TIMEOUT + MARGIN, `${key} failed after ${elapsed.toFixed(0)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
      } else {
        t.same(outcome, { value: key }, `${key} is on a live master`)
      }
    }
    hung.resume()
    t.equal(await cache.get(keys[0]!), keys[0], 'all keys answer again after resume')
  })
})

t.test('a cluster client passed in is used and left open', async (t) => {
  const cluster = await clusterForTest(t)
  const client = createCluster({ rootNodes: cluster.rootNodes })
  client.on('error', () => {})
  t.teardown(() => client.destroy())

  const app = Fastify()
  app.register(codexRedis, { client })
  app.register(codexCache, { keyPrefix: 'passed' })
  await app.ready()
  t.ok(client.isOpen, 'connected at registration')
  t.same(await app.cache.setMany(Object.fromEntries(keys.map((key) => [key, key]))), [])
  t.equal((await app.cache.getMany(keys)).size, keys.length)
  t.equal(await app.cache.clear(), keys.length, 'clear() scans every master of a passed-in cluster too')
  t.match(await app.codexRedisHealth(), { status: 'ok', latencyMs: Number }, 'health PINGs every master')
  t.equal(await app.codexRedisCommand((c) => c.set('own', '1')), 'OK', 'your own commands on a cluster')
  await app.close()
  t.ok(client.isOpen, 'still open after app.close()')
  await client.set('still', 'usable')
  t.equal(await client.get('still'), 'usable')
})
