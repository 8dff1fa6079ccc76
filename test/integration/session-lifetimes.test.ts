import Fastify from 'fastify'
import t from 'tap'
import { createClient } from '@redis/client'
import { codexSession } from '../../plugins/session.js'
import { RedisSessionStore } from '../../lib/session/store.js'
import { Gate } from '../helpers/gate.js'
import { redisForTest } from '../helpers/redis-server.js'
import { SECRET, commandCalls, cookieHeader, defaultRoutes, fields, idOf, sessionApp, setCookie } from '../helpers/session-app.js'
import type { RedisServer } from '../helpers/redis-server.js'

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

interface Stored { cookie: { createdAt?: number, storeExpires?: number, originalMaxAge?: number | null }, [field: string]: unknown }

async function stored (redis: RedisServer, id: string): Promise<Stored | undefined> {
  const text = (await redis.cli('GET', `session:${id}`)).trim()
  return text === '' ? undefined : JSON.parse(text) as Stored
}

/** When Redis drops the key, epoch ms (PEXPIRETIME: exact, no clock arithmetic on our side). */
async function expireTime (redis: RedisServer, id: string): Promise<number> {
  return Number(await redis.cli('PEXPIRETIME', `session:${id}`))
}

t.test('absoluteTimeout with rolling: the idle expiry moves, never past creation + absoluteTimeout; then the session is over', async (t) => {
  const redis = await redisForTest(t)
  // Idle 2 s, absolute 3 s: a request every few hundred ms keeps it alive only until the absolute limit.
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 2000 }, absoluteTimeout: 3 })
  const first = await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } })
  const cookie = setCookie(first)!
  const id = idOf(cookie.value)
  const createdAt = (await stored(redis, id))!.cookie.createdAt!
  t.type(createdAt, 'number', 'the creation time is stored')
  const cap = createdAt + 3000

  let served = 0
  let lateServed = 0
  let expiryMoved = false
  const firstExpiry = await expireTime(redis, id)
  while (Date.now() < cap + 500) {
    const sentAt = Date.now()
    const res = await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })
    const back = setCookie(res)
    if (res.json<{ user?: string }>().user === 'ada') {
      served++
      if (sentAt >= cap) lateServed++
      // The browser is never told a later expiry than the cap (HTTP dates drop the milliseconds).
      if (back?.expires !== undefined) t.ok(back.expires.getTime() <= cap, `cookie expiry ${back.expires.getTime()} <= ${cap}`)
      const at = await expireTime(redis, id)
      // PX counts from when Redis runs the write: after the store read its clock, before PEXPIRETIME answered.
      const slack = Date.now() - sentAt
      if (at > 0) {
        t.ok(at <= cap + slack, `Redis expiry ${at} <= ${cap} (+${slack} ms in flight)`)
        if (at > firstExpiry) expiryMoved = true
      }
    }
    await sleep(250)
  }
  t.ok(served >= 3, `in use until the absolute limit (${served} requests)`)
  t.ok(expiryMoved, 'the idle expiry did move with use')
  t.equal(lateServed, 0, 'no request after creation + absoluteTimeout sees the session')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), {}, 'a replayed cookie is dead')
})

t.test('absoluteTimeout: a stored key whose TTL outlived the limit still does not load (the store checks creation)', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 60_000 }, absoluteTimeout: 3600 })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  const id = idOf(cookie.value)
  const cap = (await stored(redis, id))!.cookie.createdAt! + 3_600_000
  t.ok(await expireTime(redis, id) <= cap)
  // Created two hours ago, as if the key had been kept alive by hand (PEXPIRE): over all the same.
  const payload = (await stored(redis, id))!
  payload.cookie.createdAt = Date.now() - 7_200_000
  await redis.cli('SET', `session:${id}`, JSON.stringify(payload), 'PX', '60000')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), {})
})

t.test('absoluteTimeout turned on later: a session stored without a creation time gets one at its next write, and ends', async (t) => {
  const redis = await redisForTest(t)
  const cookieOptions = { secure: false, maxAge: 10_000 }
  const { app: before } = await sessionApp(t, redis, { cookie: cookieOptions })
  const cookie = setCookie(await before.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  const id = idOf(cookie)
  t.equal((await stored(redis, id))!.cookie.createdAt, undefined, 'stored before absoluteTimeout: no creation time')

  const { app: after } = await sessionApp(t, redis, { cookie: cookieOptions, absoluteTimeout: 1 })
  const firstAt = Date.now()
  t.same((await after.inject({ url: '/read', headers: cookieHeader(cookie) })).json(), { user: 'ada' }, 'still served')
  // PX counts from when Redis runs the write, at most this request's duration after the store read its clock.
  const slack = Date.now() - firstAt
  const createdAt = (await stored(redis, id))!.cookie.createdAt
  t.ok(createdAt !== undefined && createdAt >= firstAt && createdAt <= Date.now(), 'stamped by the first request with absoluteTimeout on')
  const expiresAt = await expireTime(redis, id)
  t.ok(expiresAt <= createdAt! + 1000 + slack, `and the key capped at that + absoluteTimeout (${expiresAt - createdAt!} ms, +${slack} ms in flight)`)

  // Rolling, in use every 300 ms, a 10 s idle lifetime: only the absolute cap can end it.
  let gone = false
  while (!gone && Date.now() < firstAt + 8000) {
    await sleep(300)
    gone = (await after.inject({ url: '/read', headers: cookieHeader(cookie) })).json<{ user?: string }>().user === undefined
  }
  t.ok(gone, 'over, though in use')
  t.equal(await redis.cli('EXISTS', `session:${id}`), '0\n', 'and gone from Redis')
})

t.test('absoluteTimeout: regenerate() starts a new count; the cap holds for a browser-session cookie in Redis', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { absoluteTimeout: 60, ttl: 3600 })
  const sentAt = Date.now()
  const before = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { n: 1 } }))!
  const slack = Date.now() - sentAt
  const firstCreated = (await stored(redis, idOf(before.value)))!.cookie.createdAt!
  t.equal(before.expires, undefined, 'a browser-session cookie stays one')
  t.ok(await expireTime(redis, idOf(before.value)) <= firstCreated + 60_000 + slack, 'Redis keeps it no longer than the absolute limit, under a longer ttl')
  await sleep(20)
  const loginAt = Date.now()
  const after = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' }, headers: cookieHeader(before.value) }))!
  t.not(idOf(after.value), idOf(before.value))
  const created = (await stored(redis, idOf(after.value)))!.cookie.createdAt!
  t.ok(created >= loginAt && created > firstCreated, 'the regenerated session counts from its own creation')
})

t.test('absoluteTimeout and devices are validated at registration and by the store', async (t) => {
  const redis = await redisForTest(t)
  const bad = [
    { absoluteTimeout: 0 }, { absoluteTimeout: -5 }, { absoluteTimeout: '60' }, { absoluteTimeout: Infinity },
    { devices: { userAgent: true } }, { userKey: 'user', devices: { ip: 'half' } }, { userKey: 'user', devices: { userAgent: 'yes' } },
    { userKey: 'user', devices: { agent: true } }, { userKey: 'user', devices: true }
  ]
  for (const options of bad) {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(async () => {
      await app.register(codexSession, { url: redis.url, secret: SECRET, ...(options as object) })
      await app.ready()
    },
    { code: 'FST_CODEX_INVALID_OPTIONS' }, JSON.stringify(options))
  }
  const client = createClient({ url: redis.url })
  await client.connect()
  t.teardown(() => client.destroy())
  for (const options of bad) {
    t.throws(() => new RedisSessionStore({ client, ...(options as object) }), { code: 'FST_CODEX_INVALID_OPTIONS' }, JSON.stringify(options))
  }
})

t.test('remember me: a handler-set cookie.maxAge sticks to that session; another session keeps the configured one', async (t) => {
  const redis = await redisForTest(t)
  const month = 30 * 24 * 3600 * 1000
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 60_000 } }, (app) => {
    defaultRoutes(app)
    app.post('/login-remember', async (request) => {
      await request.session.regenerate()
      request.session.cookie.maxAge = month
      fields(request).user = 'ada'
      return { ok: true }
    })
  })
  const remembered = setCookie(await app.inject({ method: 'POST', url: '/login-remember' }))!
  const plain = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'bob' } }))!
  for (let i = 0; i < 3; i++) {
    // A write, then a read (rolling re-sends the cookie): each keeps its own lifetime.
    for (const [cookie, lifetime] of [[remembered, month], [plain, 60_000]] as const) {
      const now = Date.now()
      const wrote = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { n: i }, headers: cookieHeader(cookie.value) }))
      const read = setCookie(await app.inject({ url: '/read', headers: cookieHeader(cookie.value) }))
      for (const back of [wrote, read]) {
        const expires = back!.expires!.getTime()
        t.ok(expires > now + lifetime - 5000 && expires <= Date.now() + lifetime, `cookie lifetime ${lifetime}`)
      }
      const at = await expireTime(redis, idOf(cookie.value))
      t.ok(at > now + lifetime - 5000 && at <= Date.now() + lifetime + 1000, `Redis lifetime ${lifetime}`)
      t.equal((await stored(redis, idOf(cookie.value)))!.cookie.originalMaxAge, lifetime, 'stored with the session')
    }
  }
})

t.test('read-only requests write no payload with absoluteTimeout, userKey and devices on', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {
    cookie: { secure: false, maxAge: 600_000 }, absoluteTimeout: 3600, userKey: 'user', devices: { userAgent: true, ip: 'truncated' }
  })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' }, headers: { 'user-agent': 'UA' } }))!
  await redis.cli('CONFIG', 'RESETSTAT')
  for (let i = 0; i < 10; i++) {
    t.same((await app.inject({ url: '/read', headers: { ...cookieHeader(cookie.value), 'user-agent': 'UA' } })).json(), { user: 'ada' })
  }
  t.equal(await commandCalls(redis, 'get'), 10, 'one GET per request')
  t.equal(await commandCalls(redis, 'set'), 0, 'no payload write')
  t.equal(await commandCalls(redis, 'evalsha'), 0, 'no refresh within the first tenth of the lifetime')
  t.equal(await commandCalls(redis, 'sadd'), 0, 'no index write')
})

t.test('absoluteTimeout turned on later: a read-only request whose session is logged out meanwhile still answers (the stamp is not its write)', async (t) => {
  const redis = await redisForTest(t)
  const { app: before } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 10_000 } })
  const cookie = setCookie(await before.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  const gate = new Gate()
  const { app: after } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 10_000 }, absoluteTimeout: 60 }, (app) => {
    defaultRoutes(app)
    app.get('/held', async (request) => {
      await gate.hold()
      return { ...fields(request), cookie: undefined }
    })
  })
  const arrived = gate.arrival()
  const reading = after.inject({ url: '/held', headers: cookieHeader(cookie) })
  await arrived
  await redis.cli('DEL', `session:${idOf(cookie)}`)
  gate.open()
  const reply = await reading
  t.equal(reply.statusCode, 200, 'not a 409: the request only read')
  t.equal(await redis.cli('EXISTS', `session:${idOf(cookie)}`), '0\n', 'and the logged-out session is not brought back')
})
