import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { redisForTest } from '../helpers/redis-server.js'
import { Gate } from '../helpers/gate.js'
import { commandCalls, cookieHeader, defaultRoutes, fields, idOf, keys, sessionApp, setCookie } from '../helpers/session-app.js'

/** Routes that load the session, then wait for the test to let them finish. */
function heldRoutes (gate: Gate) {
  return (app: FastifyInstance): void => {
    defaultRoutes(app)
    const hold = (): Promise<void> => gate.hold()
    app.post('/slow-write', async (request) => {
      await hold()
      fields(request).cart = ['late item']
      return { ok: true }
    })
    app.get('/slow-read', async (request) => {
      await hold()
      return { user: fields(request).user ?? null }
    })
  }
}

t.test('a session destroyed while a request runs is not written back: that request gets 409', async (t) => {
  const redis = await redisForTest(t)
  const gate = new Gate()
  const { app } = await sessionApp(t, redis, {}, heldRoutes(gate))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  const key = `session:${idOf(cookie.value)}`

  const arrived = gate.arrival()
  const slow = app.inject({ method: 'POST', url: '/slow-write', headers: cookieHeader(cookie.value) })
  await arrived
  const logout = await app.inject({ method: 'POST', url: '/logout', headers: cookieHeader(cookie.value) })
  t.equal(logout.statusCode, 200, 'logout in another tab')
  gate.open()

  const res = await slow
  t.equal(res.statusCode, 409)
  t.equal(res.json().code, 'FST_CODEX_SESSION_INTERRUPTED')
  t.equal(setCookie(res), undefined, 'no cookie for a session that is gone')
  t.same(await keys(redis), [], 'the session stays destroyed')
  t.equal(await redis.cli('EXISTS', key), '0\n')
})

t.test('a read-only request holding a destroyed session ends normally and brings nothing back', async (t) => {
  const redis = await redisForTest(t)
  const gate = new Gate()
  // A 2 s lifetime: the request below arrives late enough to attempt an expiry refresh.
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 2000 } }, heldRoutes(gate))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  await new Promise((resolve) => setTimeout(resolve, 400))
  await redis.cli('CONFIG', 'RESETSTAT')

  const arrived = gate.arrival()
  const slow = app.inject({ url: '/slow-read', headers: cookieHeader(cookie.value) })
  await arrived
  await app.inject({ method: 'POST', url: '/logout', headers: cookieHeader(cookie.value) })
  gate.open()

  const res = await slow
  t.equal(res.statusCode, 200, 'it read what it had loaded')
  t.same(res.json(), { user: 'ada' })
  t.equal(await commandCalls(redis, 'evalsha'), 1, 'it did try to refresh the expiry (only over the text it loaded)')
  t.equal(await commandCalls(redis, 'set'), 0)
  t.same(await keys(redis), [], 'the refresh did not recreate the session')
})

t.test('a read-only request whose expiry refresh comes after another request\'s write does not undo that write', async (t) => {
  const redis = await redisForTest(t)
  const gate = new Gate()
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 2000 } }, heldRoutes(gate))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  await new Promise((resolve) => setTimeout(resolve, 400))

  const arrived = gate.arrival()
  const slow = app.inject({ url: '/slow-read', headers: cookieHeader(cookie.value) })
  await arrived
  const write = await app.inject({ method: 'POST', url: '/set', payload: { cart: 'book' }, headers: cookieHeader(cookie.value) })
  t.equal(write.statusCode, 200, 'another tab changes the session')
  await redis.cli('CONFIG', 'RESETSTAT')
  gate.open()

  t.equal((await slow).statusCode, 200)
  t.equal(await commandCalls(redis, 'evalsha'), 1, 'the read-only request tried its refresh')
  t.equal(await commandCalls(redis, 'set'), 0, 'and wrote nothing over the newer payload')
  const read = await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })
  t.same(read.json(), { user: 'ada', cart: 'book' }, 'the other tab\'s change is kept')
})

t.test('revoking a user while one of their requests runs: that request cannot save the session back', async (t) => {
  const redis = await redisForTest(t)
  const gate = new Gate()
  const { app } = await sessionApp(t, redis, { userKey: 'user' }, heldRoutes(gate))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' } }))!

  const arrived = gate.arrival()
  const slow = app.inject({ method: 'POST', url: '/slow-write', headers: cookieHeader(cookie.value) })
  await arrived
  t.equal(await app.sessions.revokeUser('ada'), 1)
  gate.open()

  const res = await slow
  t.equal(res.statusCode, 409)
  t.equal(res.json().code, 'FST_CODEX_SESSION_INTERRUPTED')
  t.same(await app.sessions.listUser('ada'), [])
  t.equal(await app.sessions.count(), 0)
})
