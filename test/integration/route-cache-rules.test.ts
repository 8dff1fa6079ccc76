import Fastify from 'fastify'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { codexCache } from '../../index.js'
import { Gate } from '../helpers/gate.js'
import { routeCacheApp } from '../helpers/route-cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('routes with one URL and different host constraints never serve each other\'s body', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  app.get('/home', { constraints: { host: 'a.example' }, config: { cache: true } }, async () => 'tenant A')
  app.get('/home', { constraints: { host: 'b.example' }, config: { cache: true } }, async () => 'tenant B')
  await app.ready()
  for (let round = 0; round < 2; round++) {
    t.equal((await app.inject({ url: '/home', headers: { host: 'a.example' } })).body, 'tenant A')
    t.equal((await app.inject({ url: '/home', headers: { host: 'b.example' } })).body, 'tenant B')
  }
  t.match((await app.inject({ url: '/home', headers: { host: 'b.example' } })).headers['cache-status'], /hit/, 'each is cached')
})

t.test('a write invalidates the GET entries of its path however either URL was spelled', async t => {
  const redis = await redisForTest(t)
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: false } })
  t.teardown(() => app.close())
  await app.register(codexCache, { url: redis.url, keyPrefix: 'rc' })
  let runs = 0
  app.get('/products/:id', { config: { cache: { ttl: 60 } } }, async (request) => `${(request.params as { id: string }).id} ${++runs}`)
  app.put('/products/:id', async (_request, reply) => await reply.code(204).send())
  await app.ready()
  const spellings: Array<[string, string]> = [['/products/%31', '/products/1'], ['/products/1', '/products/%31'], ['/Products/1/', '//products/1']]
  for (const [read, write] of spellings) {
    const before = (await app.inject(read)).body
    t.match((await app.inject(read)).headers['cache-status'], /hit/, `${read} is cached`)
    t.equal((await app.inject({ method: 'PUT', url: write })).statusCode, 204)
    t.not((await app.inject(read)).body, before, `PUT ${write} invalidated GET ${read}`)
  }
})

t.test('a 2xx POST, PATCH or DELETE invalidates its path\'s GET entries; a 4xx or another path does not', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let runs = 0
  app.get('/items/:id', { config: { cache: { ttl: 60 } } }, async (request) => `${(request.params as { id: string }).id} ${++runs}`)
  for (const method of ['POST', 'PATCH', 'DELETE'] as const) {
    app.route({ method, url: '/items/:id', handler: async (request, reply) => await reply.code((request.query as { fail?: string }).fail === undefined ? 200 : 400).send('ok') })
  }
  await app.ready()
  for (const method of ['POST', 'PATCH', 'DELETE'] as const) {
    const before = (await app.inject('/items/1')).body
    const other = (await app.inject('/items/2')).body
    t.equal((await app.inject({ method, url: '/items/1?fail=1' })).statusCode, 400)
    t.equal((await app.inject('/items/1')).body, before, `a 400 ${method} invalidates nothing`)
    t.equal((await app.inject({ method, url: '/items/1' })).statusCode, 200)
    t.not((await app.inject('/items/1')).body, before, `a 200 ${method} invalidated its path`)
    t.equal((await app.inject('/items/2')).body, other, `${method} /items/1 left /items/2 cached`)
  }
})

t.test('a body under maxBytes whose encoded entry is over the cache\'s maxValueBytes is not stored, and logs no error', async t => {
  const redis = await redisForTest(t)
  const logs: Array<{ level: number, msg: string }> = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => logs.push(JSON.parse(line) as { level: number, msg: string }) } } })
  t.teardown(() => app.close())
  await app.register(codexCache, { url: redis.url, keyPrefix: 'rc', maxValueBytes: 2500 })
  let runs = 0
  // 1500 bytes of body, over 3000 once JSON escapes each quote.
  app.get('/quotes', { config: { cache: true } }, async () => `${'"'.repeat(1500)}${++runs}`)
  await app.ready()
  for (let round = 1; round <= 2; round++) {
    const response = await app.inject('/quotes')
    t.equal(response.body, `${'"'.repeat(1500)}${round}`)
    t.equal(response.headers['cache-status'], 'fastify-codex; fwd=miss', 'not said to be stored')
  }
  t.same(logs.filter((line) => line.level >= 50).map((line) => line.msg), [], 'no cache error logged')
})

t.test('responses that never reach the lookup (an app hook\'s 401, a validation 400) still carry cache-status fwd=bypass', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  app.addHook('preHandler', async (request, reply) => {
    if (request.headers['x-deny'] !== undefined) return await reply.code(401).send('no')
  })
  app.get('/items', { config: { cache: true }, schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } }, async () => 'items')
  await app.ready()
  const denied = await app.inject({ url: '/items', headers: { 'x-deny': '1' } })
  t.equal(denied.statusCode, 401)
  t.equal(denied.headers['cache-status'], 'fastify-codex; fwd=bypass')
  const invalid = await app.inject('/items?n=x')
  t.equal(invalid.statusCode, 400)
  t.equal(invalid.headers['cache-status'], 'fastify-codex; fwd=bypass')
  t.equal((await app.inject({ method: 'HEAD', url: '/items', headers: { 'x-deny': '1' } })).headers['cache-status'], 'fastify-codex; fwd=bypass')
})

t.test('HEAD learns the Vary names of the GET route\'s responses: it is answered from the GET entry', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  app.get('/greeting', { config: { cache: true } }, async (request, reply) => {
    reply.header('vary', 'accept-language')
    return request.headers['accept-language'] === 'fr' ? 'bonjour' : 'hello'
  })
  await app.ready()
  t.equal((await app.inject({ method: 'HEAD', url: '/greeting', headers: { 'accept-language': 'fr' } })).statusCode, 200, 'HEAD first: nothing learned yet')
  t.equal((await app.inject({ url: '/greeting', headers: { 'accept-language': 'fr' } })).body, 'bonjour', 'the GET learns the Vary')
  t.equal((await app.inject({ url: '/greeting', headers: { 'accept-language': 'fr' } })).headers['cache-status'], 'fastify-codex; fwd=miss; stored')
  // A GET hit waits for a store still in flight; HEAD only reads.
  t.match((await app.inject({ url: '/greeting', headers: { 'accept-language': 'fr' } })).headers['cache-status'], /hit/)
  const head = await app.inject({ method: 'HEAD', url: '/greeting', headers: { 'accept-language': 'fr' } })
  t.match(head.headers['cache-status'], /^fastify-codex; hit/)
  t.equal(head.body, '')
  t.equal((await app.inject({ method: 'HEAD', url: '/greeting', headers: { 'accept-language': 'de' } })).headers['cache-status'], 'fastify-codex; fwd=miss', 'another language is another entry')
})

t.test('a body the handler encoded, without accept-encoding in its Vary, is not stored (an identity client must never get it)', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let runs = 0
  app.get('/packed', { config: { cache: true } }, async (_request, reply) => {
    runs++
    return await reply.header('content-encoding', 'gzip').header('content-type', 'text/plain').send(gzipSync('packed'))
  })
  app.get('/declared', { config: { cache: true } }, async (_request, reply) => {
    return await reply.header('content-encoding', 'gzip').header('vary', 'accept-encoding').header('content-type', 'text/plain').send(gzipSync('declared'))
  })
  await app.ready()
  for (let i = 0; i < 2; i++) t.equal((await app.inject({ url: '/packed', headers: { 'accept-encoding': 'gzip' } })).headers['cache-status'], 'fastify-codex; fwd=miss')
  t.equal((await app.inject('/packed')).headers['cache-status'], 'fastify-codex; fwd=miss', 'an identity client is not served the gzip body')
  t.equal(runs, 3)
  for (let i = 0; i < 2; i++) await app.inject({ url: '/declared', headers: { 'accept-encoding': 'gzip' } })
  t.match((await app.inject({ url: '/declared', headers: { 'accept-encoding': 'gzip' } })).headers['cache-status'], /hit/, 'with Vary: accept-encoding it is stored')
})

t.test('a handler slower than hardTimeout is not logged as a cache failure nor said stored; the request waiting for it runs its own', async t => {
  const redis = await redisForTest(t)
  const logs: Array<{ level: number, msg: string }> = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => logs.push(JSON.parse(line) as { level: number, msg: string }) } } })
  t.teardown(() => app.close())
  await app.register(codexCache, { url: redis.url, keyPrefix: 'rc' })
  const gate = new Gate()
  let runs = 0
  app.get('/slow', { config: { cache: { hardTimeout: 50 } } }, async () => {
    // The first run holds until the second request gave up waiting for it (its hardTimeout, which fires after the first's).
    if (++runs === 1) await gate.hold()
    else gate.open()
    return `run ${runs}`
  })
  await app.ready()
  const arrived = gate.arrival()
  const first = app.inject('/slow')
  await arrived
  const second = await app.inject('/slow')
  t.equal(second.body, 'run 2')
  t.equal(second.headers['cache-status'], 'fastify-codex; fwd=miss')
  const slow = await first
  t.equal(slow.statusCode, 200)
  t.equal(slow.headers['cache-status'], 'fastify-codex; fwd=miss', 'abandoned by getOrSet: not said to be stored')
  t.same(logs.filter((line) => line.level >= 50).map((line) => line.msg), [], 'no cache error logged')
})

t.test('statuses listing 206, 304 or 5xx start with a warning and never store those statuses', async t => {
  const redis = await redisForTest(t)
  const logs: Array<{ level: number, msg: string }> = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => logs.push(JSON.parse(line) as { level: number, msg: string }) } } })
  t.teardown(() => app.close())
  await app.register(codexCache, { url: redis.url, keyPrefix: 'rc' })
  let runs = 0
  app.get('/answer/:status', { config: { cache: { statuses: [200, 206, 304, 503] } } }, async (request, reply) => {
    runs++
    return await reply.code(Number((request.params as { status: string }).status)).send('body')
  })
  await app.ready()
  t.match(logs.map((line) => line.msg), [/statuses 206, 304, 503 are never stored/], 'one warning at start-up')
  for (const status of ['206', '304', '503']) {
    await app.inject(`/answer/${status}`)
    const before = runs
    const second = await app.inject(`/answer/${status}`)
    t.equal(runs, before + 1, `${status}: the handler ran again`)
    t.notMatch(second.headers['cache-status'], /hit/, `${status}: not served from the cache`)
  }
  await app.inject('/answer/200')
  t.match((await app.inject('/answer/200')).headers['cache-status'], /hit/, '200 is stored')
})

t.test('a route with ttl: null stores its response without expiry and keeps serving it as a hit, never stale', async t => {
  const redis = await redisForTest(t)
  // The cache's own ttl is short: the route's null must not fall back to it.
  const app = await routeCacheApp(t, redis, { ttl: 1 })
  let runs = 0
  app.get('/forever', { config: { cache: { ttl: null } } }, async () => `run ${++runs}`)
  await app.ready()
  t.match((await app.inject('/forever')).headers['cache-status'], /stored/)
  const keys = (await redis.cli('--scan', '--pattern', 'rc:*')).split('\n').filter((key) => key !== '')
  const ttls = await Promise.all(keys.map(async (key) => (await redis.cli('pttl', key)).trim()))
  t.ok(ttls.includes('-1'), 'the entry has no expiry in Redis')
  // Past the cache's 1 s default, as if it had been stored 2 s ago.
  const clock = Date.now
  const later = clock() + 2000
  Date.now = () => later
  t.teardown(() => { Date.now = clock })
  const hit = await app.inject('/forever')
  Date.now = clock
  t.equal(hit.body, 'run 1')
  t.match(hit.headers['cache-status'], /^fastify-codex; hit/, 'a hit, not fwd=stale')
  t.notMatch(hit.headers['cache-status'], /ttl=/, 'no ttl counting down')
})

t.test('two apps given the same route options object both cache the route', async t => {
  const redis = await redisForTest(t)
  const shared = { config: { cache: { ttl: 60 } } }
  for (const name of ['one', 'two']) {
    const app = await routeCacheApp(t, redis, { keyPrefix: name })
    app.get('/shared', shared, async () => name)
    await app.ready()
    t.equal((await app.inject('/shared')).headers['cache-status'], 'fastify-codex; fwd=miss; stored', `${name} stored it`)
    t.match((await app.inject('/shared')).headers['cache-status'], /^fastify-codex; hit/, `${name} served it`)
  }
})
