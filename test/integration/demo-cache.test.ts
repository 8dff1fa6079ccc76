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
  const loser = [a, b].find((res) => res.statusCode !== 201)
  t.equal(created.length, 1, 'one request creates the order')
  t.ok(loser?.statusCode === 409 || loser?.json().replayed === true, 'the concurrent duplicate does not create another')
  const replay = await app.inject(order)
  t.equal(replay.statusCode, 200)
  t.equal(replay.json().replayed, true)
  t.equal(replay.json().id, (a.statusCode === 201 ? a : b).json().id, 'a retry gets the same order back')
  t.equal((await app.inject({ method: 'POST', url: '/orders', payload: {} })).statusCode, 400)

  const other = await app.inject({ ...order, payload: { item: 'coffee' } })
  t.equal(other.statusCode, 422, 'the same Idempotency-Key with another body is refused, as Stripe does')
  t.equal((await app.inject(order)).json().replayed, true, 'the original body still replays')

  t.equal((await app.inject('/visits')).json().visits, 1)
  t.equal((await app.inject('/visits')).json().visits, 2)
})

t.test('the demo: POST /orders needs a valid body and invents none', async t => {
  const redis = await redisForTest(t)
  const app = await buildApp(redis.url)
  t.teardown(() => app.close())
  const post = (payload?: unknown, key = 'k2') => app.inject({
    method: 'POST', url: '/orders', headers: { 'idempotency-key': key }, ...(payload === undefined ? {} : { payload: payload as object, headers: { 'idempotency-key': key, 'content-type': 'application/json' } })
  })
  t.equal((await post()).statusCode, 400, 'no body')
  t.equal((await post({})).statusCode, 400, 'no item')
  t.equal((await post({ item: { name: 'tea' } })).statusCode, 400, 'item not a string')
  t.equal((await post({ item: '' })).statusCode, 400, 'empty item')
  t.equal((await post('{"item":')).statusCode, 400, 'not JSON')
  const created = await post({ item: 'tea' })
  t.equal(created.statusCode, 201, 'the refused requests did not take the key')
  t.equal(created.json().item, 'tea')
})
