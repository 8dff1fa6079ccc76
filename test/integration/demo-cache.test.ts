import t from 'tap'
import { buildApp } from '../../examples/app.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('the demo: a cached route and an idempotent POST', async t => {
  const redis = await redisForTest(t)
  const app = await buildApp(redis.url)
  t.teardown(() => app.close())

  const first = (await app.inject('/weather/Oslo')).json()
  const second = (await app.inject('/weather/oslo')).json()
  t.equal(first.cached, false)
  t.equal(second.cached, true, 'the second call is served from Redis')
  t.equal(second.computedAt, first.computedAt)

  const order = { method: 'POST' as const, url: '/orders', headers: { 'idempotency-key': 'k1' }, payload: { item: 'tea' } }
  const [a, b] = await Promise.all([app.inject(order), app.inject(order)])
  const created = [a, b].filter((res) => res.statusCode === 201)
  const other = [a, b].find((res) => res.statusCode !== 201)
  t.equal(created.length, 1, 'one request creates the order')
  t.ok(other?.statusCode === 409 || other?.json().replayed === true, 'the concurrent duplicate does not create another')
  const replay = await app.inject(order)
  t.equal(replay.statusCode, 200)
  t.equal(replay.json().replayed, true)
  t.equal(replay.json().id, (a.statusCode === 201 ? a : b).json().id, 'a retry gets the same order back')
  t.equal((await app.inject({ method: 'POST', url: '/orders', payload: {} })).statusCode, 400)

  t.equal((await app.inject('/visits')).json().visits, 1)
  t.equal((await app.inject('/visits')).json().visits, 2)
})
