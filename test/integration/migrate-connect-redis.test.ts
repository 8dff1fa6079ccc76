import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import { RedisStore } from 'connect-redis'
import Fastify, { type FastifyInstance } from 'fastify'
import { createClient } from 'redis'
import t from 'tap'
import { codexSession } from '../../plugins/session.js'
import { redisForTest } from '../helpers/redis-server.js'

// The README's migration note: codexSession with `keyPrefix: 'sess'` reads and updates the sessions an app on
// @fastify/session + connect-redis stored (keys `sess:<id>`), with the same secret and cookie name.
const SECRET = 'the-secret-both-apps-share-32-chars!'
const COOKIE = { secure: false, maxAge: 3600_000 }

declare module 'fastify' { interface Session { user?: string, visits?: number } }

function routes (app: FastifyInstance): void {
  app.post('/login', async (request) => { request.session.user = 'ada'; request.session.visits = 1; return { ok: true } })
  app.post('/visit', async (request) => { request.session.visits = (request.session.visits ?? 0) + 1; return { visits: request.session.visits } })
  app.get('/me', async (request) => ({ user: request.session.user ?? null, visits: request.session.visits ?? 0 }))
}

t.test('sessions stored by connect-redis are read and updated by codexSession with keyPrefix "sess"', async t => {
  const redis = await redisForTest(t)
  const client = createClient({ url: redis.url })
  await client.connect()
  t.teardown(() => client.close())

  const before = Fastify()
  await before.register(fastifyCookie)
  await before.register(fastifySession, { secret: SECRET, cookie: COOKIE, store: new RedisStore({ client }) })
  routes(before)
  t.teardown(() => before.close())

  const login = await before.inject({ method: 'POST', url: '/login' })
  const sent = login.cookies.find(c => c.name === 'sessionId')
  t.ok(sent, 'connect-redis app logged in')
  const cookie = `sessionId=${sent?.value ?? ''}`
  const keys = await redis.cli('--scan')
  t.match(keys, /^sess:[^:\n]+$/m, 'connect-redis keys are sess:<id>')

  const after = Fastify()
  await after.register(codexSession, { url: redis.url, secret: SECRET, keyPrefix: 'sess', cookie: COOKIE })
  routes(after)
  t.teardown(() => after.close())

  t.same((await after.inject({ url: '/me', headers: { cookie } })).json(), { user: 'ada', visits: 1 }, 'codexSession reads it')
  t.same((await after.inject({ method: 'POST', url: '/visit', headers: { cookie } })).json(), { visits: 2 }, 'and updates it')
  t.same((await before.inject({ url: '/me', headers: { cookie } })).json(), { user: 'ada', visits: 2 }, 'connect-redis reads the update back (rollback stays possible)')
  const ttl = Number(await redis.cli('TTL', keys.trim().split('\n')[0] ?? ''))
  t.ok(ttl > 3500 && ttl <= 3600, `the key still expires with the cookie (TTL ${ttl} s)`)
})
