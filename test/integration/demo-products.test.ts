import t from 'tap'
import { buildApp } from '../../examples/app.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('the demo: the product list is served from the cache and the admin\'s update refreshes it', async t => {
  const redis = await redisForTest(t)
  const app = await buildApp(redis.url)
  t.teardown(() => app.close())
  const first = await app.inject('/catalog')
  t.equal(first.headers['cache-status'], 'fastify-codex; fwd=miss; stored')
  const second = await app.inject('/catalog')
  t.match(second.headers['cache-status'], /^fastify-codex; hit/)
  t.same(second.json(), first.json())
  t.equal((await app.inject('/catalog/1')).json().price, 4)

  t.equal((await app.inject({ method: 'PUT', url: '/catalog/1', payload: { price: 9 } })).statusCode, 403, 'anonymous visitors cannot update')
  const login = await app.inject({ method: 'POST', url: '/login', payload: 'username=admin&password=demo', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  const cookie = login.cookies.find((c) => c.name === 'sessionId')!
  const admin = { cookies: { sessionId: cookie.value } }
  const adminView = await app.inject({ url: '/catalog', ...admin })
  t.equal(adminView.headers['cache-status'], 'fastify-codex; fwd=bypass', 'a logged-in request runs the handler')
  t.equal((await app.inject({ method: 'PUT', url: '/catalog/1', payload: { price: 9 }, ...admin })).statusCode, 200)

  const list = await app.inject('/catalog')
  t.equal(list.headers['cache-status'], 'fastify-codex; fwd=miss; stored', 'the update dropped the list')
  t.equal(list.json().products.find((p: { id: string }) => p.id === '1').price, 9)
  t.equal((await app.inject('/catalog/1')).json().price, 9, 'and the product\'s own page')
})
