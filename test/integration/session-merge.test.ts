import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { Gate } from '../helpers/gate.js'
import { redisForTest } from '../helpers/redis-server.js'
import { commandCalls, cookieHeader, defaultRoutes, fields, idOf, keys, sessionApp, setCookie } from '../helpers/session-app.js'

interface Change {
  /** The gate it waits at; none: it runs through. */
  gate?: 'a' | 'b' | 'c'
  set?: Record<string, unknown>
  del?: string[]
  /** Sets `cookie.maxAge` ("remember me"). */
  maxAge?: number
  /** Sets an absolute `cookie.expires` this many ms from now. */
  expiresIn?: number
}

/** POST /held {gate, set, del, maxAge, expiresIn}: loads the session, waits at its gate, then changes it (saved by @fastify/session). */
function heldRoutes (gates: Record<NonNullable<Change['gate']>, Gate>) {
  return (app: FastifyInstance): void => {
    defaultRoutes(app)
    app.post('/held', async (request) => {
      const { gate, set = {}, del = [], maxAge, expiresIn } = request.body as Change
      if (gate !== undefined) await gates[gate].hold()
      if (maxAge !== undefined) request.session.cookie.maxAge = maxAge
      if (expiresIn !== undefined) request.session.cookie.expires = new Date(Date.now() + expiresIn)
      for (const [key, value] of Object.entries(set)) fields(request)[key] = value
      for (const key of del) Reflect.deleteProperty(fields(request), key)
      return { ok: true }
    })
  }
}

function gates (): Record<NonNullable<Change['gate']>, Gate> {
  return { a: new Gate(), b: new Gate(), c: new Gate() }
}

async function start (app: FastifyInstance, gate: Gate, cookie: string, change: Change): Promise<() => Promise<LightMyRequestResponse>> {
  const arrived = gate.arrival()
  const pending = app.inject({ method: 'POST', url: '/held', payload: change, headers: cookieHeader(cookie) })
  await arrived
  return async () => {
    gate.open()
    return await pending
  }
}

t.test('two requests that loaded the same session: per-field merge, the later save wins a field both changed, deletions stay unless the other changed the field', async (t) => {
  const redis = await redisForTest(t)
  const g = gates()
  const { app } = await sessionApp(t, redis, {}, heldRoutes(g))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada', a: 1, b: 1, c: 1, d: 1, e: 1, both: 0, gone: 1 } }))!.value

  // Both load the same session, then A saves first and B (the later save) second.
  const finishA = await start(app, g.a, cookie, { gate: 'a', set: { a: 2, both: 'A', e: 7, added: 'by A' }, del: ['c', 'd', 'gone'] })
  const finishB = await start(app, g.b, cookie, { gate: 'b', set: { b: 2, both: 'B', d: 5 }, del: ['e', 'gone'] })
  t.equal((await finishA()).statusCode, 200)
  await redis.cli('CONFIG', 'RESETSTAT')
  const b = await finishB()
  t.equal(b.statusCode, 200, 'the later save is not refused')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie) })).json(), {
    user: 'ada',
    a: 2, // changed only by A
    b: 2, // changed only by B
    // c: deleted by A only
    d: 5, // deleted by A, changed by B: the change stays
    e: 7, // changed by A, deleted by B: the change stays
    both: 'B', // changed by both: the later save's
    added: 'by A' // added by A only
    // gone: deleted by both
  })
  t.equal(await commandCalls(redis, 'evalsha'), 2, 'the raced save: one compare that failed, one merged write')
})

t.test('with nothing raced, an update is one round trip: one script, its GET and SET', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user' })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  // A first update loads the script into Redis (EVALSHA, then EVAL once per server).
  await app.inject({ method: 'POST', url: '/set', payload: { cart: [] }, headers: cookieHeader(cookie) })
  await redis.cli('CONFIG', 'RESETSTAT')
  await app.inject({ method: 'POST', url: '/set', payload: { cart: ['book'] }, headers: cookieHeader(cookie) })
  const info = await redis.cli('INFO', 'commandstats')
  const calls = Object.fromEntries([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]))
  // GET: the load and the script's compare; evalsha: the update and the user index (sent together, as before).
  delete calls['config|resetstat']
  t.same(calls, { get: 2, evalsha: 2, set: 1, sadd: 1, pttl: 1, pexpire: 1 })
})

t.test('a session destroyed while two requests hold it is never brought back, merge or not', async (t) => {
  const redis = await redisForTest(t)
  const g = gates()
  const { app } = await sessionApp(t, redis, {}, heldRoutes(g))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  const finishA = await start(app, g.a, cookie, { gate: 'a', set: { a: 1 } })
  const finishB = await start(app, g.b, cookie, { gate: 'b', set: { b: 1 } })
  t.equal((await finishA()).statusCode, 200, 'A saved: B now has a merge to do')
  t.equal((await app.inject({ method: 'POST', url: '/logout', headers: cookieHeader(cookie) })).statusCode, 200)
  const b = await finishB()
  t.equal(b.statusCode, 409)
  t.equal(b.json<{ code: string }>().code, 'FST_CODEX_SESSION_INTERRUPTED')
  t.same(await keys(redis), [], 'still destroyed')
})

t.test('a destroy racing a save: whichever lands second, the session stays destroyed', async (t) => {
  const redis = await redisForTest(t)
  const g = gates()
  const { app } = await sessionApp(t, redis, {}, (app) => {
    heldRoutes(g)(app)
    app.post('/held-logout', async (request) => {
      await g.c.hold()
      await request.session.destroy()
      return { ok: true }
    })
  })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  const finishA = await start(app, g.a, cookie, { gate: 'a', set: { a: 1 } })
  const arrived = g.c.arrival()
  const logout = app.inject({ method: 'POST', url: '/held-logout', headers: cookieHeader(cookie) })
  await arrived
  // The save lands first, then the destroy: the destroy wins, as it would alone.
  t.equal((await finishA()).statusCode, 200)
  g.c.open()
  t.equal((await logout).statusCode, 200)
  t.same(await keys(redis), [])
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie) })).json(), {})
  t.equal(idOf(cookie).length > 0, true)
})

t.test('a burst of 24 requests saving one session at once: every save lands, none answers 409', async (t) => {
  const redis = await redisForTest(t)
  const gate = new Gate()
  const { app } = await sessionApp(t, redis, {}, (app) => {
    defaultRoutes(app)
    app.post('/burst/:n', async (request) => {
      await gate.hold()
      fields(request)[`f${(request.params as { n: string }).n}`] = true
      return { ok: true }
    })
  })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  const pending: Array<Promise<LightMyRequestResponse>> = []
  for (let n = 0; n < 24; n++) {
    const arrived = gate.arrival()
    pending.push(app.inject({ method: 'POST', url: `/burst/${n}`, headers: cookieHeader(cookie) }))
    await arrived
  }
  // Released together, the last of them finds the session rewritten by each of the 23 others in turn.
  gate.open()
  const statuses = (await Promise.all(pending)).map((reply) => reply.statusCode)
  t.same(statuses, Array(24).fill(200))
  const stored = (await app.inject({ url: '/read', headers: cookieHeader(cookie) })).json() as Record<string, unknown>
  t.same(Object.keys(stored).filter((name) => name.startsWith('f')).length, 24, 'every field was kept')
})

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** The stored payload's cookie and Redis's PTTL of the one session stored. */
async function stored (redis: RedisServerLike): Promise<{ cookie: { originalMaxAge: unknown, expires: unknown }, fields: Record<string, unknown>, pttl: number }> {
  const [key] = await keys(redis)
  const { cookie, ...rest } = JSON.parse(await redis.cli('GET', key!)) as { cookie: { originalMaxAge: unknown, expires: unknown } }
  return { cookie, fields: rest, pttl: Number(await redis.cli('PTTL', key!)) }
}

type RedisServerLike = Parameters<typeof keys>[0]

t.test('"remember me" set by one request survives a concurrent save of another: stored cookie, PX and the later reply\'s cookie', async (t) => {
  const redis = await redisForTest(t)
  const g = gates()
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: HOUR } }, heldRoutes(g))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { visits: 1 } }))!.value
  const finishA = await start(app, g.a, cookie, { gate: 'a', set: { cart: ['tea'] } })
  // B logs in with "remember me" while A is held.
  const b = await app.inject({ method: 'POST', url: '/held', payload: { maxAge: 30 * DAY, set: { user: 'ada' } }, headers: cookieHeader(cookie) })
  t.equal(b.statusCode, 200)
  t.ok((await stored(redis)).pttl > 29 * DAY, 'B stored 30 days')
  const a = await finishA()
  t.equal(a.statusCode, 200)
  const after = await stored(redis)
  t.same(after.fields, { visits: 1, cart: ['tea'], user: 'ada' }, 'both changes kept')
  t.equal(after.cookie.originalMaxAge, 30 * DAY, 'the stored cookie keeps the 30-day maxAge')
  t.ok(after.pttl > 29 * DAY, `Redis keeps it 30 days (PTTL ${after.pttl})`)
  t.ok(setCookie(a)!.expires!.getTime() > Date.now() + 29 * DAY, "A's reply sends the 30-day cookie")
  // And every later request keeps it.
  const later = await app.inject({ method: 'POST', url: '/set', payload: { n: 2 }, headers: cookieHeader(cookie) })
  t.ok(setCookie(later)!.expires!.getTime() > Date.now() + 29 * DAY)
  t.equal((await stored(redis)).cookie.originalMaxAge, 30 * DAY)
})

t.test('a cookie lifetime changed by both concurrent requests: the later save\'s', async (t) => {
  const redis = await redisForTest(t)
  const g = gates()
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: HOUR } }, heldRoutes(g))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { visits: 1 } }))!.value
  const finishA = await start(app, g.a, cookie, { gate: 'a', maxAge: 7 * DAY, set: { a: 1 } })
  t.equal((await app.inject({ method: 'POST', url: '/held', payload: { maxAge: 30 * DAY, set: { b: 1 } }, headers: cookieHeader(cookie) })).statusCode, 200)
  const a = await finishA()
  t.equal(a.statusCode, 200)
  const after = await stored(redis)
  t.same(after.fields, { visits: 1, a: 1, b: 1 })
  t.equal(after.cookie.originalMaxAge, 7 * DAY, 'A saved later: its 7 days')
  t.ok(after.pttl <= 7 * DAY && after.pttl > 6 * DAY, `PTTL ${after.pttl}`)
  t.ok(setCookie(a)!.expires!.getTime() <= Date.now() + 7 * DAY)
})

t.test('an absolute expiry set by one request survives a concurrent save of another', async (t) => {
  const redis = await redisForTest(t)
  const g = gates()
  const { app } = await sessionApp(t, redis, {}, heldRoutes(g))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { visits: 1 } }))!.value
  t.equal((await stored(redis)).cookie.expires, null, 'a browser-session cookie to begin with')
  const finishA = await start(app, g.a, cookie, { gate: 'a', set: { cart: ['tea'] } })
  t.equal((await app.inject({ method: 'POST', url: '/held', payload: { expiresIn: 10 * DAY }, headers: cookieHeader(cookie) })).statusCode, 200)
  const expires = (await stored(redis)).cookie.expires
  t.type(expires, 'string', 'B stored an absolute expiry')
  const a = await finishA()
  t.equal(a.statusCode, 200)
  const after = await stored(redis)
  t.same(after.fields, { visits: 1, cart: ['tea'] })
  t.equal(after.cookie.expires, expires, "B's expiry, exactly")
  t.ok(after.pttl > 9 * DAY && after.pttl <= 10 * DAY + 1000, `PTTL ${after.pttl}`)
  t.equal(setCookie(a)!.expires!.getTime(), Math.floor(Date.parse(expires as string) / 1000) * 1000, "A's reply sends B's expiry")
})

t.test('a "remember me" taken over by a merge stays within absoluteTimeout', async (t) => {
  const redis = await redisForTest(t)
  const g = gates()
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 60_000 }, absoluteTimeout: 7200 }, heldRoutes(g))
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { visits: 1 } }))!.value
  const finishA = await start(app, g.a, cookie, { gate: 'a', set: { cart: ['tea'] } })
  t.equal((await app.inject({ method: 'POST', url: '/held', payload: { maxAge: 30 * DAY }, headers: cookieHeader(cookie) })).statusCode, 200)
  const a = await finishA()
  t.equal(a.statusCode, 200)
  const after = await stored(redis)
  t.equal(after.cookie.originalMaxAge, 30 * DAY, 'the maxAge is taken')
  t.ok(after.pttl > 60_000 && after.pttl <= 2 * HOUR, `but the PX stops at the absolute timeout (PTTL ${after.pttl})`)
  t.ok(setCookie(a)!.expires!.getTime() <= Date.now() + 2 * HOUR, 'and so does the cookie')
})
