import fastifyCookie, { Signer } from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify, { type Session } from 'fastify'
import t from 'tap'
import { RedisSessionStore, sessionSigner } from '../../index.js'
import { connectedClient, userApp } from '../helpers/standalone-session.js'
import { redisForTest } from '../helpers/redis-server.js'
import { SECRET, commandCalls, cookieHeader, defaultRoutes, fields, idOf, keys, setCookie } from '../helpers/session-app.js'
import { CARRIED } from '../../lib/session/state.js'

function sessionOf (fieldsOf: Record<string, unknown>, expires: Date | null = null): Session {
  return { cookie: { expires, originalMaxAge: null }, ...fieldsOf } as unknown as Session
}

t.test('get, set and destroy without a callback return promises', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const store = new RedisSessionStore({ client })
  t.equal(await store.get('nobody'), null)
  await store.set('abc', sessionOf({ user: 'ada' }))
  const loaded = await store.get('abc') as unknown as Record<string, unknown>
  t.equal(loaded.user, 'ada')
  loaded.user = 'bob'
  await store.set('abc', loaded as unknown as Session)
  t.equal((await store.get('abc') as unknown as Record<string, unknown>).user, 'bob', 'a loaded session is updated')
  await store.destroy('abc')
  t.equal(await store.get('abc'), null)

  const viaCallback = await new Promise<unknown>((resolve, reject) => {
    const returned: unknown = store.get('nobody', (err, session) => { if (err !== null) reject(err); else resolve(session) })
    t.equal(returned, undefined, 'with a callback, nothing is returned')
  })
  t.equal(viaCallback, null)
})

t.test('without a callback, a dead Redis rejects with a coded error: never a crash, never ENOENT', async (t) => {
  const redis = await redisForTest(t, { unixSocket: true })
  const client = await connectedClient(t, redis)
  const store = new RedisSessionStore({ client, commandTimeout: 1000 })
  await store.set('abc', sessionOf({ user: 'ada' }))
  await redis.removeSocket()
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['get', () => store.get('abc')],
    ['set', () => store.set('new', sessionOf({ a: 1 }))],
    ['destroy', () => store.destroy('abc')],
    ['touch', () => store.touch('abc', sessionOf({}))],
    ['length', () => store.length()],
    ['ids', async () => await store.ids()],
    ['all', async () => await store.all()],
    ['clear', () => store.clear()]
  ]
  for (const [what, call] of calls) {
    await t.rejects(call(), { code: 'FST_CODEX_REDIS_UNAVAILABLE', statusCode: 503 }, what)
  }
  const err = await new Promise<Error | null | undefined>((resolve) => { store.get('abc', (err) => { resolve(err) }) })
  t.equal((err as { code?: string }).code, 'FST_CODEX_REDIS_UNAVAILABLE', 'the callback form too')
})

t.test('ids, all, length, count and clear: this namespace only, batch by batch', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const store = new RedisSessionStore({ client, projectName: 'shop', userKey: 'user' })
  const neighbour = new RedisSessionStore({ client, projectName: 'blog' })
  const ids = Array.from({ length: 2500 }, (_, i) => `s${String(i).padStart(4, '0')}`)
  for (let i = 0; i < ids.length; i += 500) {
    await Promise.all(ids.slice(i, i + 500).map((id, j) => store.set(id, sessionOf({ user: `u${(i + j) % 7}` }))))
  }
  await neighbour.set('theirs', sessionOf({ a: 1 }))
  await client.set('shop:session:x:other', 'not ours')
  await client.set('shop:session:user:u0:notes', 'x') // the index of user id 'u0:notes' by the key layout: cleared too

  t.equal(await store.length(), 2500)
  t.equal(await store.count(), 2500)
  t.same((await store.ids()).sort(), ids, 'await: every id, as an array')
  let batches = 0
  let largest = 0
  const seen = new Set<string>()
  for await (const batch of store.ids().batches()) {
    batches++
    largest = Math.max(largest, batch.length)
    for (const id of batch) seen.add(id)
  }
  t.equal(seen.size, 2500)
  t.ok(batches >= 2 && largest <= 1500, `${batches} batches of at most ${largest}`)
  let streamed = 0
  for await (const id of store.ids()) if (typeof id === 'string') streamed++
  t.ok(streamed >= 2500, 'for await walks ids one by one')

  const all = await store.all()
  t.equal(all.length, 2500)
  const one = all.find((entry) => entry.id === 's0008')
  t.equal(one?.session.user, 'u1', 'each session beside its id')
  const viaCallback = await new Promise<string[]>((resolve, reject) => { store.ids((err, list) => { if (err !== null) reject(err); else resolve(list!) }) })
  t.equal(viaCallback.length, 2500, 'callback form')

  t.same(await store.sessions.listUser('u3'), ids.filter((_, i) => i % 7 === 3))
  t.equal(await store.clear(), 2500, 'the number of sessions deleted')
  t.equal(await store.length(), 0)
  t.same(await keys(redis), ['blog:session:theirs', 'shop:session:x:other'], "another namespace's session and keys that are not ours stay")
  t.same(await store.sessions.listUser('u3'), [], 'the indexes went too')
})

t.test('ids, all and clear refuse to run without a namespace', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const store = new RedisSessionStore({ client, keyPrefix: '' })
  await t.rejects(store.clear(), { code: 'FST_CODEX_INVALID_OPTIONS' })
  await t.rejects(async () => await store.ids(), { code: 'FST_CODEX_INVALID_OPTIONS' })
  await t.rejects(async () => await store.all(), { code: 'FST_CODEX_INVALID_OPTIONS' })
})

t.test('touch moves the expiry as a write would, never creates, and does nothing with disableTouch', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const store = new RedisSessionStore({ client, ttl: 100 })
  await store.set('abc', sessionOf({ a: 1 }))
  await redis.cli('PEXPIRE', 'session:abc', '5000')
  await store.touch('abc', sessionOf({ a: 1 }))
  t.ok(Number(await redis.cli('PTTL', 'session:abc')) > 90_000, 'the ttl option, for a browser-session cookie')
  await store.touch('abc', sessionOf({ a: 1 }, new Date(Date.now() + 20_000)))
  const pttl = Number(await redis.cli('PTTL', 'session:abc'))
  t.ok(pttl > 15_000 && pttl <= 21_000, `the cookie's expiry (${pttl})`)
  await store.touch('gone', sessionOf({}))
  t.same(await keys(redis), ['session:abc'], 'a missing session is not created')
  await new Promise<void>((resolve, reject) => { store.touch('abc', sessionOf({}), (err) => { if (err != null) reject(err); else resolve() }) })

  const frozen = new RedisSessionStore({ client, ttl: 100, keyPrefix: 'frozen', disableTouch: true })
  await frozen.set('abc', sessionOf({ a: 1 }))
  await redis.cli('PEXPIRE', 'frozen:abc', '5000')
  await frozen.touch('abc', sessionOf({ a: 1 }))
  t.ok(Number(await redis.cli('PTTL', 'frozen:abc')) <= 5000, 'disableTouch: unchanged')
})

t.test('disableTouch: a read under rolling moves no expiry; the cookie carries the one Redis has', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: SECRET, store: new RedisSessionStore({ client, disableTouch: true }), cookie: { secure: false, maxAge: 2000 }
  })
  defaultRoutes(app)
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  await redis.cli('CONFIG', 'RESETSTAT')
  await new Promise((resolve) => setTimeout(resolve, 600))
  const res = await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })
  t.same(res.json(), { user: 'ada' })
  t.equal(await commandCalls(redis, 'pexpire'), 0, 'no refresh')
  // The clock read after PTTL's reply: `latest` is then never earlier than the moment Redis drops the key.
  const pttl = Number(await redis.cli('PTTL', `session:${idOf(cookie.value)}`))
  const latest = Date.now() + pttl
  t.ok(setCookie(res)!.expires!.getTime() <= latest, 'the browser never outlives Redis')
})

t.test('a ttl function picks the server-side lifetime per session', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const store = new RedisSessionStore({ client, ttl: (session) => session.admin === true ? 60 : 3600 })
  await store.set('admin', sessionOf({ admin: true }))
  await store.set('user', sessionOf({ admin: false }))
  const admin = Number(await redis.cli('PTTL', 'session:admin'))
  const user = Number(await redis.cli('PTTL', 'session:user'))
  t.ok(admin > 55_000 && admin <= 60_000, `admin ${admin}`)
  t.ok(user > 3_590_000, `user ${user}`)
  const bad = new RedisSessionStore({ client, keyPrefix: 'bad', ttl: () => Number.NaN })
  await t.rejects(bad.set('x', sessionOf({})), { code: 'FST_CODEX_INVALID_TTL' })
  t.same(await keys(redis, 'bad:*'), [])
})

t.test("@fastify/session's promise API on the store: save, reload, regenerate, destroy, options", async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const app = await userApp(t, new RedisSessionStore({ client }), (app) => {
    defaultRoutes(app)
    app.post('/flow', async (request) => {
      fields(request).step = 1
      await request.session.save()
      fields(request).step = 2
      await request.session.reload()
      const afterReload = fields(request).step
      await request.session.regenerate(['step'])
      request.session.options({ maxAge: 60_000 })
      await request.session.save()
      return { afterReload, keys: Object.keys(request.session), id: request.session.sessionId }
    })
    app.get('/keys', async (request) => Object.keys(request.session))
  }, { saveUninitialized: false })
  const res = await app.inject({ method: 'POST', url: '/flow' })
  t.equal(res.statusCode, 200)
  const body = res.json<{ afterReload: number, keys: string[], id: string }>()
  t.equal(body.afterReload, 1, 'reload() brings back what was saved')
  t.same(body.keys, ['cookie', 'step'])
  const cookie = setCookie(res)!
  t.equal(idOf(cookie.value), body.id)
  t.ok(cookie.expires !== undefined && cookie.expires.getTime() > Date.now() + 50_000, 'options({ maxAge }) applied')
  t.same(await keys(redis), [`session:${body.id}`], 'one session: the first id was destroyed by regenerate()')
  t.same((await app.inject({ url: '/keys', headers: cookieHeader(cookie.value) })).json(), ['cookie', 'step', CARRIED],
    'standalone users see the loaded state under the same one key (never in JSON)')
})

t.test("with your own @fastify/session and the store's defaults, a login writes one session and nothing empty", async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const app = await userApp(t, new RedisSessionStore({ client }), defaultRoutes, { saveUninitialized: false })
  const visitor = await app.inject('/read')
  t.equal(setCookie(visitor), undefined, 'saveUninitialized: false: a visitor gets no session')
  await redis.cli('CONFIG', 'RESETSTAT')
  const login = await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' } })
  const cookie = setCookie(login)!
  t.equal(await commandCalls(redis, 'set'), 1, 'one write')
  t.same(await keys(redis), [`session:${idOf(cookie.value)}`], 'one session, the one the cookie names')
  const ttl = Number(await redis.cli('TTL', `session:${idOf(cookie.value)}`))
  t.ok(ttl > 0)
})

t.test('a load reads the key\'s expiry from the payload, and asks Redis only once the key has outlived it', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  // 2 s, and the checks below through the client (no redis-cli process per step): a loaded machine stays inside it.
  const store = new RedisSessionStore({ client, ttl: 2 })
  await store.set('abc', sessionOf({ a: 1 }))
  const stored = JSON.parse(await client.get('session:abc') as string) as { cookie: { storeExpires: number } }
  const pttl = await client.pTTL('session:abc')
  t.ok(stored.cookie.storeExpires <= Date.now() + pttl, 'storeExpires is never later than Redis\'s expiry')
  await client.configResetStat()
  t.match(await store.get('abc'), { a: 1 })
  t.equal(await commandCalls(redis, 'pttl'), 0, 'no PTTL while the payload\'s expiry is ahead')
  await client.pExpire('session:abc', 10_000)
  await new Promise((resolve) => setTimeout(resolve, 2100))
  t.ok(await store.get('abc'), 'moved out by hand: still there')
  t.equal(await commandCalls(redis, 'pttl'), 1, 'past the payload\'s expiry, Redis is asked')
  await redis.cli('SET', 'session:old', '{"cookie":{"expires":null},"a":2}', 'PX', '5000')
  t.ok(await store.get('old'), 'a payload from before storeExpires loads')
  t.equal(await commandCalls(redis, 'pttl'), 2, 'with one PTTL')
  t.equal(await commandCalls(redis, 'set'), 1, 'and no write (only the test\'s own SET)')
})

t.test('all() yields each session as get() loads it: its cookie without the store\'s stamps, none past absoluteTimeout', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const store = new RedisSessionStore({ client, absoluteTimeout: 3600, userKey: 'user' })
  await store.set('live', sessionOf({ user: 'ada' }, new Date(Date.now() + 60_000)))
  const stored = JSON.parse(await client.get('session:live') as string) as { cookie: Record<string, unknown> }
  t.ok(['storeExpires', 'createdAt', 'seenAt'].every((name) => name in stored.cookie), 'Redis holds the stamps')
  const over = { ...stored, cookie: { ...stored.cookie, createdAt: Date.now() - 3_700_000 } }
  await client.set('session:over', JSON.stringify(over), { expiration: { type: 'PX', value: 60_000 } })

  const all = await store.all()
  t.same(all.map((entry) => entry.id), ['live'], 'a session past its absoluteTimeout is not listed (get() loads it as none)')
  t.equal(await store.get('over'), null)
  const loaded = await store.get('live') as unknown as { cookie: Record<string, unknown> }
  t.same(all[0]?.session.cookie, { ...loaded.cookie }, 'the cookie as get() hands it to @fastify/session')
  t.notOk(['storeExpires', 'createdAt', 'seenAt'].some((name) => name in (all[0]?.session.cookie ?? {})), 'no stamp of the store')
})

t.test('your own @fastify/session with secret: sessionSigner(secret): the cookies of the stock signer, a forgery refused', async (t) => {
  const redis = await redisForTest(t)
  const client = await connectedClient(t, redis)
  const app = await userApp(t, new RedisSessionStore({ client }), defaultRoutes, { secret: sessionSigner(SECRET) })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  t.equal(cookie.value, new Signer(SECRET).sign(idOf(cookie.value)), 'signed as @fastify/cookie signs: existing cookies stay valid')
  for (let i = 0; i < 2; i++) {
    t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), { user: 'ada' }, 'the session, again and again')
  }
  const forged = `${idOf(cookie.value)}.${'A'.repeat(43)}`
  t.same((await app.inject({ url: '/read', headers: cookieHeader(forged) })).json(), {}, 'a forged signature of a known id: no session')
})
