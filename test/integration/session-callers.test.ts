import type { Session } from 'fastify'
import t from 'tap'
import { RedisSessionStore } from '../../index.js'
import { connectedClient } from '../helpers/standalone-session.js'
import { redisForTest } from '../helpers/redis-server.js'
import { commandCalls, cookieHeader, defaultRoutes, fields, idOf, keys, sessionApp, setCookie } from '../helpers/session-app.js'

// Nothing a store callback throws may end the process: watched for the whole file.
const uncaught: unknown[] = []
const onUncaught = (err: unknown): void => { uncaught.push(err) }
process.prependListener('uncaughtException', onUncaught)
t.teardown(() => { process.off('uncaughtException', onUncaught) })

t.test('a cookie @fastify/session cannot serialize after the save answers 500; the process lives on', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {}, (app) => {
    defaultRoutes(app)
    app.post('/bad-domain', async (request) => {
      fields(request).user = 'ada'
      request.session.cookie.domain = 'my app.example'
      return { ok: true }
    })
    app.post('/bad-expires', async (request) => {
      fields(request).user = 'ada'
      request.session.cookie.expires = new Date(Number.NaN)
      return { ok: true }
    })
  })
  for (const url of ['/bad-domain', '/bad-expires']) {
    const res = await app.inject({ method: 'POST', url })
    t.equal(res.statusCode, 500, url)
    t.equal(setCookie(res), undefined, 'no cookie')
  }
  t.equal((await app.inject({ method: 'POST', url: '/set', payload: { a: 1 } })).statusCode, 200, 'the app still answers')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(uncaught, [], 'no uncaught exception')
})

t.test('overlapping saves of one new session: one create, then updates; never a 409', async (t) => {
  const redis = await redisForTest(t)
  // The handler's own save, which may settle after the response: the test awaits it before reading.
  let handlerSave: Promise<void> = Promise.resolve()
  const { app } = await sessionApp(t, redis, {}, (app) => {
    defaultRoutes(app)
    app.post('/not-awaited', async (request) => {
      fields(request).user = 'ada'
      handlerSave = request.session.save()
      fields(request).step = 1
      return { ok: true }
    })
    app.post('/both', async (request) => {
      fields(request).user = 'ada'
      await Promise.all([request.session.save(), request.session.save()])
      return { ok: true }
    })
    app.post('/after-send', async (request, reply) => {
      fields(request).user = 'ada'
      reply.send({ ok: true })
      fields(request).step = 2
      handlerSave = request.session.save()
      await handlerSave
    })
  })
  const expected: Record<string, object> = { '/not-awaited': { user: 'ada', step: 1 }, '/both': { user: 'ada' }, '/after-send': { user: 'ada', step: 2 } }
  for (const [url, stored] of Object.entries(expected)) {
    await redis.cli('FLUSHALL')
    const res = await app.inject({ method: 'POST', url })
    t.equal(res.statusCode, 200, url)
    const cookie = setCookie(res)
    t.ok(cookie, 'the cookie is sent')
    t.same(await keys(redis), [`session:${idOf(cookie!.value)}`], 'one session stored')
    await handlerSave
    t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie!.value) })).json(), stored, `${url}: every field written`)
  }
  await new Promise((resolve) => setImmediate(resolve))
  t.same(uncaught, [])
})

t.test('an async serializer.parse (as connect-redis documents) is awaited: updates land', async (t) => {
  const redis = await redisForTest(t)
  const serializer = { stringify: JSON.stringify, parse: async (text: string): Promise<unknown> => JSON.parse(text) as unknown }
  const { app } = await sessionApp(t, redis, { serializer })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { a: 1 } }))!
  await redis.cli('CONFIG', 'RESETSTAT')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), { a: 1 })
  t.equal(await commandCalls(redis, 'set'), 0, 'a read writes no payload')
  const update = await app.inject({ method: 'POST', url: '/set', payload: { b: 2 }, headers: cookieHeader(cookie.value) })
  t.equal(update.statusCode, 200, 'an update of an existing session, not a 409')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), { a: 1, b: 2 })
})

t.test('409s say what happened: destroyed meanwhile, or the id already in use', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { idGenerator: () => 'the-same-id-for-everyone-0123456789' }, (app) => {
    defaultRoutes(app)
    app.post('/destroyed-meanwhile', async (request) => {
      await redis.cli('DEL', `session:${request.session.sessionId}`)
      fields(request).b = 2
      return { ok: true }
    })
  })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { a: 1 } }))!
  const destroyed = await app.inject({ method: 'POST', url: '/destroyed-meanwhile', headers: cookieHeader(cookie.value) })
  t.equal(destroyed.statusCode, 409)
  t.equal(destroyed.json<{ code: string }>().code, 'FST_CODEX_SESSION_INTERRUPTED')
  await app.inject({ method: 'POST', url: '/set', payload: { a: 1 } })
  const taken = await app.inject({ method: 'POST', url: '/set', payload: { a: 2 } })
  t.equal(taken.statusCode, 409, 'a second client handed the same id')
  t.equal(taken.json<{ code: string }>().code, 'FST_CODEX_SESSION_INTERRUPTED')
  t.not(taken.json<{ message: string }>().message, destroyed.json<{ message: string }>().message, 'two different cases, two messages')
})

// express-session's Session copies a loaded field only `if (!(prop in this))` (express-session is no dependency here;
// checked with the real one too, behind the Store subclass the docs give).
t.test('under express-session’s copy every update is written, none dropped', async (t) => {
  const redis = await redisForTest(t)
  const store = new RedisSessionStore({ client: await connectedClient(t, redis) })
  class ExpressLikeSession {
    [key: string]: unknown
    constructor (data: Record<string, unknown>) {
      for (const prop in data) if (!(prop in this)) this[prop] = data[prop]
    }
  }
  const id = 'express-like-session-id-0123456789'
  const cookie = { expires: null, originalMaxAge: null }
  await store.set(id, new ExpressLikeSession({ cookie, n: 0 }) as unknown as Session)
  for (let i = 1; i <= 3; i++) {
    const loaded = await store.get(id) as unknown as Record<string, unknown>
    const session = new ExpressLikeSession(loaded)
    session.n = i
    await store.set(id, session as unknown as Session)
  }
  t.equal((await store.get(id) as unknown as { n: number }).n, 3, 'the last update is stored')
})
