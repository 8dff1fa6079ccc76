import t from 'tap'
import { routeCacheApp } from '../helpers/route-cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('a cached GET route: the handler runs once, the second request is a hit with age and the same body', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let runs = 0
  app.get('/products', { config: { cache: { ttl: 60 } } }, async () => ({ runs: ++runs }))
  await app.ready()
  const first = await app.inject('/products')
  t.equal(first.statusCode, 200)
  t.equal(first.headers['cache-status'], 'fastify-codex; fwd=miss; stored')
  const second = await app.inject('/products')
  t.equal(second.statusCode, 200)
  t.same(second.json(), { runs: 1 })
  t.match(second.headers['cache-status'], /^fastify-codex; hit; ttl=\d+$/)
  t.equal(second.headers.age, '0')
  t.equal(second.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(second.headers.etag, first.headers.etag, 'the weak ETag computed at store is replayed')
  t.equal(runs, 1)
})
