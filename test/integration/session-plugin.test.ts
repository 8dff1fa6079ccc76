import fastifyCookie, { Signer } from '@fastify/cookie'
import Fastify from 'fastify'
import t from 'tap'
import { codexCache, codexRedis, codexSession, type CodexSessionOptions } from '../../index.js'
import { freePort, redisForTest, type RedisServer } from '../helpers/redis-server.js'
import { SECRET, cookieHeader, defaultRoutes, idOf, keys, sessionApp, setCookie } from '../helpers/session-app.js'

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
    ['bad commandTimeout', { commandTimeout: 0 }]
  ]
  for (const [what, options] of bad) {
    const app = Fastify()
    app.register(codexSession, { url: redis.url, secret: SECRET, ...options } as CodexSessionOptions)
    await t.rejects(async () => { await app.ready() }, { code: 'FST_CODEX_INVALID_OPTIONS' }, what)
    await app.close()
    t.equal(await clients(redis), 0, `${what}: no connection left behind`)
  }
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

t.test('secrets: rotation re-signs with the first secret, `algorithm` is honoured, a custom signer is used as given', async (t) => {
  const redis = await redisForTest(t)
  const OLD = 'the-previous-secret-of-at-least-32-chars'

  const rotated = (await sessionApp(t, redis, { secret: [SECRET, OLD] })).app
  const first = setCookie(await rotated.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  t.equal(first, new Signer(SECRET).sign(idOf(first)), 'a new cookie is signed with the first secret')
  const old = new Signer(OLD).sign(idOf(first))
  const renewed = await rotated.inject({ url: '/read', headers: cookieHeader(old) })
  t.same(renewed.json(), { user: 'ada' }, 'a cookie signed with an older secret still logs in')
  t.equal(setCookie(renewed)?.value, first, 'and goes back signed with the first secret')
  const again = await rotated.inject({ url: '/read', headers: cookieHeader(first) })
  t.equal(setCookie(again)?.value, first, 'a current cookie goes back unchanged')
  t.same((await rotated.inject({ url: '/read', headers: cookieHeader(`${idOf(first)}.forged`) })).json(), {}, 'a forged signature gets a fresh session')

  const sha512 = (await sessionApp(t, redis, { secret: SECRET, algorithm: 'sha512', keyPrefix: 'sha512' })).app
  const long = setCookie(await sha512.inject({ method: 'POST', url: '/set', payload: { user: 'bob' } }))!.value
  t.equal(long, new Signer(SECRET, 'sha512').sign(idOf(long)))
  t.same((await sha512.inject({ url: '/read', headers: cookieHeader(long) })).json(), { user: 'bob' })

  const inner = new Signer(SECRET)
  let signs = 0
  const custom = { sign: (value: string) => { signs++; return inner.sign(value) }, unsign: (input: string) => inner.unsign(input) }
  const own = (await sessionApp(t, redis, { secret: custom, keyPrefix: 'custom' })).app
  const mine = setCookie(await own.inject({ method: 'POST', url: '/set', payload: { user: 'cy' } }))!.value
  t.same((await own.inject({ url: '/read', headers: cookieHeader(mine) })).json(), { user: 'cy' })
  t.equal(signs, 2, 'the custom signer signs every Session, as @fastify/session asks')
})
