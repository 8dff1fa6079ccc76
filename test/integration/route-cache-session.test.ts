import Fastify from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import t from 'tap'
import { codexCache, codexSession, RedisSessionStore } from '../../index.js'
import { rawClient } from '../helpers/cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'
import { SECRET, fields, setCookie } from '../helpers/session-app.js'

t.test('with codexSession: a logged-in request bypasses the cache, an anonymous one is served from it', async t => {
  const redis = await redisForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  // The cache first: the session plugin registered after it still counts.
  await app.register(codexCache, { url: redis.url, keyPrefix: 'rc' })
  await app.register(codexSession, { url: redis.url, secret: SECRET, cookieName: 'sid', cookie: { secure: false } })
  let runs = 0
  app.get('/home', { config: { cache: true } }, async (request) => `${String(fields(request).user ?? 'anonymous')} ${++runs}`)
  app.post('/login', async (request) => {
    fields(request).user = 'ada'
    return 'ok'
  })
  await app.ready()
  t.equal((await app.inject('/home')).body, 'anonymous 1')
  const login = await app.inject({ method: 'POST', url: '/login' })
  const cookie = setCookie(login, 'sid')
  t.ok(cookie, 'logged in')
  const mine = await app.inject({ url: '/home', cookies: { sid: cookie!.value } })
  t.equal(mine.body, 'ada 2', 'the logged-in page is her own')
  t.equal(mine.headers['cache-status'], 'fastify-codex; fwd=bypass')
  const anonymous = await app.inject({ url: '/home', cookies: { theme: 'dark' } })
  t.equal(anonymous.body, 'anonymous 1', 'an anonymous visitor (other cookies too) is served from the cache')
  t.match(anonymous.headers['cache-status'], /hit/)
  t.equal((await app.inject('/home')).body, 'anonymous 1', 'her page was not stored')
})

t.test('with @fastify/session registered by the app: its default cookie bypasses', async t => {
  const redis = await redisForTest(t)
  const client = await rawClient(t, redis)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: SECRET, saveUninitialized: false, cookie: { secure: false }, store: new RedisSessionStore({ client }) })
  await app.register(codexCache, { url: redis.url, keyPrefix: 'rc' })
  let runs = 0
  app.get('/home', { config: { cache: true } }, async () => `page ${++runs}`)
  await app.ready()
  await app.inject('/home')
  t.equal((await app.inject({ url: '/home', cookies: { sessionId: 'x.y' } })).headers['cache-status'], 'fastify-codex; fwd=bypass')
  t.match((await app.inject('/home')).headers['cache-status'], /hit/)
})

t.test('with @fastify/session and a custom cookieName: a request with its session cookie neither reads nor writes the cache', async t => {
  const redis = await redisForTest(t)
  const client = await rawClient(t, redis)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCookie)
  await app.register(fastifySession, { cookieName: 'sid', secret: SECRET, saveUninitialized: false, cookie: { secure: false }, store: new RedisSessionStore({ client }) })
  await app.register(codexCache, { url: redis.url, keyPrefix: 'rc' })
  let runs = 0
  app.get('/home', { config: { cache: true } }, async (request) => `${String(request.session.get('user' as never) ?? 'anonymous')} ${++runs}`)
  app.post('/login', async (request) => {
    request.session.set('user' as never, 'ada' as never)
    return 'ok'
  })
  await app.ready()
  const login = await app.inject({ method: 'POST', url: '/login' })
  const cookie = setCookie(login, 'sid')
  t.ok(cookie, 'logged in')
  const mine = await app.inject({ url: '/home', cookies: { sid: cookie!.value } })
  t.equal(mine.body, 'ada 1')
  t.equal(mine.headers['cache-status'], 'fastify-codex; fwd=bypass')
  t.equal((await app.inject('/home')).body, 'anonymous 2', 'her page was not stored')
  t.match((await app.inject('/home')).headers['cache-status'], /hit/)
  const again = await app.inject({ url: '/home', cookies: { sid: cookie!.value } })
  t.equal(again.body, 'ada 3', 'she is not served the anonymous page')
})
