import { createClient } from '@redis/client'
import t, { type Test } from 'tap'
import { REFRESH_FRACTION } from '../../lib/session/expiry.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'
import { commandCalls, cookieHeader, defaultRoutes, fields, idOf, keys, sessionApp, setCookie } from '../helpers/session-app.js'

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** PTTL through an in-process client, bracketed by the clock: Redis drops the key no later than `latest`. */
async function redisExpiry (t: Test, redis: RedisServer) {
  const client = createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.destroy())
  return async (key: string): Promise<{ pttl: number, latest: number }> => {
    const pttl = await client.pTTL(key)
    return { pttl, latest: Date.now() + pttl }
  }
}

/** Refreshes: the payload's storeExpires moves with the PX, by a script that writes only over the text loaded. */
async function refreshCalls (redis: Parameters<typeof commandCalls>[0]): Promise<number> {
  // One EVALSHA per refresh (an EVAL follows only the first, NOSCRIPT one).
  return await commandCalls(redis, 'evalsha')
}

/** At most one refresh per tenth of the lifetime, whatever the request rate; and far fewer than requests. */
function assertRareRefreshes (t: Test, refreshes: number, requests: number, elapsed: number, lifetime: number): void {
  t.ok(refreshes >= 1, `the expiry moved along (${refreshes} refreshes)`)
  t.ok(refreshes <= Math.ceil(elapsed / (REFRESH_FRACTION * lifetime)) + 1, `${refreshes} refreshes in ${elapsed} ms`)
  t.ok(refreshes * 2 <= requests, `${refreshes} refreshes for ${requests} requests`)
}

t.test('the TTL is the time until the cookie expires, rounded up to whole seconds', async (t) => {
  const redis = await redisForTest(t)
  const expiry = await redisExpiry(t, redis)
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 5500 } })
  const res = await app.inject({ method: 'POST', url: '/set', payload: { a: 1 } })
  const cookie = setCookie(res)!
  const { pttl, latest } = await expiry(`session:${idOf(cookie.value)}`)
  t.ok(pttl > 5000 && pttl <= 6000, `PTTL ${pttl} is 6 s minus the time since the write`)
  t.ok(cookie.expires !== undefined && cookie.expires.getTime() <= latest, 'Redis keeps it at least as long as the cookie')
})

t.test('without maxAge or expires, the ttl option is the lifetime', async (t) => {
  const redis = await redisForTest(t)
  const expiry = await redisExpiry(t, redis)
  const { app } = await sessionApp(t, redis, { ttl: 120 })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { a: 1 } }))!
  t.equal(cookie.expires, undefined, 'a browser-session cookie')
  const { pttl } = await expiry(`session:${idOf(cookie.value)}`)
  t.ok(pttl > 119_000 && pttl <= 120_000, `PTTL ${pttl}`)
})

t.test('a session past its expiry is deleted, never written', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 60_000 } }, (app) => {
    defaultRoutes(app)
    app.post('/expire', async (request) => {
      fields(request).touched = true
      request.session.cookie.expires = new Date(Date.now() - 1000)
      return { ok: true }
    })
  })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { a: 1 } }))!
  await redis.cli('CONFIG', 'RESETSTAT')
  const res = await app.inject({ method: 'POST', url: '/expire', headers: cookieHeader(cookie.value) })
  t.equal(res.statusCode, 200)
  t.same(await keys(redis), [], 'deleted')
  t.equal(await commandCalls(redis, 'set'), 0, 'not written with a TTL <= 0')

  const fresh = await app.inject({ method: 'POST', url: '/expire' })
  t.equal(fresh.statusCode, 200)
  t.same(await keys(redis), [], 'a new session born expired is not written either')
})

t.test('with rolling, an active session outlives maxAge at well under one write per request', async (t) => {
  const redis = await redisForTest(t)
  const expiry = await redisExpiry(t, redis)
  // A whole number of seconds: Redis gets exactly the cookie's lifetime, with no rounding slack to hide behind.
  const maxAge = 2000
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge } })
  let cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  const key = `session:${idOf(cookie.value)}`
  await redis.cli('CONFIG', 'RESETSTAT')

  const started = Date.now()
  let requests = 0
  let shortfalls = 0
  while (Date.now() - started < 2.5 * maxAge) {
    const res = await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })
    requests++
    t.same(res.json(), { user: 'ada' }, 'still the same session')
    cookie = setCookie(res) ?? cookie
    const { latest } = await expiry(key)
    if (cookie.expires === undefined || cookie.expires.getTime() > latest) shortfalls++
    await sleep(20)
  }
  t.equal(shortfalls, 0, 'the browser never holds the cookie longer than Redis holds the session')
  const refreshes = await refreshCalls(redis)
  t.equal(await commandCalls(redis, 'set'), refreshes, 'no payload write: every SET is a refresh, over the text loaded')
  assertRareRefreshes(t, refreshes, requests, Date.now() - started, maxAge)
  const stored = JSON.parse(await redis.cli('GET', key) as string) as { cookie: { expires: string, storeExpires: number } }
  t.ok(Date.parse(stored.cookie.expires) >= Date.now(), 'no stale stored expiry: the refresh moved it too')
  t.ok(stored.cookie.storeExpires >= Date.parse(stored.cookie.expires), 'the key lives at least as long as the stored expiry')
})

t.test('an idle session expires with its cookie', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 1000 } })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  await sleep(1300)
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), {})
  t.same(await keys(redis), [])
})

t.test('a browser-session cookie rolls the server-side ttl the same way', async (t) => {
  const redis = await redisForTest(t)
  const ttl = 2
  const { app } = await sessionApp(t, redis, { ttl })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  await redis.cli('CONFIG', 'RESETSTAT')
  const started = Date.now()
  let requests = 0
  while (Date.now() - started < 1.2 * ttl * 1000) {
    t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), { user: 'ada' })
    requests++
    await sleep(20)
  }
  const refreshes = await refreshCalls(redis)
  assertRareRefreshes(t, refreshes, requests, Date.now() - started, ttl * 1000)
  t.equal(await commandCalls(redis, 'set'), refreshes, 'every SET is a refresh')
  t.equal(await commandCalls(redis, 'pttl'), 0, 'the expiry is read from the payload')
  await sleep(ttl * 1000 + 300)
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), {}, 'idle past ttl: gone')
})
