import fastifyCookie, { Signer } from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import { codexCache, codexRedis, codexSession, type CodexSessionOptions } from '../../index.js'
import { freePort, redisForTest, type RedisServer } from '../helpers/redis-server.js'
import { SECRET, commandCalls, cookieHeader, defaultRoutes, idOf, keys, sessionApp, setCookie } from '../helpers/session-app.js'

/** Client connections Redis sees, not counting the redis-cli asking. */
async function clients (redis: RedisServer): Promise<number> {
  const list = await redis.cli('CLIENT', 'LIST')
  return list.split('\n').filter((line) => line !== '' && !line.includes('cmd=client|list')).length
}

t.test('codexSession shares the codexRedis connection with codexCache', async (t) => {
  const redis = await redisForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(codexRedis, { url: redis.url })
  await app.register(codexCache, { keyPrefix: 'cache' })
  await app.register(codexSession, { secret: SECRET, cookie: { secure: false } })
  defaultRoutes(app)
  await app.ready()

  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  await app.cache.set('k', 'v')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie) })).json(), { user: 'ada' })
  t.equal(await app.cache.get('k'), 'v')
  t.equal(await clients(redis), 1, 'one connection for all three')
  await app.close()
  t.equal(await clients(redis), 0, 'closed once, by codexRedis')
})

t.test('codexSession opens and closes its own connection when given one', async (t) => {
  const redis = await redisForTest(t)
  const app = Fastify()
  await app.register(codexSession, { url: redis.url, secret: SECRET, cookie: { secure: false } })
  defaultRoutes(app)
  await app.ready()
  t.equal(await clients(redis), 1)
  await app.close()
  t.equal(await clients(redis), 0, 'nothing of ours stays open')
})

t.test('@fastify/cookie is registered only when the app has not registered it', async (t) => {
  const redis = await redisForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCookie, { secret: 'for-signed-app-cookies' })
  await app.register(codexSession, { url: redis.url, secret: SECRET, cookie: { secure: false } })
  app.get('/both', async (request, reply) => {
    ;(request.session as unknown as Record<string, unknown>).n = 1
    reply.setCookie('app', 'value', { signed: true })
    return { ok: true }
  })
  await app.ready()
  const res = await app.inject('/both')
  t.equal(res.statusCode, 200)
  t.ok(setCookie(res), 'session cookie')
  t.ok(setCookie(res, 'app'), "the app's own signed cookie, with the app's cookie options")
})

t.test('bad options are refused at registration, before any connection opens', async (t) => {
  const redis = await redisForTest(t)
  const bad: Array<[string, Partial<CodexSessionOptions> & Record<string, unknown>]> = [
    ['no secret', { secret: undefined }],
    ['short secret', { secret: 'short' }],
    ['empty secret list', { secret: [] }],
    ['a store of its own', { store: {} }],
    ['ttl <= 0', { ttl: -5 }],
    ['userKey not a string', { userKey: 5 as never }],
    ['bad serializer', { serializer: { stringify: JSON.stringify } as never }],
    ['bad commandTimeout', { commandTimeout: 0 }],
    // Each of these type-checks (or is plain JavaScript) and used to kill the process at the first save.
    ['a cookie domain with a space', { cookie: { domain: 'my app.example' } }],
    ['an invalid cookie expiry', { cookie: { expires: new Date(Number.NaN) } }],
    ['a cookie maxAge in a string', { cookie: { maxAge: '3600000' as never } }],
    ['a cookie maxAge past year 9999', { cookie: { maxAge: 1e15 } }],
    ['a cookie path with a semicolon', { cookie: { path: '/a;b' } }],
    ['a cookie sameSite typo', { cookie: { sameSite: 'lux' as never } }],
    ['a cookie priority typo', { cookie: { priority: 'hi' as never } }],
    ['cookie.secure a string', { cookie: { secure: 'yes' as never } }],
    ['cookie.httpOnly a string', { cookie: { httpOnly: 'true' as never } }],
    ['an unknown cookie option', { cookie: { maxage: 60_000 } as never }],
    ['a cookie name with a space', { cookieName: 'my session' }],
    ['an empty cookie name', { cookieName: '' }],
    ['an empty algorithm', { algorithm: '' }],
    ['an algorithm Node.js cannot HMAC with', { algorithm: 'sha999' }],
    ['rolling a string', { rolling: 'false' as never }],
    // Plain-JavaScript typos.
    ['keyprefix', { keyprefix: 'sess' }],
    ['tll', { tll: 60 }],
    ['logger (the store\'s, not the plugin\'s)', { logger: { warn () {} } }],
    // The separator is ours: 'sess:' would make `sess::id` keys.
    ['keyPrefix with a trailing separator', { keyPrefix: 'sess:' }],
    ['projectName with a trailing separator', { projectName: 'shop:' }]
  ]
  for (const [what, options] of bad) {
    const app = Fastify()
    app.register(codexSession, { url: redis.url, secret: SECRET, ...options } as CodexSessionOptions)
    await t.rejects(async () => { await app.ready() }, { code: 'FST_CODEX_INVALID_OPTIONS' }, what)
    await app.close()
    t.equal(await clients(redis), 0, `${what}: no connection left behind`)
  }
})

t.test('codexSession registered twice in one scope is refused with a coded error that register() and ready() reject with', async (t) => {
  const redis = await redisForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(codexSession, { url: redis.url, secret: SECRET, cookie: { secure: false } })
  await t.rejects(async () => { await app.register(codexSession, { url: redis.url, secret: SECRET, keyPrefix: 'other' }) }, { code: 'FST_CODEX_INVALID_OPTIONS' }, 'await register')

  const both = Fastify()
  both.register(codexSession, { url: redis.url, secret: SECRET, cookie: { secure: false } })
  both.register(codexSession, { url: redis.url, secret: SECRET, keyPrefix: 'other' })
  await t.rejects(async () => { await both.ready() }, { code: 'FST_CODEX_INVALID_OPTIONS' }, 'ready()')
  await both.close()

  // Nor beside a @fastify/session of the user's.
  const own = Fastify()
  await own.register(fastifyCookie)
  await own.register(fastifySession, { secret: SECRET })
  await t.rejects(async () => { await own.register(codexSession, { url: redis.url, secret: SECRET }) }, { code: 'FST_CODEX_INVALID_OPTIONS' }, 'beside @fastify/session')
  await own.close()

  // Each encapsulated scope may have its own.
  const scoped = Fastify()
  t.teardown(() => scoped.close())
  scoped.register(async (child) => { await child.register(codexSession, { url: redis.url, secret: SECRET, keyPrefix: 'a' }) })
  scoped.register(async (child) => { await child.register(codexSession, { url: redis.url, secret: SECRET, keyPrefix: 'b' }) })
  await scoped.ready()
})

t.test('a Secure-by-default cookie on a plain-HTTP server is warned about once at start-up', async (t) => {
  const redis = await redisForTest(t)
  const warned = async (options: Partial<CodexSessionOptions>): Promise<string[]> => {
    const { logs } = await sessionApp(t, redis, { keyPrefix: `k${Math.random().toString(36).slice(2)}`, ...options })
    return logs.filter((line) => line.level === 40 && line.msg.includes('Secure')).map((line) => line.msg)
  }
  const defaults = await warned({ cookie: {} })
  t.equal(defaults.length, 1, 'the default cookie over http')
  t.match(defaults[0], /secure: 'auto'/, 'says what to set')
  t.equal((await warned({ cookie: { maxAge: 60_000 } })).length, 1, 'secure not given either')
  t.same(await warned({ cookie: { secure: 'auto' } }), [])
  t.same(await warned({ cookie: { secure: false } }), [])
  t.same(await warned({ cookie: { secure: true } }), [], 'an explicit choice (behind a TLS proxy) is not second-guessed')
})

t.test('an unreachable Redis fails ready() with FST_CODEX_REDIS_UNAVAILABLE within commandTimeout', async (t) => {
  const app = Fastify()
  app.register(codexSession, { url: `redis://127.0.0.1:${await freePort()}`, secret: SECRET, commandTimeout: 300 })
  const started = Date.now()
  await t.rejects(async () => { await app.ready() }, { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
  t.ok(Date.now() - started < 1500)
  await app.close()
})

t.test('empty projectName and keyPrefix: the key is the bare session id; count() refuses to guess', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { projectName: '', keyPrefix: '', userKey: 'user' })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  t.same(await keys(redis, '*'), [idOf(cookie.value), 'user:ada'].sort())
  t.same(await app.sessions.listUser('ada'), [idOf(cookie.value)])
  await t.rejects(app.sessions.count(), { code: 'FST_CODEX_INVALID_OPTIONS' })
})

/** Every Set-Cookie header of the response for the session cookie, as sent. */
function sessionCookies (res: { headers: Record<string, unknown> }): string[] {
  const header = res.headers['set-cookie']
  const all = header === undefined ? [] : Array.isArray(header) ? header as string[] : [header as string]
  return all.filter((line) => line.startsWith('sessionId='))
}

t.test('secrets: a rotation re-signs the cookie of a reader (after the clearing header @fastify/session sends) with no write; `algorithm` is honoured; a custom signer is used as given', async (t) => {
  const redis = await redisForTest(t)
  const OLD = 'the-previous-secret-of-at-least-32-chars'
  const read = async (app: FastifyInstance, cookie: string): Promise<{ body: unknown, cookies: string[], sets: number }> => {
    await redis.cli('CONFIG', 'RESETSTAT')
    const res = await app.inject({ url: '/read', headers: cookieHeader(cookie) })
    return { body: res.json(), cookies: sessionCookies(res), sets: await commandCalls(redis, 'set') }
  }

  const rotated = (await sessionApp(t, redis, { secret: [SECRET, OLD] })).app
  const first = setCookie(await rotated.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  t.equal(first, new Signer(SECRET).sign(idOf(first)), 'a new cookie is signed with the first secret')
  const old = new Signer(OLD).sign(idOf(first))
  const renewed = await read(rotated, old)
  t.same(renewed.body, { user: 'ada' }, 'a cookie signed with an older secret still logs in')
  // @fastify/session clears a cookie that is not the Session's own text; the saved session's cookie comes after it,
  // and a browser keeps the last (docs/upstream/fastify-session-rotated-cookie.md would send only that one).
  t.same(renewed.cookies.map((line) => line.split(';', 1)[0]), ['sessionId=', `sessionId=${first}`], 'the last Set-Cookie is signed with the first secret')
  t.equal(renewed.sets, 0, 'an unchanged session is not written')
  const again = await read(rotated, first)
  t.same(again.cookies.map((line) => line.split(';', 1)[0]), [`sessionId=${first}`], 'a current cookie goes back unchanged')
  t.same((await read(rotated, `${idOf(first)}.forged`)).body, {}, 'a forged signature gets a fresh session')

  // Without rolling @fastify/session re-sends only a saved cookie: the reader's session is saved, and written not at all.
  const steady = (await sessionApp(t, redis, { secret: [SECRET, OLD], rolling: false })).app
  const unrolled = await read(steady, old)
  t.same(unrolled.body, { user: 'ada' })
  t.same(unrolled.cookies.map((line) => line.split(';', 1)[0]), ['sessionId=', `sessionId=${first}`])
  t.equal(unrolled.sets, 0)
  t.same((await read(steady, first)).cookies, [], 'a current cookie is not re-sent without rolling')

  // Another cookie name and an express-session style prefix: the hook reads the cookie @fastify/session sets.
  const named = (await sessionApp(t, redis, { secret: [SECRET, OLD], cookieName: 'sid', cookiePrefix: 's:' })).app
  const res = await named.inject({ url: '/read', headers: { cookie: `sid=${encodeURIComponent(`s:${old}`)}` } })
  t.same(res.json(), { user: 'ada' })
  t.equal(setCookie(res, 'sid')?.value, `s:${first}`, 'the last sid cookie is signed with the first secret')

  // Over plain http a Secure cookie is neither saved nor sent by @fastify/session: the rotation does not either, and
  // @fastify/session's clearing header stays (a browser would not store the Secure cookie over http anyway).
  // (The stored cookie's options win over the plugin's: the session is made Secure as if set over https.)
  const key = `session:${idOf(first)}`
  await redis.cli('SET', key, (await redis.cli('GET', key)).trim().replace('"secure":false', '"secure":true'), 'KEEPTTL')
  const secure = (await sessionApp(t, redis, { secret: [SECRET, OLD], rolling: false })).app
  const insecure = await read(secure, old)
  t.same(insecure.body, { user: 'ada' })
  t.same(insecure.cookies.map((line) => line.split(';', 1)[0]), ['sessionId='], 'no Secure cookie over http')

  const sha512 = (await sessionApp(t, redis, { secret: SECRET, algorithm: 'sha512', keyPrefix: 'sha512' })).app
  const long = setCookie(await sha512.inject({ method: 'POST', url: '/set', payload: { user: 'bob' } }))!.value
  t.equal(long, new Signer(SECRET, 'sha512').sign(idOf(long)))
  t.same((await read(sha512, long)).body, { user: 'bob' })

  const inner = new Signer(SECRET)
  let signs = 0
  const custom = { sign: (value: string) => { signs++; return inner.sign(value) }, unsign: (input: string) => inner.unsign(input) }
  const own = (await sessionApp(t, redis, { secret: custom, keyPrefix: 'custom' })).app
  const mine = setCookie(await own.inject({ method: 'POST', url: '/set', payload: { user: 'cy' } }))!.value
  t.same((await read(own, mine)).body, { user: 'cy' })
  t.equal(signs, 2, 'the custom signer signs every Session, as @fastify/session asks')
})
