import calculateSlot from 'cluster-key-slot'
import Fastify from 'fastify'
import t from 'tap'
import { codexCache, type Lock } from '../../index.js'
import { clusterForTest } from '../helpers/redis-cluster.js'

t.test('locks on a cluster', async (t) => {
  const cluster = await clusterForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(codexCache, { cluster: { rootNodes: cluster.rootNodes }, keyPrefix: 'app' })
  await app.ready()
  const { cache } = app
  const names = Array.from({ length: 24 }, (_, i) => `job-${i}`)

  t.test('locks on every master: exclusive, released, tokens growing across clear()', async (t) => {
    const slots = new Set(names.map((name) => calculateSlot(`app:~codex:lock:${name}`)))
    t.ok(slots.size > 3, `${slots.size} slots`)
    const first = await Promise.all(names.map(async (name) => await cache.lock(name, { ttl: 10 })))
    t.ok(first.every((lock) => lock !== null), 'every name acquired')
    const again = await Promise.all(names.map(async (name) => await cache.lock(name, { ttl: 10 })))
    t.ok(again.every((lock) => lock === null), 'every name held')
    const perNode = await Promise.all(cluster.nodes.map(async (node) => (await node.cli('KEYS', 'app:~codex:lock:*')).split('\n').filter(Boolean).length))
    t.ok(perNode.every((n) => n > 0), `lock keys on every master: ${perNode.join(', ')}`)

    t.ok(await cache.clear() >= names.length, 'clear() removes held locks on every master')
    const second = await Promise.all(names.map(async (name) => await cache.lock(name, { ttl: 10 }))) as Lock[]
    t.ok(second.every((lock, i) => lock !== null && lock.token > first[i]!.token), 'free again, with greater tokens')
    t.same(await Promise.all(first.map(async (lock) => await lock!.release())), names.map(() => false), 'the cleared holders cannot release')
    t.same(await Promise.all(second.map(async (lock) => await lock.release())), names.map(() => true))
    const third = await Promise.all(names.map(async (name) => await cache.lock(name, { ttl: 10 }))) as Lock[]
    t.ok(third.every((lock, i) => lock.token > second[i]!.token), 'tokens grow after release')
    await Promise.all(third.map(async (lock) => await lock.release()))
  })

  t.test('withLock extends and releases on a cluster', async (t) => {
    const results = await Promise.all(names.slice(0, 6).map(async (name) => await cache.withLock(name, async (signal, lock) => {
      // 2.5 ttls: several extensions; a 1.2 s ttl (extended every 400 ms) survives a stall of ~750 ms.
      await new Promise((resolve) => setTimeout(resolve, 3000))
      t.equal(await cache.lock(name, { ttl: 1 }), null, `${name} still held past its ttl`)
      return signal.aborted ? -1 : lock.token
    }, { ttl: 1.2 })))
    t.ok(results.every((token) => token > 0), 'no signal aborted')
    const free = await Promise.all(names.slice(0, 6).map(async (name) => await cache.lock(name, { ttl: 1 })))
    t.ok(free.every((lock) => lock !== null), 'released afterwards')
  })
})
