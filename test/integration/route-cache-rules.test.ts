import t from 'tap'
import { routeCacheApp } from '../helpers/route-cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('routes with one URL and different host constraints never serve each other\'s body', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  app.get('/home', { constraints: { host: 'a.example' }, config: { cache: true } }, async () => 'tenant A')
  app.get('/home', { constraints: { host: 'b.example' }, config: { cache: true } }, async () => 'tenant B')
  await app.ready()
  for (let round = 0; round < 2; round++) {
    t.equal((await app.inject({ url: '/home', headers: { host: 'a.example' } })).body, 'tenant A')
    t.equal((await app.inject({ url: '/home', headers: { host: 'b.example' } })).body, 'tenant B')
  }
  t.match((await app.inject({ url: '/home', headers: { host: 'b.example' } })).headers['cache-status'], /hit/, 'each is cached')
})
