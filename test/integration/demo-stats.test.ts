import t from 'tap'
import { buildApp } from '../../examples/app.js'
import { metricsRoute } from '../../examples/metrics.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('the demo shows its hit rate at /stats and Prometheus metrics at /metrics', async (t) => {
  const redis = await redisForTest(t)
  const app = await buildApp(redis.url)
  await app.register(metricsRoute)
  t.teardown(() => app.close())
  t.same((await app.inject('/stats')).json().hitRate, null, 'no reads yet')
  await app.inject('/weather/Oslo')
  await app.inject('/weather/Oslo')
  const stats = (await app.inject('/stats')).json()
  t.equal(stats.cache.hits, 1)
  t.equal(stats.cache.misses, 1)
  t.equal(stats.hitRate, 0.5)
  t.same(Object.keys(stats.sessions).sort(), ['creates', 'destroys', 'errors', 'found', 'loads', 'refreshes', 'updates'])
  const metrics = await app.inject('/metrics')
  t.equal(metrics.statusCode, 200)
  t.match(metrics.body, /fastify_codex_cache_operations_total\{[^}]*operation="get"[^}]*outcome="hit"[^}]*\} 1/)
  t.match(metrics.body, /fastify_codex_cache_duration_bucket\{/)
  t.notMatch(metrics.body, /weather:oslo/, 'no key in the metrics')
})
