import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { codexCache, codexRedis, codexSession, type CodexCacheOptions, type CodexSessionOptions } from '../../index.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'
import { SECRET, keys } from '../helpers/session-app.js'

type Step = { cache: Partial<CodexCacheOptions> } | { session: Partial<CodexSessionOptions> }

/** Registers codexRedis, then each step in order; resolves the error `ready()` rejects with, if any. */
async function register (t: Test, redis: RedisServer, steps: Step[], routes?: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance, err: (Error & { code?: string }) | undefined }> {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(codexRedis, { url: redis.url })
  for (const step of steps) {
    if ('cache' in step) app.register(codexCache, step.cache)
    else app.register(codexSession, { secret: SECRET, cookie: { secure: false }, ...step.session })
  }
  routes?.(app)
  const err = await app.ready().then(() => undefined, (err: unknown) => err as Error & { code?: string })
  return { app, err }
}

t.test("cache keyPrefix 'myapp' + sessions projectName 'myapp' (the README's examples) is refused, in either order", async (t) => {
  const redis = await redisForTest(t)
  for (const steps of [
    [{ cache: { keyPrefix: 'myapp' } }, { session: { projectName: 'myapp' } }],
    [{ session: { projectName: 'myapp' } }, { cache: { keyPrefix: 'myapp' } }]
  ] satisfies Step[][]) {
    const { err } = await register(t, redis, steps)
    t.equal(err?.code, 'FST_CODEX_INVALID_OPTIONS', `${Object.keys(steps[0]!)[0]} first`)
    t.match(err?.message, /codexCache .*keyPrefix 'myapp'/, 'the message names the cache')
    t.match(err?.message, /codexSession \(projectName 'myapp'/, 'and the sessions')
  }
})

t.test("cache keyPrefix 'session' + default sessions is refused; so are two caches whose prefixes nest", async (t) => {
  const redis = await redisForTest(t)
  t.equal((await register(t, redis, [{ cache: { keyPrefix: 'session' } }, { session: {} }])).err?.code, 'FST_CODEX_INVALID_OPTIONS')
  t.equal((await register(t, redis, [{ session: {} }, { cache: { keyPrefix: 'session' } }])).err?.code, 'FST_CODEX_INVALID_OPTIONS')
  const nested = await register(t, redis, [{ cache: { keyPrefix: 'a:1', decorator: 'inner' } }, { cache: { keyPrefix: 'a', decorator: 'outer' } }])
  t.equal(nested.err?.code, 'FST_CODEX_INVALID_OPTIONS', "'a' clear() would match 'a:1:*'")
  t.match(nested.err?.message, /decorator 'outer'.*decorator 'inner'/)
  // Empty segments: projectName '' + keyPrefix 'users' against a cache 'users' is the same namespace.
  t.equal((await register(t, redis, [{ cache: { keyPrefix: 'users' } }, { session: { keyPrefix: 'users' } }])).err?.code, 'FST_CODEX_INVALID_OPTIONS')
})

t.test('namespaces that do not overlap register: defaults, sibling prefixes, one prefix shared by two caches', async (t) => {
  const redis = await redisForTest(t)
  t.equal((await register(t, redis, [{ cache: {} }, { session: {} }])).err, undefined, "defaults: cache '' (clear refuses), sessions 'session'")
  t.equal((await register(t, redis, [{ cache: { keyPrefix: 'a', decorator: 'a' } }, { cache: { keyPrefix: 'ab', decorator: 'ab' } }])).err, undefined, "'a:*' does not match 'ab:…'")
  t.equal((await register(t, redis, [{ cache: { keyPrefix: 'c', decorator: 'v1' } }, { cache: { keyPrefix: 'c', decorator: 'v2', version: 2 } }])).err, undefined, 'the same cache namespace, two views')
  t.equal((await register(t, redis, [{ cache: { keyPrefix: 'myapp:cache' } }, { session: { projectName: 'myapp' } }])).err, undefined, "'myapp:cache' and 'myapp:session' are siblings")
})

t.test('with non-overlapping namespaces, cache.clear() leaves every session in place', async (t) => {
  const redis = await redisForTest(t)
  const { app, err } = await register(t, redis, [{ cache: { keyPrefix: 'myapp:cache' } }, { session: { projectName: 'myapp', userKey: 'user' } }], (app) => {
    app.post('/login', async (request) => {
      (request.session as unknown as Record<string, unknown>).user = 'ada'
      return { ok: true }
    })
  })
  t.equal(err, undefined)
  const login = await app.inject({ method: 'POST', url: '/login' })
  t.equal(login.statusCode, 200)
  await app.cache.set('page', 'html')
  const before = await keys(redis, 'myapp:session:*')
  t.equal(before.length, 2, 'one session and its user index')
  t.equal(await app.cache.clear(), 1)
  t.same(await keys(redis, 'myapp:session:*'), before, 'sessions and their index survive clear()')
})

t.test('caches and sessions in sibling scopes sharing codexRedis are checked against each other', async (t) => {
  const redis = await redisForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(codexRedis, { url: redis.url })
  app.register(async (scope) => { await scope.register(codexCache, { keyPrefix: 'shop' }) })
  app.register(async (scope) => { await scope.register(codexSession, { secret: SECRET, projectName: 'shop' }) })
  await t.rejects(async () => { await app.ready() }, { code: 'FST_CODEX_INVALID_OPTIONS' })
})

t.test('each plugin with its own url: the same database is checked, another database or server is not', async (t) => {
  const redis = await redisForTest(t)
  const other = await redisForTest(t)
  const build = async (cacheUrl: string, sessionUrl: string): Promise<unknown> => {
    const app = Fastify()
    t.teardown(() => app.close())
    app.register(codexCache, { url: cacheUrl, keyPrefix: 'myapp' })
    app.register(codexSession, { url: sessionUrl, secret: SECRET, projectName: 'myapp' })
    return await app.ready().then(() => undefined, (err: unknown) => err)
  }
  t.match(await build(redis.url, `${redis.url}/0`), { code: 'FST_CODEX_INVALID_OPTIONS' }, 'redis://h:p and redis://h:p/0 are one database')
  t.equal(await build(redis.url, `${redis.url}/1`), undefined, 'database 1 is another keyspace')
  t.equal(await build(redis.url, other.url), undefined, 'another server')
})

t.test('a namespace is released when its app closes: the same configuration registers again', async (t) => {
  const redis = await redisForTest(t)
  for (let i = 0; i < 2; i++) {
    const { app, err } = await register(t, redis, [{ cache: { keyPrefix: 'x' } }, { session: { projectName: 'y' } }])
    t.equal(err, undefined)
    await app.close()
  }
})
