import { Signer } from '@fastify/cookie'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { Gate } from '../helpers/gate.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'
import { SECRET, commandCalls, cookieHeader, defaultRoutes, fields, idOf, sessionApp, setCookie } from '../helpers/session-app.js'
import { timed } from '../helpers/stall-meter.js'
import { until } from '../helpers/until.js'

// Not smaller: setup requests share this deadline, and a loaded machine can stall a few hundred ms.
const COMMAND_TIMEOUT = 600
// The deadline plus generous scheduling slack on a loaded CI machine.
const WITHIN = COMMAND_TIMEOUT + 700

/** defaultRoutes, plus routes that wait for the test after loading the session, then write, log out or log in. */
function heldRoutes (gate: Gate) {
  return (app: FastifyInstance): void => {
    defaultRoutes(app)
    const hold = (): Promise<void> => gate.hold()
    app.post('/held/write', async (request) => {
      await hold()
      fields(request).cart = ['item']
      return { ok: true }
    })
    app.post('/held/logout', async (request) => {
      await hold()
      await request.session.destroy()
      return { ok: true }
    })
    app.post('/held/login', async (request) => {
      await hold()
      await request.session.regenerate()
      fields(request).user = 'ada'
      return { ok: true }
    })
  }
}

/**
 * Waits for the held write to land once Redis is resumed: the update script's first run on a server is EVALSHA, then
 * EVAL on NOSCRIPT, so its SET may execute after any command queued behind the EVALSHA.
 */
async function landed (redis: RedisServer, cookieValue: string): Promise<void> {
  await until(async () => (await redis.cli('GET', `session:${idOf(cookieValue)}`)).includes('cart'), 5000)
}

function assertUnavailable (t: Test, res: { statusCode: number, json: () => { code?: unknown } }, what: string): void {
  t.equal(res.statusCode, 503, `${what}: 503`)
  t.equal(res.json().code, 'FST_CODEX_REDIS_UNAVAILABLE', `${what}: our code in the body`)
}

t.test('a hung Redis fails a request with a session in 503 within commandTimeout', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { commandTimeout: COMMAND_TIMEOUT })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  redis.pause()
  t.teardown(() => redis.resume())
  const { value: res, elapsed, stalled } = await timed(async () => await app.inject({ url: '/read', headers: cookieHeader(cookie.value) }), COMMAND_TIMEOUT)
  assertUnavailable(t, res, 'load')
  t.ok(elapsed >= COMMAND_TIMEOUT - 20 && elapsed - stalled < WITHIN, `answered after ${elapsed.toFixed(0)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
  t.equal(setCookie(res), undefined, 'no fresh session handed out')
  redis.resume()
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), { user: 'ada' }, 'the session survived')
})

t.test('a dead Redis fails a request with a session in 503 at once', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { commandTimeout: COMMAND_TIMEOUT })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  await redis.kill()
  const started = Date.now()
  const res = await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })
  assertUnavailable(t, res, 'load')
  t.ok(Date.now() - started < WITHIN)
  t.equal(setCookie(res), undefined)
})

t.test('a vanished unix socket (ENOENT) is 503, never "no session"', async (t) => {
  const steps = [
    { url: '/held/write', what: 'save' },
    { url: '/held/logout', what: 'destroy' },
    { url: '/held/login', what: 'regenerate' }
  ]
  for (const { url, what } of steps) {
    const redis = await redisForTest(t, { unixSocket: true })
    const gate = new Gate()
    const { app } = await sessionApp(t, redis, { commandTimeout: COMMAND_TIMEOUT }, heldRoutes(gate))
    const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!

    const arrived = gate.arrival()
    const held = app.inject({ method: 'POST', url, headers: cookieHeader(cookie.value) })
    await arrived
    await redis.removeSocket()
    gate.open()
    const res = await held
    assertUnavailable(t, res, what)
    const sent = setCookie(res)
    // A failed regenerate() clears the old cookie: @fastify/session has already switched to the new session.
    t.ok(sent === undefined || sent.value === '', `${what}: no new session cookie`)

    assertUnavailable(t, await app.inject({ url: '/read', headers: cookieHeader(cookie.value) }), `load after ${what}`)
  }
})

t.test('a Redis error reply is a 500 FST_CODEX_REDIS_ERROR, not an empty session', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { idGenerator: () => 'fixed' })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  await redis.cli('DEL', 'session:fixed')
  await redis.cli('HSET', 'session:fixed', 'not', 'a string')
  const res = await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })
  t.equal(res.statusCode, 500)
  t.equal(res.json().code, 'FST_CODEX_REDIS_ERROR')
})

t.test('a save that timed out is not tried again for the error reply', async (t) => {
  const redis = await redisForTest(t)
  const gate = new Gate()
  const { app } = await sessionApp(t, redis, { commandTimeout: COMMAND_TIMEOUT }, heldRoutes(gate))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  await redis.cli('CONFIG', 'RESETSTAT')

  const arrived = gate.arrival()
  const held = app.inject({ method: 'POST', url: '/held/write', headers: cookieHeader(cookie.value) })
  await arrived
  redis.pause()
  t.teardown(() => redis.resume())
  gate.open()
  const { value: res, elapsed, stalled } = await timed(async () => await held, COMMAND_TIMEOUT)
  assertUnavailable(t, res, 'save')
  // Two deadlines would take 2 × 600 ms.
  t.ok(elapsed - stalled < 2 * COMMAND_TIMEOUT - 100, `one deadline, not two (${elapsed.toFixed(0)} ms, ${stalled.toFixed(0)} ms of it a stalled loop)`)
  t.equal(setCookie(res), undefined, 'the error reply sets no cookie')
  redis.resume()
  await landed(redis, cookie.value)
  t.equal(await commandCalls(redis, 'set'), 1, 'only the first attempt reached Redis')
})

t.test('a reader signed with an older secret whose save times out gets 503, no cookie, and one write attempt', async (t) => {
  const redis = await redisForTest(t)
  const OLD = 'the-previous-secret-of-at-least-32-chars'
  const gate = new Gate()
  const options = { commandTimeout: COMMAND_TIMEOUT, secret: [SECRET, OLD], rolling: false }
  const { app } = await sessionApp(t, redis, options, heldRoutes(gate))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  const old = new Signer(OLD).sign(idOf(cookie.value))
  await redis.cli('CONFIG', 'RESETSTAT')

  const arrived = gate.arrival()
  const held = app.inject({ method: 'POST', url: '/held/write', headers: cookieHeader(old) })
  await arrived
  redis.pause()
  t.teardown(() => redis.resume())
  gate.open()
  const res = await held
  assertUnavailable(t, res, 'rotated save')
  t.equal(setCookie(res), undefined, 'neither the re-signed cookie nor a clearing one')
  redis.resume()
  await landed(redis, cookie.value)
  t.equal(await commandCalls(redis, 'set'), 1, 'the save reached Redis once')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(old) })).json(), { user: 'ada', cart: ['item'] },
    'the timed-out write landed once Redis woke, and the old cookie still reads it')
})
