import t from 'tap'
import { routeCacheApp } from '../helpers/route-cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('a cached GET route: the handler runs once, the second request is a hit with age and the same body', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let runs = 0
  app.get('/products', { config: { cache: { ttl: 60 } } }, async () => ({ runs: ++runs }))
  await app.ready()
  const first = await app.inject('/products')
  t.equal(first.statusCode, 200)
  t.equal(first.headers['cache-status'], 'fastify-codex; fwd=miss; stored')
  const second = await app.inject('/products')
  t.equal(second.statusCode, 200)
  t.same(second.json(), { runs: 1 })
  t.match(second.headers['cache-status'], /^fastify-codex; hit; ttl=\d+$/)
  t.equal(second.headers.age, '0')
  t.equal(second.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(second.headers.etag, first.headers.etag, 'the weak ETag computed at store is replayed')
  t.equal(runs, 1)
})

t.test('the key: query order does not matter, unselected query parameters and other routes do', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let runs = 0
  app.get('/search', { config: { cache: { query: ['q', 'page'] } } }, async (request) => ({ runs: ++runs, query: request.query }))
  app.get('/items/:id', { config: { cache: true } }, async (request) => ({ runs: ++runs, params: request.params }))
  await app.ready()
  await app.inject('/search?q=a&page=2')
  t.equal((await app.inject('/search?page=2&q=a&utm_source=x')).json().runs, 1, 'reordered, extra parameter ignored')
  t.equal((await app.inject('/search?q=b&page=2')).json().runs, 2, 'another value, another entry')
  t.equal((await app.inject('/items/1')).json().runs, 3)
  t.equal((await app.inject('/items/2')).json().runs, 4)
  t.equal((await app.inject('/items/1')).json().runs, 3)
})

t.test('only the listed headers are replayed; set-cookie, private, no-store, Vary: * and other statuses are never stored', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let runs = 0
  app.get('/headers', { config: { cache: true } }, async (_request, reply) => {
    reply.header('x-request-id', String(++runs)).header('content-language', 'fr').header('cache-control', 'public, max-age=60')
    reply.header('location', '/elsewhere').header('expires', 'Thu, 01 Jan 2037 00:00:00 GMT').header('last-modified', 'Tue, 01 Dec 2026 00:00:00 GMT')
    return 'hello'
  })
  const answers: Record<string, (reply: import('fastify').FastifyReply) => void> = {
    cookie: (reply) => { reply.header('set-cookie', 'sid=secret') },
    private: (reply) => { reply.header('cache-control', 'private') },
    nostore: (reply) => { reply.header('cache-control', 'no-store') },
    star: (reply) => { reply.header('vary', '*') },
    created: (reply) => { reply.code(201) }
  }
  for (const [name, shape] of Object.entries(answers)) {
    app.get(`/${name}`, { config: { cache: true } }, async (_request, reply) => { shape(reply); return `${name} ${++runs}` })
  }
  await app.ready()
  await app.inject('/headers')
  const hit = await app.inject('/headers')
  t.equal(hit.body, 'hello')
  t.equal(hit.headers['content-language'], 'fr')
  t.equal(hit.headers['cache-control'], 'public, max-age=60')
  t.equal(hit.headers.location, '/elsewhere')
  t.equal(hit.headers.expires, 'Thu, 01 Jan 2037 00:00:00 GMT')
  t.equal(hit.headers['last-modified'], 'Tue, 01 Dec 2026 00:00:00 GMT')
  t.match(hit.headers['cache-status'], /hit/)
  t.equal(hit.headers['x-request-id'], undefined, 'an unlisted header is not replayed')
  for (const name of Object.keys(answers)) {
    const one = await app.inject(`/${name}`)
    const two = await app.inject(`/${name}`)
    t.not(one.body, two.body, `${name}: the handler ran again`)
    t.equal(two.headers['cache-status'], 'fastify-codex; fwd=miss', `${name}: not stored`)
  }
})

t.test('lookup runs after the app\'s and the route\'s hooks; a hit goes through the app\'s onSend hooks', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let runs = 0
  app.addHook('preHandler', async (request, reply) => {
    if (request.headers['x-key'] !== 'open') return await reply.code(401).send({ error: 'no key' })
  })
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-frame-options', 'DENY')
    return payload
  })
  app.get('/guarded', {
    config: { cache: true },
    preValidation: async (request, reply) => { if (request.headers['x-ban'] !== undefined) await reply.code(403).send('banned') }
  }, async () => ({ runs: ++runs }))
  await app.ready()
  await app.inject({ url: '/guarded', headers: { 'x-key': 'open' } })
  const hit = await app.inject({ url: '/guarded', headers: { 'x-key': 'open' } })
  t.match(hit.headers['cache-status'], /hit/)
  t.equal(hit.headers['x-frame-options'], 'DENY', 'the app\'s onSend ran on the hit')
  t.equal((await app.inject('/guarded')).statusCode, 401, 'the app\'s auth hook runs before anything cached')
  t.equal((await app.inject({ url: '/guarded', headers: { 'x-key': 'open', 'x-ban': '1' } })).statusCode, 403, 'and the route\'s')
  t.equal(runs, 1)
})

t.test('HEAD is answered from the GET entry and never stores; a matching if-none-match gets 304', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let runs = 0
  app.get('/doc', { config: { cache: true } }, async () => `document ${++runs}`)
  await app.ready()
  const headMiss = await app.inject({ method: 'HEAD', url: '/doc' })
  t.equal(headMiss.headers['cache-status'], 'fastify-codex; fwd=miss')
  t.equal((await app.inject('/doc')).headers['cache-status'], 'fastify-codex; fwd=miss; stored', 'the HEAD stored nothing')
  const head = await app.inject({ method: 'HEAD', url: '/doc' })
  t.match(head.headers['cache-status'], /hit/)
  t.equal(head.body, '')
  t.equal(head.headers['content-length'], String(Buffer.byteLength('document 2')))
  const etag = head.headers.etag as string
  const notModified = await app.inject({ url: '/doc', headers: { 'if-none-match': etag } })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.body, '')
  t.equal(notModified.headers.etag, etag)
  t.equal((await app.inject({ url: '/doc', headers: { 'if-none-match': '"other"' } })).statusCode, 200)
  t.equal(runs, 2)
})

t.test('a response\'s Vary joins the key: each value gets its own entry, Vary-less keys are not reused', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let runs = 0
  app.get('/greeting', { config: { cache: true } }, async (request, reply) => {
    reply.header('vary', 'Accept-Language')
    return `${request.headers['accept-language'] === 'fr' ? 'bonjour' : 'hello'} ${++runs}`
  })
  await app.ready()
  const fr = { 'accept-language': 'fr' }
  const en = { 'accept-language': 'en' }
  t.equal((await app.inject({ url: '/greeting', headers: fr })).headers['cache-status'], 'fastify-codex; fwd=miss', 'the first response teaches the route its Vary')
  t.equal((await app.inject({ url: '/greeting', headers: en })).body, 'hello 2')
  t.equal((await app.inject({ url: '/greeting', headers: fr })).body, 'bonjour 3')
  t.equal((await app.inject({ url: '/greeting', headers: en })).body, 'hello 2')
  t.equal((await app.inject({ url: '/greeting', headers: fr })).body, 'bonjour 3')
  // Another process learns it from Redis.
  const other = await routeCacheApp(t, redis)
  other.get('/greeting', { config: { cache: true } }, async () => 'never')
  await other.ready()
  t.equal((await other.inject({ url: '/greeting', headers: fr })).body, 'bonjour 3')
})

t.test('vary and varyBy make entries; credentials bypass unless varyBy or shared', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let runs = 0
  app.get('/plain', { config: { cache: true } }, async () => `plain ${++runs}`)
  app.get('/mine', { config: { cache: { varyBy: (request) => String(request.headers.authorization) } } }, async (request) => `${request.headers.authorization} ${++runs}`)
  app.get('/shared', { config: { cache: { shared: true } } }, async () => `shared ${++runs}`)
  app.get('/lang', { config: { cache: { vary: ['X-Lang'] } } }, async (request) => `${request.headers['x-lang']} ${++runs}`)
  await app.ready()
  const auth = (who: string) => ({ authorization: `Bearer ${who}` })
  await app.inject('/plain')
  const withAuth = await app.inject({ url: '/plain', headers: auth('a') })
  t.equal(withAuth.headers['cache-status'], 'fastify-codex; fwd=bypass')
  t.equal(withAuth.body, 'plain 2', 'a request with credentials never reads the cache')
  t.match((await app.inject('/plain')).body, 'plain 1', 'nor writes it')
  const a = (await app.inject({ url: '/mine', headers: auth('a') })).body
  const b = (await app.inject({ url: '/mine', headers: auth('b') })).body
  t.not(a, b)
  t.equal((await app.inject({ url: '/mine', headers: auth('a') })).body, a, 'varyBy: one entry per value')
  const s = (await app.inject({ url: '/shared', headers: auth('a') })).body
  t.equal((await app.inject('/shared')).body, s, 'shared: credentials or not, one entry')
  const l1 = (await app.inject({ url: '/lang', headers: { 'x-lang': 'fr' } })).body
  t.not((await app.inject({ url: '/lang', headers: { 'x-lang': 'de' } })).body, l1)
  t.equal((await app.inject({ url: '/lang', headers: { 'x-lang': 'fr' } })).body, l1)
})

t.test('a 2xx write to a path invalidates every GET variant of that path; tags invalidate', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let runs = 0
  app.get('/products/:id', { config: { cache: { tags: () => ['products'] } } }, async (request, reply) => {
    reply.cacheTags('catalog')
    return `${(request.params as { id: string }).id} ${++runs}`
  })
  app.put('/products/:id', async (request, reply) => reply.code(request.headers['x-fail'] === undefined ? 204 : 400).send())
  await app.ready()
  await app.inject('/products/1')
  await app.inject('/products/1?lang=fr')
  await app.inject('/products/2')
  t.equal((await app.inject({ method: 'PUT', url: '/products/1', headers: { 'x-fail': '1' } })).statusCode, 400)
  t.equal((await app.inject('/products/1')).body, '1 1', 'a failed write invalidates nothing')
  await app.inject({ method: 'PUT', url: '/products/1' })
  t.equal((await app.inject('/products/1')).body, '1 4')
  t.equal((await app.inject('/products/1?lang=fr')).body, '1 5', 'every variant of the path')
  t.equal((await app.inject('/products/2')).body, '2 3', 'another path keeps its entry')
  await app.cache.invalidateTags(['products'])
  t.equal((await app.inject('/products/2')).body, '2 6', 'the route\'s tags')
  await app.cache.invalidateTags(['catalog'])
  t.equal((await app.inject('/products/2')).body, '2 7', 'a tag the handler added')
})

t.test('grace: a stored response answers when the handler throws or answers 5xx, and the failure is not stored', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let mode = 'ok'
  let runs = 0
  app.get('/flaky', { config: { cache: { ttl: 0.2, grace: 60 } } }, async (_request, reply) => {
    runs++
    if (mode === 'throw') throw new Error('database down')
    if (mode === '503') return await reply.code(503).send('busy')
    return `good ${runs}`
  })
  app.get('/nograce', { config: { cache: { ttl: 0.2 } } }, async () => { if (mode !== 'ok') throw new Error('down'); return 'fine' })
  app.addHook('onSend', async (_request, reply, payload) => { reply.header('x-frame-options', 'DENY'); return payload })
  await app.ready()
  t.equal((await app.inject('/flaky')).body, 'good 1')
  await app.inject('/nograce')
  await new Promise((resolve) => setTimeout(resolve, 300))
  mode = 'throw'
  const stale = await app.inject('/flaky')
  t.equal(stale.statusCode, 200)
  t.equal(stale.body, 'good 1')
  t.equal(stale.headers['cache-status'], 'fastify-codex; fwd=stale')
  t.equal(stale.headers['content-type'], 'text/plain; charset=utf-8', 'the stored response\'s content-type, not the error\'s')
  t.equal(stale.headers['x-frame-options'], 'DENY', 'headers of the app\'s onSend hooks stay')
  t.ok(stale.headers.age !== undefined)
  mode = '503'
  t.equal((await app.inject('/flaky')).body, 'good 1')
  t.equal((await app.inject('/nograce')).statusCode, 500, 'without grace the failure answers')
  mode = 'ok'
  t.equal((await app.inject('/flaky')).body, 'good 4', 'the failures stored nothing')
})

t.test('bad route options fail ready() with FST_CODEX_INVALID_OPTIONS', async t => {
  const redis = await redisForTest(t)
  for (const cache of [{ ttl: -1 }, { statuses: [700] }, { varyBy: 'user' }, { bogus: true }]) {
    const app = await routeCacheApp(t, redis)
    app.get('/x', { config: { cache: cache as never } }, async () => 'x')
    await t.rejects(async () => await app.ready(), { code: 'FST_CODEX_INVALID_OPTIONS' }, JSON.stringify(cache))
  }
  const post = await routeCacheApp(t, redis)
  post.post('/x', { config: { cache: true } }, async () => 'x')
  await t.rejects(async () => await post.ready(), { code: 'FST_CODEX_INVALID_OPTIONS' }, 'a POST route')
  await t.rejects(routeCacheApp(t, redis, { routeCache: { grace: -1 } }), { code: 'FST_CODEX_INVALID_OPTIONS' }, 'plugin defaults')
})

t.test('plugin defaults apply to every cached route', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis, { routeCache: { ttl: 1234 } })
  app.get('/d', { config: { cache: true } }, async () => 'd')
  await app.ready()
  await app.inject('/d')
  t.match((await app.inject('/d')).headers['cache-status'], /ttl=123[34]$/)
})

t.test('a tags or varyBy function that throws, or returns a bad tag, costs the cache, never the request', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  app.get('/a', { config: { cache: { tags: () => { throw new Error('oops') } } } }, async () => 'a')
  app.get('/b', { config: { cache: { tags: () => [''] } } }, async () => 'b')
  app.get('/c', { config: { cache: { varyBy: () => { throw new Error('oops') } } } }, async () => 'c')
  await app.ready()
  for (const url of ['/a', '/b', '/c']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers['cache-status'], 'fastify-codex; fwd=bypass', url)
  }
})

t.test('after a response that may not be stored, concurrent requests for it no longer wait for one another', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let running = 0
  let most = 0
  app.get('/private', { config: { cache: true } }, async (_request, reply) => {
    most = Math.max(most, ++running)
    await new Promise((resolve) => setTimeout(resolve, 100))
    running--
    return await reply.header('cache-control', 'private').send('mine')
  })
  await app.ready()
  await app.inject('/private')
  most = 0
  const replies = await Promise.all([app.inject('/private'), app.inject('/private'), app.inject('/private')])
  t.equal(most, 3, 'the three handlers ran side by side')
  t.same(replies.map((r) => r.headers['cache-status']), Array(3).fill('fastify-codex; fwd=miss'))
})
