import t from 'tap'
import { redisForTest } from '../helpers/redis-server.js'
import { CARRIED } from '../../lib/session/state.js'
import { commandCalls, cookieHeader, defaultRoutes, fields, idOf, keys, sessionApp, setCookie } from '../helpers/session-app.js'

t.test('a visitor who stores nothing gets no cookie and no Redis key', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  const res = await app.inject('/read')
  t.equal(res.statusCode, 200)
  t.equal(setCookie(res), undefined)
  t.same(await keys(redis), [])
})

t.test('a session is stored under {projectName}:{keyPrefix}:{id} as strict JSON with its cookie', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { projectName: 'shop', keyPrefix: 'sess' })
  const res = await app.inject({ method: 'POST', url: '/set', payload: { cart: ['apple'], n: 1 } })
  const cookie = setCookie(res)
  t.ok(cookie, 'the cookie is set once there is something to keep')
  const id = idOf(cookie!.value)
  t.same(await keys(redis), [`shop:sess:${id}`])
  const stored = JSON.parse(await redis.cli('GET', `shop:sess:${id}`)) as Record<string, unknown>
  t.same(stored.cart, ['apple'])
  t.equal(stored.n, 1)
  t.match(stored.cookie, { expires: null, path: '/', httpOnly: true })

  const { app: plain } = await sessionApp(t, redis, { keyPrefix: 'plain' })
  const other = setCookie(await plain.inject({ method: 'POST', url: '/set', payload: { n: 2 } }))
  t.same(await keys(redis, 'plain:*'), [`plain:${idOf(other!.value)}`], 'an empty projectName is omitted')
})

t.test('a request that only reads its session writes nothing to Redis', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { visits: 1 } }))!
  await redis.cli('CONFIG', 'RESETSTAT')
  for (let i = 0; i < 20; i++) {
    const res = await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })
    t.same(res.json(), { visits: 1 })
  }
  t.equal(await commandCalls(redis, 'set'), 0, 'no SET')
  t.equal(await commandCalls(redis, 'pexpire'), 0, 'no expiry refresh: the 14-day lifetime is barely used')
  t.equal(await commandCalls(redis, 'evalsha') + await commandCalls(redis, 'eval'), 0, 'no script')
  t.equal(await commandCalls(redis, 'get'), 20, 'one GET per load')
  t.equal(await commandCalls(redis, 'pttl'), 0, 'and no PTTL: the key\'s expiry travels in the payload')
})

t.test('a changed session is updated in place and keeps its id', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  const first = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { a: 1 } }))!
  await redis.cli('CONFIG', 'RESETSTAT')
  const res = await app.inject({ method: 'POST', url: '/set', payload: { b: 2 }, headers: cookieHeader(first.value) })
  t.equal(res.statusCode, 200)
  t.equal(setCookie(res)?.value, first.value, 'same session id')
  t.equal(await commandCalls(redis, 'set'), 1, 'one write')
  const read = await app.inject({ url: '/read', headers: cookieHeader(first.value) })
  t.same(read.json(), { a: 1, b: 2 })
  t.same(await keys(redis), [`session:${idOf(first.value)}`])
})

t.test('saving in the handler and again in onSend writes once', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {}, (app) => {
    app.post('/save', async (request) => {
      fields(request).step = 1
      await request.session.save()
      return { ok: true }
    })
  })
  await redis.cli('CONFIG', 'RESETSTAT')
  const res = await app.inject({ method: 'POST', url: '/save' })
  t.equal(res.statusCode, 200)
  t.ok(setCookie(res))
  t.equal(await commandCalls(redis, 'set'), 1)
})

t.test('regenerate() deletes the old key and carries on under a new id', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  const before = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { theme: 'dark' } }))!
  const res = await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' }, headers: cookieHeader(before.value) })
  t.equal(res.statusCode, 200)
  const after = setCookie(res)!
  t.not(idOf(after.value), idOf(before.value), 'a new id: a fixated id is worthless')
  t.same(await keys(redis), [`session:${idOf(after.value)}`], 'the old key is gone')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(after.value) })).json(), { user: 'ada' })
  t.same((await app.inject({ url: '/read', headers: cookieHeader(before.value) })).json(), {}, 'the old cookie opens nothing')
})

t.test('regenerate() stores no empty session: a login costs one write, a bare id rotation none', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {}, (app) => {
    defaultRoutes(app)
    app.post('/rotate', async (request) => {
      await request.session.regenerate()
      return { ok: true }
    })
  })
  const before = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { theme: 'dark' } }))!
  await redis.cli('CONFIG', 'RESETSTAT')
  const login = await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' }, headers: cookieHeader(before.value) })
  t.equal(await commandCalls(redis, 'set'), 1, 'one SET for the new session, with its user')
  const after = setCookie(login)!
  t.same(await keys(redis), [`session:${idOf(after.value)}`])

  const rotated = await app.inject({ method: 'POST', url: '/rotate', headers: cookieHeader(after.value) })
  t.equal(rotated.statusCode, 200)
  t.equal(await commandCalls(redis, 'set'), 1, 'nothing written for the empty new session')
  t.same(await keys(redis), [], 'and nothing left behind that no cookie names')
  t.equal(setCookie(rotated)?.value, '', 'the old cookie is cleared')
})

t.test('destroy() deletes the key', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  const res = await app.inject({ method: 'POST', url: '/logout', headers: cookieHeader(cookie.value) })
  t.equal(res.statusCode, 200)
  t.same(await keys(redis), [])
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), {})
})

t.test('the state a loaded session carries (its one key of ours) stays out of JSON and of the payload', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {}, (app) => {
    defaultRoutes(app)
    app.get('/shape', async (request) => ({
      keys: Object.keys(request.session),
      json: JSON.parse(JSON.stringify(request.session)) as unknown,
      marker: Object.hasOwn(request.session, CARRIED)
    }))
  })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { a: 1 } }))!
  const shape = (await app.inject({ url: '/shape', headers: cookieHeader(cookie.value) })).json()
  t.same(shape.keys, ['cookie', 'a', CARRIED], 'copied by @fastify/session with the fields: never written to its prototype')
  t.ok(shape.marker)
  t.same(Object.keys(shape.json), ['cookie', 'a'])
  const stored = await redis.cli('GET', `session:${idOf(cookie.value)}`)
  t.notMatch(stored, 'fastify-codex', 'nothing of ours in the payload')
})

t.test('data that is not strict JSON fails the request and leaves the stored session as it was', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {}, (app) => {
    defaultRoutes(app)
    app.post('/date', async (request) => {
      fields(request).when = new Date()
      return { ok: true }
    })
    // safe-stable-stringify drops BigInts, so @fastify/session's isModified() misses this change.
    app.post('/bigint', async (request) => {
      fields(request).a = 1n
      return { ok: true }
    })
  })
  const fresh = await app.inject({ method: 'POST', url: '/date' })
  t.equal(fresh.statusCode, 500)
  t.equal(fresh.json().code, 'FST_CODEX_NOT_SERIALIZABLE')
  t.equal(setCookie(fresh), undefined, 'no cookie for a session that was not stored')
  t.same(await keys(redis), [], 'a new session is not created')

  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { a: 1 } }))!
  const key = `session:${idOf(cookie.value)}`
  const before = await redis.cli('GET', key)
  for (const url of ['/date', '/bigint']) {
    const res = await app.inject({ method: 'POST', url, headers: cookieHeader(cookie.value) })
    t.equal(res.statusCode, 500, url)
    t.equal(res.json().code, 'FST_CODEX_NOT_SERIALIZABLE', url)
    t.equal(await redis.cli('GET', key), before, `${url}: stored session unchanged`)
  }
})

t.test('a new session is created with SET NX: an id already in use is never overwritten', async (t) => {
  const redis = await redisForTest(t)
  await redis.cli('SET', 'session:taken', '{"cookie":{"expires":null},"owner":"someone else"}', 'EX', '60')
  const { app } = await sessionApp(t, redis, { idGenerator: () => 'taken' })
  const res = await app.inject({ method: 'POST', url: '/set', payload: { owner: 'me' } })
  t.equal(res.statusCode, 409)
  t.equal(res.json().code, 'FST_CODEX_SESSION_INTERRUPTED')
  t.equal(setCookie(res), undefined)
  t.match(await redis.cli('GET', 'session:taken'), '"owner":"someone else"')
})
