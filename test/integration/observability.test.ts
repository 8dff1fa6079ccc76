import Fastify from 'fastify'
import t from 'tap'
import { codexCache, codexRedis } from '../../index.js'
import { cacheApp, rawClient } from '../helpers/cache-app.js'
import { fieldsOf, recordMessages, recordTraces } from '../helpers/channels.js'
import { redisForTest } from '../helpers/redis-server.js'
import { routeCacheApp } from '../helpers/route-cache-app.js'
import { cookieHeader, defaultRoutes, idOf, sessionApp, setCookie } from '../helpers/session-app.js'
import { until } from '../helpers/until.js'

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('cache: every operation is traced with the documented context; reads end with hit or miss', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { keyPrefix: 'obs' })
  const cache = app.cache
  const traces = recordTraces(t, 'fastify-codex:cache')
  await cache.set('a', 1)
  t.equal(await cache.get('a'), 1)
  t.equal(await cache.get('nope'), undefined)
  await cache.has('a')
  await cache.has('nope')
  await cache.add('b', 2)
  await cache.touch('a')
  await cache.ttl('a')
  await cache.set('n', 1)
  await cache.incr('n')
  await cache.decr('n')
  await cache.getMany(['a', 'b', 'c'])
  await cache.setMany({ x: 1, y: 2 })
  await cache.deleteMany(['x', 'y'])
  await cache.delete('a')
  await cache.invalidateTags(['t'])
  await cache.clear()
  t.same(traces.ended.map(fieldsOf), [
    { cache: 'obs', operation: 'set', key: 'a' },
    { cache: 'obs', operation: 'get', key: 'a', outcome: 'hit', layer: 'redis' },
    { cache: 'obs', operation: 'get', key: 'nope', outcome: 'miss' },
    { cache: 'obs', operation: 'has', key: 'a', outcome: 'hit', layer: 'redis' },
    { cache: 'obs', operation: 'has', key: 'nope', outcome: 'miss' },
    { cache: 'obs', operation: 'add', key: 'b' },
    { cache: 'obs', operation: 'touch', key: 'a' },
    { cache: 'obs', operation: 'ttl', key: 'a' },
    { cache: 'obs', operation: 'set', key: 'n' },
    { cache: 'obs', operation: 'incr', key: 'n' },
    { cache: 'obs', operation: 'decr', key: 'n' },
    { cache: 'obs', operation: 'getMany', keys: 3 },
    { cache: 'obs', operation: 'setMany', keys: 2 },
    { cache: 'obs', operation: 'deleteMany', keys: 2 },
    { cache: 'obs', operation: 'delete', key: 'a' },
    { cache: 'obs', operation: 'invalidateTags' },
    { cache: 'obs', operation: 'clear' }
  ])
  t.equal(traces.started, traces.ended.length, 'one start per operation')
  t.ok(traces.ended.every((c) => c.result === undefined), 'no value rides in a context')
})

t.test('getOrSet: hit, computed once, every other caller collapsed (never also a miss), stale; stats() match', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { keyPrefix: 'obs' })
  const cache = app.cache
  const before = cache.stats()
  const traces = recordTraces(t, 'fastify-codex:cache')
  let runs = 0
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const callers = Array.from({ length: 5 }, async () => await cache.getOrSet('k', async () => { runs++; await gate; return 'v' }))
  await until(async () => runs === 1, 5000)
  release()
  t.same(await Promise.all(callers), ['v', 'v', 'v', 'v', 'v'])
  t.equal(runs, 1)
  t.equal(await cache.getOrSet('k', () => 'other'), 'v')
  // A grace copy, then a failed refresh once the ttl passed: the stale value answers.
  await cache.getOrSet('g', () => 'old', { ttl: 0.05, grace: 30 })
  await sleep(80)
  t.equal(await cache.getOrSet('g', () => { throw new Error('db down') }, { grace: 30 }), 'old')
  await t.rejects(cache.getOrSet('e', () => { throw new Error('db down') }), { message: 'db down' })
  const outcomes = traces.ended.filter((c) => c.key === 'k').map((c) => c.outcome).sort()
  t.same(outcomes, ['collapsed', 'collapsed', 'collapsed', 'collapsed', 'computed', 'hit'])
  t.same(fieldsOf(traces.ended.find((c) => c.key === 'k' && c.outcome === 'hit')!), { cache: 'obs', operation: 'getOrSet', key: 'k', outcome: 'hit', layer: 'redis' })
  t.same(traces.ended.filter((c) => c.key === 'g').map((c) => c.outcome), ['computed', 'stale'])
  const failed = traces.ended.find((c) => c.key === 'e')!
  t.equal(failed.outcome, undefined, 'a failure has no outcome')
  t.equal((failed.error as Error).message, 'db down', 'it carries the error')
  const after = cache.stats()
  t.same({
    hits: after.hits - before.hits,
    misses: after.misses - before.misses,
    stale: after.stale - before.stale,
    computed: after.computed - before.computed,
    collapsed: after.collapsed - before.collapsed,
    errors: after.errors - before.errors
  }, { hits: 1, misses: 0, stale: 1, computed: 2, collapsed: 4, errors: 1 })
})

t.test('getOrSet: a caller served by another process\'s computation is collapsed, not computed', async (t) => {
  const redis = await redisForTest(t)
  // Two apps on their own connections: two processes as far as the compute lock and its announcements go.
  const one = await cacheApp(t, redis, { keyPrefix: 'obs' })
  const two = await cacheApp(t, redis, { keyPrefix: 'obs' })
  const traces = recordTraces(t, 'fastify-codex:cache')
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  let started = false
  const first = one.cache.getOrSet('shared', async () => { started = true; await gate; return 'v' })
  await until(async () => started, 5000)
  // Whether it finds the lock held or the value landed, the second one never runs its factory.
  const second = two.cache.getOrSet('shared', () => 'never')
  release()
  t.same(await Promise.all([first, second]), ['v', 'v'])
  t.same(traces.ended.map((c) => c.outcome).sort(), ['collapsed', 'computed'])
  t.same([one.cache.stats().computed, two.cache.stats().collapsed, two.cache.stats().computed], [1, 1, 0])
})

t.test('getOrSetMany counts each key once; stats() need no subscriber', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { keyPrefix: 'obs' })
  const cache = app.cache
  await cache.set('a', 1)
  const before = cache.stats()
  await cache.getOrSetMany(['a', 'b', 'c'], (missing) => Object.fromEntries(missing.map((k) => [k, k])))
  await cache.get('a')
  await cache.get('zz')
  await cache.getMany(['a', 'b', 'q'])
  const after = cache.stats()
  t.same({ hits: after.hits - before.hits, misses: after.misses - before.misses, computed: after.computed - before.computed, collapsed: after.collapsed - before.collapsed },
    { hits: 4, misses: 2, computed: 2, collapsed: 0 })
  t.same(Object.keys(after).sort(), ['collapsed', 'computed', 'errors', 'hits', 'misses', 'near', 'stale'])
  t.same(after.near, { hits: 0, entries: 0, invalidations: 0 })
})

t.test('near cache: hits say layer near; Redis invalidations are published and counted', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { keyPrefix: 'obs', nearCache: { maxEntries: 100 } })
  const cache = app.cache
  const traces = recordTraces(t, 'fastify-codex:cache')
  const invalidations = recordMessages(t, 'fastify-codex:near:invalidate')
  await cache.set('hot', { n: 1 })
  await cache.get('hot')
  await cache.get('hot')
  await cache.has('hot')
  await cache.getOrSet('hot', () => ({ n: 2 }))
  t.same(traces.ended.filter((c) => c.operation !== 'set').map((c) => [c.operation, c.outcome, c.layer]),
    [['get', 'hit', 'redis'], ['get', 'hit', 'near'], ['has', 'hit', 'near'], ['getOrSet', 'hit', 'near']])
  t.equal(cache.stats().near.hits, 3)
  t.equal(cache.stats().near.entries, 1)
  const other = await rawClient(t, redis)
  await other.set(cache.makeKey('hot'), JSON.stringify({ n: 3 }))
  await until(async () => invalidations.length > 0, 5000)
  t.same(invalidations[0], { cache: 'obs', keys: 1 })
  t.equal(cache.stats().near.invalidations, 1)
  t.equal(cache.stats().near.entries, 0)
})

t.test('locks: acquired (with token), busy, released, extended, lost', async (t) => {
  const redis = await redisForTest(t)
  const app = await cacheApp(t, redis, { keyPrefix: 'obs' })
  const traces = recordTraces(t, 'fastify-codex:lock')
  const lock = await app.cache.lock('job', { ttl: 5 })
  t.equal(await app.cache.lock('job', { ttl: 5 }), null)
  t.equal(await lock!.extend(), true)
  t.equal(await lock!.release(), true)
  t.equal(await lock!.release(), false)
  t.equal(await lock!.extend(), false)
  t.same(traces.ended.map(fieldsOf), [
    { cache: 'obs', name: 'job', operation: 'acquire', outcome: 'acquired', token: lock!.token },
    { cache: 'obs', name: 'job', operation: 'acquire', outcome: 'busy' },
    { cache: 'obs', name: 'job', operation: 'extend', outcome: 'extended' },
    { cache: 'obs', name: 'job', operation: 'release', outcome: 'released' },
    { cache: 'obs', name: 'job', operation: 'release', outcome: 'lost' },
    { cache: 'obs', name: 'job', operation: 'extend', outcome: 'lost' }
  ])
})

t.test('sessions: load, create, update, refresh, destroy, revokeUser; no id, cookie or user id in any context; stats()', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user', rolling: true, cookie: { secure: false, maxAge: 4000 } })
  const before = app.sessions.stats()
  const traces = recordTraces(t, 'fastify-codex:session')
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada-user-id' } }))!.value
  await app.inject({ method: 'POST', url: '/set', payload: { theme: 'dark' }, headers: cookieHeader(cookie) })
  // A read-only request of a rolling session: an expiry refresh once the stored expiry lags (a tenth of maxAge).
  await sleep(600)
  await app.inject({ url: '/read', headers: cookieHeader(cookie) })
  await app.inject({ method: 'POST', url: '/logout', headers: cookieHeader(cookie) })
  await app.inject({ url: '/read', headers: cookieHeader(cookie) })
  const other = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada-user-id' } }))!.value
  t.equal(await app.sessions.revokeUser('ada-user-id'), 1)
  const seen = traces.ended.map((c) => [c.operation, c.outcome])
  t.same(seen, [
    // regenerate() destroys the request's unsaved session first (nothing removed, not counted in stats).
    ['destroy', 'done'], ['create', 'done'],
    ['load', 'found'], ['update', 'done'],
    ['load', 'found'], ['refresh', 'done'],
    ['load', 'found'], ['destroy', 'done'],
    ['load', 'missing'],
    ['destroy', 'done'], ['create', 'done'],
    ['revokeUser', 'done']
  ])
  const text = JSON.stringify(traces.ended.map(fieldsOf))
  for (const secret of [idOf(cookie), cookie, idOf(other), 'ada-user-id']) t.notOk(text.includes(secret), 'no session id, cookie or user id')
  t.ok(traces.ended.every((c) => c.result === undefined), 'no session data rides in a context')
  const after = app.sessions.stats()
  t.same(Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]])),
    { loads: 4, found: 3, creates: 2, updates: 1, refreshes: 1, destroys: 2, errors: 0 })
})

t.test('sessions: revoke(userId, handle) is a destroy; a refresh that lost the race is none; an expired write is a destroy', async (t) => {
  const redis = await redisForTest(t)
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  let loaded!: () => void
  const waiting = new Promise<void>((resolve) => { loaded = resolve })
  const { app } = await sessionApp(t, redis, { userKey: 'user', rolling: true, cookie: { secure: false, maxAge: 2000 } }, (app) => {
    defaultRoutes(app)
    app.get('/wait', async (request) => { loaded(); await gate; return { user: (request.session as unknown as { user?: string }).user } })
    app.post('/expire', async (request) => { request.session.cookie.maxAge = null as never; request.session.cookie.expires = new Date(Date.now() - 1000); return { ok: true } })
  })
  const traces = recordTraces(t, 'fastify-codex:session')
  const diff = (before: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(app.sessions.stats()).map(([k, v]) => [k, v - before[k]!]).filter(([, v]) => v !== 0))

  await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' } })
  let before = app.sessions.stats() as unknown as Record<string, number>
  const [device] = await app.sessions.listUser('ada', { details: true })
  t.equal(await app.sessions.revoke('ada', device!.handle), true)
  t.same(diff(before), { destroys: 1 }, 'revoke: one destroy')
  t.same(traces.ended.map((c) => c.operation).slice(-1), ['destroy'], 'traced as a destroy')

  // A read-only request loads, waits; meanwhile another request's update lands: its refresh then finds the key changed.
  const second = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' } }))!.value
  await sleep(400)
  before = app.sessions.stats() as unknown as Record<string, number>
  const slow = app.inject({ url: '/wait', headers: cookieHeader(second) })
  await waiting
  await app.inject({ method: 'POST', url: '/set', payload: { theme: 'dark' }, headers: cookieHeader(second) })
  release()
  t.same((await slow).json(), { user: 'ada' })
  t.same(diff(before), { loads: 2, found: 2, updates: 1 }, 'the refresh that wrote nothing is not counted')

  before = app.sessions.stats() as unknown as Record<string, number>
  await app.inject({ method: 'POST', url: '/expire', headers: cookieHeader(second) })
  t.equal(await redis.cli('EXISTS', `session:${idOf(second)}`), '0\n', 'set past its expiry: deleted')
  t.same(diff(before), { loads: 1, found: 1, destroys: 1 }, 'counted as the destroy it is, not an update')
  t.same(traces.ended.map((c) => c.operation).slice(-1), ['destroy'])
  t.equal(await redis.cli('EXISTS', 'session:user:ada'), '0\n', 'and out of its user\'s index')
})

t.test('route cache: miss (stored), hit, bypass, collapsed, with the URL pattern only', async (t) => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  app.get('/items/:id', { config: { cache: { ttl: 60 } } }, async (request) => ({ id: (request.params as { id: string }).id }))
  app.get('/slow', { config: { cache: { ttl: 60 } } }, async () => { await gate; return { ok: true } })
  await app.ready()
  const traces = recordTraces(t, 'fastify-codex:route-cache')
  const routeEnds = (): unknown[] => traces.ended.map(fieldsOf)
  await app.inject('/items/secret-1')
  await app.inject('/items/secret-1')
  await app.inject({ url: '/items/secret-1', headers: { authorization: 'Bearer x' } })
  t.same(routeEnds(), [
    { method: 'GET', route: '/items/:id', outcome: 'miss', stored: true },
    { method: 'GET', route: '/items/:id', outcome: 'hit', stored: false },
    { method: 'GET', route: '/items/:id', outcome: 'bypass', stored: false }
  ])
  t.notOk(JSON.stringify(routeEnds()).includes('secret-1'), 'the pattern, never the URL')
  const slow = [app.inject('/slow'), app.inject('/slow')]
  await until(async () => traces.started === 5, 5000)
  release()
  await Promise.all(slow)
  t.same(traces.ended.slice(3).map((c) => c.outcome).sort(), ['collapsed', 'miss'])
})

t.test('redis:unavailable once per outage, redis:restored once with downMs (SIGSTOP, then a restart)', async (t) => {
  const redis = await redisForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(codexRedis, { url: redis.url, commandTimeout: 300 })
  await app.register(codexCache, { keyPrefix: 'obs' })
  await app.ready()
  const down = recordMessages(t, 'fastify-codex:redis:unavailable')
  const up = recordMessages(t, 'fastify-codex:redis:restored')
  const works = async (): Promise<boolean> => await app.cache.get('k').then(() => true, () => false)

  redis.pause()
  const failures = await Promise.allSettled([app.cache.get('a'), app.cache.set('b', 1), app.cache.has('c')])
  t.ok(failures.every((f) => f.status === 'rejected'))
  await app.cache.get('d').catch(() => {})
  t.equal(down.length, 1, 'one unavailable event for the whole outage')
  t.equal(((down[0] as { error: { code: string } }).error).code, 'FST_CODEX_REDIS_UNAVAILABLE')
  t.equal(up.length, 0)
  redis.resume()
  await until(works, 5000)
  await app.cache.get('e')
  t.equal(up.length, 1, 'one restored event')
  const { downMs } = up[0] as { downMs: number }
  t.ok(Number.isInteger(downMs) && downMs >= 300, `downMs (${downMs}) covers at least the first deadline`)

  await redis.stop()
  await app.cache.get('f').catch(() => {})
  await app.cache.get('g').catch(() => {})
  t.equal(down.length, 2, 'a second outage, one more event')
  await redis.restart()
  await until(works, 10_000)
  t.equal(up.length, 2)
  t.equal(down.length, 2)
})
