import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { codexCache, type RedisCache } from '../../index.js'
import { lagsOf } from '../helpers/read-through.js'
import { clusterForTest, type RedisCluster } from '../helpers/redis-cluster.js'

// Two apps = two processes' worth of caches: separate clients, flights and subscriptions.
async function clusterCache (t: Test, cluster: RedisCluster): Promise<RedisCache> {
  const app: FastifyInstance = Fastify()
  t.teardown(() => app.close())
  await app.register(codexCache, { cluster: { rootNodes: cluster.rootNodes }, keyPrefix: 'cl' })
  await app.ready()
  return app.cache
}

t.test('cluster: tags and getOrSet whose keys live in different slots', async t => {
  const cluster = await clusterForTest(t)
  const a = await clusterCache(t, cluster)
  const b = await clusterCache(t, cluster)

  t.test('invalidateTags removes tagged values on every node, seen by the other cache', async t => {
    const entries = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]))
    await a.setMany(entries, { tags: ['many', 'all'] })
    await a.set('one', 1, { tags: ['all'] })
    await a.getOrSet('rt', () => 'computed', { tags: ['all'], grace: 60 })
    t.equal((await b.getMany(Object.keys(entries))).size, 60)
    await b.invalidateTags(['all'])
    t.equal((await a.getMany(Object.keys(entries))).size, 0)
    t.equal(await a.get('one'), undefined)
    t.equal(await a.get('rt'), undefined)
    await t.rejects(a.getOrSet('rt', () => { throw new Error('down') }, { grace: 60 }), { message: 'down' }, 'not served as stale')
  })

  t.test('one computation across both caches; the waiter hears of it within milliseconds (sharded pub/sub)', async t => {
    const lags = await lagsOf(t, a, b)
    // A missed announcement would show as the 1 s re-check or the 5 s lock expiry; a stalled loop adds a few hundred ms.
    t.ok(lags[lags.length >> 1]! < 400, `answered a median ${Math.round(lags[lags.length >> 1]!)} ms after the value landed (${lags.map(Math.round).join(', ')})`)
    const counts = await Promise.all(cluster.nodes.map(async (node) => Number((await node.cli('PUBSUB', 'SHARDNUMSUB', 'cl:~codex:landed')).split('\n')[1])))
    t.equal(counts.reduce((x, y) => x + y, 0), 1, 'the cache that waited listens on the sharded channel')
  })

  t.test('grace and timeout on a cluster', async t => {
    await a.getOrSet('g', () => 'old', { ttl: 0.1, grace: 30 })
    await sleep(200)
    t.equal(await b.get('g'), undefined)
    t.equal(await b.getOrSet('g', async () => { await sleep(300); return 'new' }, { grace: 30, timeout: 0 }), 'old')
    await sleep(500)
    t.equal(await a.get('g'), 'new')
  })
})
