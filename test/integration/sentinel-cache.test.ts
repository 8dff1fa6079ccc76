import { createSentinel } from '@redis/client'
import Fastify from 'fastify'
import t from 'tap'
import { codexCache, codexRedis } from '../../index.js'
import { sentinelForTest } from '../helpers/redis-sentinel.js'
import { timed } from '../helpers/stall-meter.js'

t.test('sentinel option: the cache reads and writes the master the sentinel names', async (t) => {
  const setup = await sentinelForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(codexCache, { sentinel: { name: setup.name, sentinelRootNodes: setup.sentinelRootNodes }, keyPrefix: 'sen', commandTimeout: 1000 })
  await app.ready()

  await app.cache.set('k', { v: 1 })
  t.same(await app.cache.get('k'), { v: 1 })
  t.equal(await setup.master.cli('GET', 'sen:1:k'), '{"v":1}\n', 'the write landed on the master')
  t.equal(await app.cache.incr('n', 1).catch((err: Error & { code: string }) => err.code), 'FST_CODEX_KEY_NOT_FOUND')
  t.same(await app.cache.setMany({ a: 1, b: 2 }), [])
  t.same([...await app.cache.getMany(['a', 'b', 'c'])], [['a', 1], ['b', 2]])
  t.equal(await app.cache.clear(), 3)
  t.equal(await setup.master.cli('DBSIZE'), '0\n')

  setup.master.pause()
  t.teardown(() => setup.master.resume())
  const { elapsed, stalled } = await timed(async () =>
    await t.rejects(app.cache.get('k'), { code: 'FST_CODEX_REDIS_UNAVAILABLE' }, 'a hung master is a 503'), 1000)
  t.ok(elapsed - stalled < 1000 + 250, `within commandTimeout: ${elapsed.toFixed(0)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
  setup.master.resume()

  // The sentinel process keeps its own named links to the master; count only ours.
  const ours = async (): Promise<string[]> => (await setup.master.cli('CLIENT', 'LIST')).split('\n')
    .filter((line) => line.startsWith('id=') && !line.includes('cmd=client|list') && !/ name=sentinel-/.test(line))
  t.ok((await ours()).length > 0, 'connected while in use')
  await app.close()
  const deadline = performance.now() + 5000
  while ((await ours()).length > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
  t.same(await ours(), [], 'no connection of ours left on the master after close')
})

t.test('a sentinel client passed in is used and left open', async (t) => {
  const setup = await sentinelForTest(t)
  const client = createSentinel({ name: setup.name, sentinelRootNodes: setup.sentinelRootNodes })
  client.on('error', () => {})
  t.teardown(() => client.destroy())

  const app = Fastify()
  app.register(codexRedis, { client })
  app.register(codexCache, { keyPrefix: 'passed' })
  await app.ready()
  await app.cache.set('k', 'v')
  t.equal(await app.cache.get('k'), 'v')
  await app.close()
  t.ok(client.isOpen, 'still open after app.close()')
  t.equal(await client.get('passed:1:k'), '"v"')
})
