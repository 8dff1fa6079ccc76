import t from 'tap'
import { CARRIED } from '../../lib/session/state.js'
import { Gate } from '../helpers/gate.js'
import { redisForTest } from '../helpers/redis-server.js'
import { commandCalls, cookieHeader, defaultRoutes, fields, idOf, keys, sessionApp, setCookie } from '../helpers/session-app.js'

t.test('saveUninitialized: false — an explicitly saved empty session is stored, so its cookie names a session', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {}, (app) => {
    defaultRoutes(app)
    app.post('/save-empty', async (request) => {
      await request.session.save()
      return { ok: true }
    })
  })
  const res = await app.inject({ method: 'POST', url: '/save-empty' })
  t.equal(res.statusCode, 200)
  const cookie = setCookie(res)
  t.ok(cookie !== undefined, 'the cookie of an explicitly saved session is sent')
  t.same(await keys(redis), [`session:${idOf(cookie!.value)}`], 'and the session it names exists')
  const again = await app.inject({ url: '/read', headers: cookieHeader(cookie!.value) })
  t.equal(setCookie(again)?.value, cookie!.value, 'the same session on the next request')
})

t.test('a visitor who stores nothing still costs nothing', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  await redis.cli('CONFIG', 'RESETSTAT')
  t.equal(setCookie(await app.inject('/read')), undefined)
  t.equal(await commandCalls(redis, 'set'), 0)
})

t.test('reload() does not bring the store marker into the session', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {}, (app) => {
    defaultRoutes(app)
    app.post('/reload', async (request) => {
      const before = Object.keys(request.session)
      await request.session.reload()
      const after = Object.keys(request.session).filter((key) => key !== CARRIED)
      fields(request).seen = after.length
      return { before, after, json: JSON.parse(JSON.stringify(request.session)) as unknown }
    })
  })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  await redis.cli('CONFIG', 'RESETSTAT')
  const res = await app.inject({ method: 'POST', url: '/reload', headers: cookieHeader(cookie.value) })
  t.equal(res.statusCode, 200)
  const body = res.json<{ before: string[], after: string[], json: unknown }>()
  t.ok(body.before.includes(CARRIED), 'the loaded state, carried by @fastify/session\'s copy')
  t.notOk(JSON.stringify(body.json).includes(CARRIED), 'never in JSON')
  t.ok(body.after.includes('user'))
  t.equal(await commandCalls(redis, 'set'), 1, 'the reloaded session is updated, once')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), { user: 'ada', seen: 2 })
})

t.test('a login is one write, with or without regenerate(keys)', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {}, (app) => {
    defaultRoutes(app)
    app.post('/login-keep', async (request) => {
      await request.session.regenerate(['cart'])
      fields(request).user = 'ada'
      return { ok: true }
    })
    app.post('/rotate', async (request) => {
      await request.session.regenerate()
      return { ok: true }
    })
  })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { cart: ['x'] } }))!
  await redis.cli('CONFIG', 'RESETSTAT')
  const login = await app.inject({ method: 'POST', url: '/login-keep', headers: cookieHeader(cookie.value) })
  const next = setCookie(login)!
  t.not(next.value, cookie.value, 'a new id')
  t.equal(await commandCalls(redis, 'set'), 1, 'regenerate([cart]) then a field: one write')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(next.value) })).json(), { cart: ['x'], user: 'ada' })
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), {}, 'the old id is gone')

  await redis.cli('CONFIG', 'RESETSTAT')
  await app.inject({ method: 'POST', url: '/login', payload: { user: 'bob' } })
  t.equal(await commandCalls(redis, 'set'), 1, 'regenerate() then a field: one write')

  await redis.cli('CONFIG', 'RESETSTAT')
  await app.inject({ method: 'POST', url: '/rotate', headers: cookieHeader(next.value) })
  t.equal(await commandCalls(redis, 'set'), 0, 'a bare id rotation writes nothing')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(next.value) })).json(), {}, 'and ends the old session')
})

t.test('a handler that catches a failed save and retries once Redis is back succeeds', async (t) => {
  const redis = await redisForTest(t)
  const loaded = new Gate()
  const gate = new Gate()
  const { app } = await sessionApp(t, redis, { commandTimeout: 1000 }, (app) => {
    defaultRoutes(app)
    app.post('/retry', async (request) => {
      await loaded.hold()
      fields(request).cart = ['item']
      try {
        await request.session.save()
        return { first: 'saved' }
      } catch (err) {
        await gate.hold()
        await request.session.save()
        return { first: (err as { code?: string }).code }
      }
    })
  })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  const inHandler = loaded.arrival()
  const arrived = gate.arrival()
  const held = app.inject({ method: 'POST', url: '/retry', headers: cookieHeader(cookie.value) })
  await inHandler
  redis.pause()
  t.teardown(() => redis.resume())
  loaded.open()
  await arrived
  redis.resume()
  gate.open()
  const res = await held
  t.equal(res.statusCode, 200)
  t.same(res.json(), { first: 'FST_CODEX_REDIS_UNAVAILABLE' })
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), { user: 'ada', cart: ['item'] })
})

t.test('a new session whose first save timed out but landed is saved by the retry', async (t) => {
  const redis = await redisForTest(t)
  const gate = new Gate()
  const { app } = await sessionApp(t, redis, { commandTimeout: 1000 }, (app) => {
    defaultRoutes(app)
    app.post('/retry-new', async (request) => {
      fields(request).user = 'ada'
      try {
        await request.session.save()
      } catch {
        await gate.hold()
        fields(request).retried = true
        await request.session.save()
      }
      return { ok: true }
    })
  })
  redis.pause()
  t.teardown(() => redis.resume())
  const arrived = gate.arrival()
  const held = app.inject({ method: 'POST', url: '/retry-new' })
  await arrived
  redis.resume()
  // The stalled SET NX lands when Redis wakes: the retry must see its own write, not a stranger's id.
  await app.sessions.count()
  gate.open()
  const res = await held
  t.equal(res.statusCode, 200)
  const cookie = setCookie(res)!
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), { user: 'ada', retried: true })
})

t.test('a failed save the handler lets through is not written by the error reply, even once Redis is back', async (t) => {
  const redis = await redisForTest(t)
  const loaded = new Gate()
  const gate = new Gate()
  const { app } = await sessionApp(t, redis, { commandTimeout: 1000 }, (app) => {
    defaultRoutes(app)
    app.post('/give-up', async (request) => {
      await loaded.hold()
      fields(request).cart = ['item']
      try {
        await request.session.save()
      } catch (err) {
        await gate.hold()
        throw err
      }
      return { ok: true }
    })
  })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  const inHandler = loaded.arrival()
  const arrived = gate.arrival()
  const held = app.inject({ method: 'POST', url: '/give-up', headers: cookieHeader(cookie.value) })
  await inHandler
  redis.pause()
  t.teardown(() => redis.resume())
  loaded.open()
  await arrived
  redis.resume()
  // The stalled SET XX lands now; what matters is that nothing is written after the client got its 503.
  await app.sessions.count()
  await redis.cli('SET', `session:${idOf(cookie.value)}`, '{"cookie":{"expires":null},"user":"ada","marker":"after"}', 'KEEPTTL')
  gate.open()
  const res = await held
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_CODEX_REDIS_UNAVAILABLE')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), { user: 'ada', marker: 'after' },
    'the error reply wrote nothing')
})
