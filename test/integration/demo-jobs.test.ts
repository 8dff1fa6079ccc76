import t from 'tap'
import { buildApp } from '../../examples/app.js'
import { rawClient } from '../helpers/cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('the demo: read-through products and a locked nightly report', async t => {
  const redis = await redisForTest(t)
  const app = await buildApp(redis.url)
  t.teardown(() => app.close())

  t.test('20 concurrent requests for a missing product cost one database query', async t => {
    const responses = await Promise.all(Array.from({ length: 20 }, async () => await app.inject('/products/42')))
    t.ok(responses.every((res) => res.statusCode === 200))
    const bodies = responses.map((res) => res.json<{ product: { loadedAt: string }, databaseQueries: number }>())
    t.equal(new Set(bodies.map((b) => b.product.loadedAt)).size, 1, 'every request got the same load')
    const again = (await app.inject('/products/42')).json<{ databaseQueries: number }>()
    t.equal(again.databaseQueries, Math.max(...bodies.map((b) => b.databaseQueries)), 'a later request costs nothing')
    t.equal(again.databaseQueries, 1, 'one query in all')
  })

  t.test('the nightly report runs once at a time: a concurrent trigger answers 409', async t => {
    const raw = await rawClient(t, redis)
    const first = app.inject({ method: 'POST', url: '/reports/nightly' })
    // Held: the lock key holds an owner id (a released one holds only its last token, a number).
    const held = async (): Promise<boolean> => Number.isNaN(Number(await raw.get('demo:cache:~codex:lock:nightly-report') ?? '0'))
    while (!await held()) await new Promise((resolve) => setTimeout(resolve, 10))
    const second = await app.inject({ method: 'POST', url: '/reports/nightly' })
    t.equal(second.statusCode, 409)
    const done = await first
    t.equal(done.statusCode, 201)
    const report = done.json<{ batches: number, fencingToken: number }>()
    t.equal(report.batches, 5)
    const next = await app.inject({ method: 'POST', url: '/reports/nightly' })
    t.equal(next.statusCode, 201, 'free again once the report finished')
    t.ok(next.json<{ fencingToken: number }>().fencingToken > report.fencingToken, 'with a greater fencing token')
  })
})
