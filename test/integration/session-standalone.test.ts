import t from 'tap'
import { RedisSessionStore } from '../../index.js'
import { Gate } from '../helpers/gate.js'
import { connectedClient, userApp } from '../helpers/standalone-session.js'
import { redisForTest } from '../helpers/redis-server.js'
import { commandCalls, cookieHeader, defaultRoutes, fields, idOf, keys, setCookie } from '../helpers/session-app.js'

t.test("with @fastify/session's defaults, a read-only request still writes no payload", async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const app = await userApp(t, new RedisSessionStore({ client }))

  await redis.cli('CONFIG', 'RESETSTAT')
  const first = await app.inject('/read')
  const cookie = setCookie(first)!
  t.ok(cookie, 'saveUninitialized: true stores the empty session')
  t.equal(await commandCalls(redis, 'set'), 1)
  t.same(await keys(redis), [`session:${idOf(cookie.value)}`])

  for (let i = 0; i < 10; i++) {
    const res = await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })
    t.equal(setCookie(res)?.value, cookie.value, 'rolling: the cookie is re-sent')
  }
  t.equal(await commandCalls(redis, 'set'), 1, 'no write for ten reads')

  await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' }, headers: cookieHeader(cookie.value) })
  t.equal(await commandCalls(redis, 'set'), 2, 'one write for a change')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), { user: 'ada' })
})

t.test('standalone, a session destroyed mid-request is not written back either', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const gate = new Gate()
  const app = await userApp(t, new RedisSessionStore({ client }), (app) => {
    defaultRoutes(app)
    app.post('/slow', async (request) => {
      await gate.hold()
      fields(request).late = true
      return { ok: true }
    })
    app.get('/json', async (request) => JSON.stringify(request.session))
  })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  t.same(JSON.parse((await app.inject({ url: '/json', headers: cookieHeader(cookie) })).body), JSON.parse(JSON.stringify({
    cookie: { originalMaxAge: null, expires: null, sameSite: null, secure: false, path: '/', httpOnly: true, domain: null },
    user: 'ada'
  })), "the store's marker stays out of the session's JSON")

  const waiting = gate.arrival()
  const slow = app.inject({ method: 'POST', url: '/slow', headers: cookieHeader(cookie) })
  await waiting
  await app.inject({ method: 'POST', url: '/logout', headers: cookieHeader(cookie) })
  gate.open()
  const res = await slow
  t.equal(res.statusCode, 409)
  t.equal(res.json().code, 'FST_CODEX_SESSION_INTERRUPTED')
  t.same(await keys(redis), [])
})

t.test('standalone, a hung Redis answers 503 within commandTimeout although the client would queue forever', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const app = await userApp(t, new RedisSessionStore({ client, commandTimeout: 300 }))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  redis.pause()
  t.teardown(() => redis.resume())
  const started = Date.now()
  const res = await app.inject({ url: '/read', headers: cookieHeader(cookie) })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_CODEX_REDIS_UNAVAILABLE')
  t.ok(Date.now() - started < 1000)
  redis.resume()
})

t.test('the store leaves the client it was given open', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const store = new RedisSessionStore({ client, keyPrefix: 'mine' })
  const app = await userApp(t, store)
  await app.inject({ method: 'POST', url: '/set', payload: { a: 1 } })
  t.equal(await store.sessions.count(), 1, 'the admin API works standalone too')
  await app.close()
  t.ok(client.isOpen)
  t.equal(await client.ping(), 'PONG')
})

t.test('bad store options are refused at construction', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const bad: Array<[string, unknown]> = [
    ['no options', undefined],
    ['no client', {}],
    ['not a client', { client: {} }],
    ['ttl 0', { client, ttl: 0 }],
    ['ttl NaN', { client, ttl: Number.NaN }],
    ['userKey cookie', { client, userKey: 'cookie' }],
    ['bad serializer', { client, serializer: {} }],
    ['bad commandTimeout', { client, commandTimeout: -1 }]
  ]
  for (const [what, options] of bad) {
    t.throws(() => new RedisSessionStore(options as never), { code: 'FST_CODEX_INVALID_OPTIONS' }, what)
  }
})

t.test('regenerate(keys) keeps the named fields under a new id, even when keys include the store’s marker', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const app = await userApp(t, new RedisSessionStore({ client }), (app) => {
    defaultRoutes(app)
    // The common idiom: keep every field across the new id (a privilege change without a logout).
    app.post('/rotate', async (request) => {
      await request.session.regenerate(Object.keys(request.session).filter((key) => key !== 'cookie'))
      return { id: request.session.sessionId }
    })
  })
  const first = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'alice' } }))!
  const rotated = await app.inject({ method: 'POST', url: '/rotate', headers: cookieHeader(first.value) })
  t.equal(rotated.statusCode, 200)
  const second = setCookie(rotated)!
  t.not(idOf(second.value), idOf(first.value), 'a new id')
  t.same(await keys(redis), [`session:${idOf(second.value)}`], 'the new session is stored, the old key is gone')
  const read = await app.inject({ url: '/read', headers: cookieHeader(second.value) })
  t.equal(read.json().user, 'alice', 'still logged in')
})

t.test('a loaded session keeps its cookie attributes; a payload missing some leaves the plugin options in place', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const store = new RedisSessionStore({ client })
  const cookieOptions = { secure: false, sameSite: 'strict' as const, domain: 'example.com', path: '/', partitioned: true }
  const app = await userApp(t, store, (app) => {
    defaultRoutes(app)
    // One session's own cookie settings: stored with it, and they win over the plugin's options on every later request.
    app.post('/own-cookie', async (request) => {
      request.session.options({ sameSite: 'lax', partitioned: false })
      fields(request).user = 'cy'
      return { ok: true }
    })
  }, { cookie: cookieOptions })
  const attributes = (res: { headers: Record<string, unknown> }): string => String(res.headers['set-cookie']).split('; ').slice(1).sort().join('; ')

  const first = await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } })
  const cookie = setCookie(first)!.value
  const expected = 'Domain=example.com; HttpOnly; Partitioned; Path=/; SameSite=Strict'
  t.equal(attributes(first), expected)
  for (let i = 0; i < 2; i++) {
    const again = await app.inject({ url: '/read', headers: cookieHeader(cookie) })
    t.same(again.json(), { user: 'ada' })
    t.equal(attributes(again), expected, 'restored from the stored cookie, request after request')
  }

  const own = setCookie(await app.inject({ method: 'POST', url: '/own-cookie' }))!.value
  for (let i = 0; i < 2; i++) {
    const again = await app.inject({ url: '/read', headers: cookieHeader(own) })
    t.same(again.json(), { user: 'cy' })
    t.equal(attributes(again), 'Domain=example.com; HttpOnly; Path=/; SameSite=Lax', "the session's own settings, not the options")
  }

  // Another writer's payload: only some cookie fields, and one key of its own.
  const id = idOf(cookie)
  await client.set(`session:${id}`, JSON.stringify({ cookie: { originalMaxAge: null, httpOnly: true, extra: 1 }, user: 'bob' }), { expiration: { type: 'PX', value: 60_000 } })
  const foreign = await app.inject({ url: '/read', headers: cookieHeader(cookie) })
  t.same(foreign.json(), { user: 'bob' })
  t.equal(attributes(foreign), expected, 'absent fields are not restored as undefined: the options stay')
})
