import { createClient, createCluster } from '@redis/client'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { codexCache, type CodexCacheOptions } from '../../index.js'
import { clusterForTest } from '../helpers/redis-cluster.js'
import { sentinelForTest } from '../helpers/redis-sentinel.js'
import { startRedis, type RedisServer } from '../helpers/redis-server.js'
import { until } from '../helpers/until.js'

const SEEN_WITHIN_MS = 1000
const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`)

async function nearApp (t: Test, options: CodexCacheOptions): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(codexCache, { keyPrefix: 'near', nearCache: { maxEntries: 1000 }, commandTimeout: 3000, ...options })
  await app.ready()
  return app
}

async function getCalls (nodes: RedisServer[]): Promise<number> {
  const stats = await Promise.all(nodes.map(async (node) => await node.cli('INFO', 'commandstats')))
  return stats.reduce((sum, text) => sum + Number(/^cmdstat_get:calls=(\d+)/m.exec(text)?.[1] ?? 0), 0)
}

t.test('cluster: every master tracks what it served; another client\'s writes on any node are seen', async (t) => {
  const cluster = await clusterForTest(t)
  const app = await nearApp(t, { cluster: { rootNodes: cluster.rootNodes } })
  const other = createCluster({ rootNodes: cluster.rootNodes })
  other.on('error', () => {})
  await other.connect()
  t.teardown(() => other.destroy())

  t.same(await app.cache.setMany(Object.fromEntries(keys.map((key, i) => [key, i]))), [])
  t.equal((await app.cache.getMany(keys)).size, keys.length)
  await Promise.all(cluster.nodes.map(async (node) => await node.cli('CONFIG', 'RESETSTAT')))
  for (const [i, key] of keys.entries()) t.equal(await app.cache.get(key), i)
  t.equal(await getCalls(cluster.nodes), 0, 'all answered in process')

  await Promise.all(keys.map(async (key, i) => await other.set(app.cache.makeKey(key), String(i + 100))))
  await until(async () => {
    const values = await Promise.all(keys.map(async (key) => await app.cache.get(key)))
    return values.every((value, i) => value === i + 100)
  }, SEEN_WITHIN_MS)
  t.pass('every node\'s invalidations arrived')

  await app.cache.set(keys[0]!, 'mine')
  t.equal(await app.cache.get(keys[0]!), 'mine', 'own write seen at once')
  t.equal(await app.cache.clear(), keys.length)
  t.same(await app.cache.getMany(keys), new Map(), 'clear() on every master, nothing left locally')
})

t.test('sentinel: invalidations from the master, and re-tracking after a failover', async (t) => {
  const setup = await sentinelForTest(t)
  const app = await nearApp(t, { sentinel: { name: setup.name, sentinelRootNodes: setup.sentinelRootNodes } })
  const direct = createClient({ url: setup.master.url })
  direct.on('error', () => {})
  await direct.connect()
  t.teardown(() => direct.destroy())

  await app.cache.set('k', 1)
  t.equal(await app.cache.get('k'), 1)
  await setup.master.cli('CONFIG', 'RESETSTAT')
  t.equal(await app.cache.get('k'), 1)
  t.equal(await getCalls([setup.master]), 0, 'answered in process')
  await direct.set('near:1:k', '2')
  await until(async () => await app.cache.get('k') === 2, SEEN_WITHIN_MS)
  t.pass('another client\'s write on the master seen')

  // A replica the sentinel learns about, then promoted: the near cache must follow the new master.
  const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(setup.master.port)] })
  t.teardown(() => replica.stop())
  await until(async () => (await setup.sentinel.cli('SENTINEL', 'REPLICAS', setup.name)).includes(String(replica.port)) &&
    (await replica.cli('INFO', 'replication')).includes('master_link_status:up'), 15_000)
  await until(async () => (await setup.sentinel.cli('SENTINEL', 'FAILOVER', setup.name)).startsWith('OK'), 15_000)
  await until(async () => (await replica.cli('ROLE')).startsWith('master'), 15_000)
  await until(async () => (await setup.master.cli('ROLE')).startsWith('slave'), 15_000)

  const promoted = createClient({ url: replica.url })
  promoted.on('error', () => {})
  await promoted.connect()
  t.teardown(() => promoted.destroy())
  await until(async () => await app.cache.get('k') === 2, 15_000)
  await promoted.set('near:1:k', '3')
  await until(async () => await app.cache.get('k') === 3, 15_000)
  t.equal(await app.cache.get('k'), 3)
  await promoted.set('near:1:k', '4')
  await until(async () => await app.cache.get('k') === 4, SEEN_WITHIN_MS)
  t.pass('after the failover, the new master\'s invalidations arrive')
  await until(async () => {
    await replica.cli('CONFIG', 'RESETSTAT')
    await app.cache.get('k')
    return await getCalls([replica]) === 0
  }, 5000)
  t.pass('and local answers resume on the new master')
})
