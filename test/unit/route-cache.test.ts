import t from 'tap'
import { RouteCacheHost, type RouteCacheBackend } from '../../lib/route-cache/backend.js'
import { RedisUnavailableError } from '../../lib/errors.js'
import { hasCredentials } from '../../lib/route-cache/credentials.js'
import { bodyOf, etagMatches, freshnessLeft, isStoredResponse, toEntry, unstorableReason, varyNames } from '../../lib/route-cache/entry.js'
import { STRICT_PATHS, canonicalPath, pathOf, routeKey, routePattern, selectQuery, type KeyParts } from '../../lib/route-cache/key.js'
import { checkRouteCacheOptions, resolveRouteCache } from '../../lib/route-cache/options.js'
import { forwardStatus, hitStatus } from '../../lib/route-cache/status.js'

const parts = (over: Partial<KeyParts> = {}): KeyParts => ({
  pattern: '/p/:id', params: { id: '1' }, search: '', query: undefined, vary: [], headers: {}, varyBy: undefined, ...over
})

t.test('key: query parameters are order-insensitive, repeated ones keep their order, unselected ones are ignored', async t => {
  t.equal(routeKey(parts({ search: 'a=1&b=2' })), routeKey(parts({ search: 'b=2&a=1' })))
  t.not(routeKey(parts({ search: 'a=1&a=2' })), routeKey(parts({ search: 'a=2&a=1' })))
  t.not(routeKey(parts({ search: 'a=1' })), routeKey(parts({ search: 'a=2' })))
  const onlyA = new Set(['a'])
  t.equal(routeKey(parts({ search: 'a=1&utm=x', query: onlyA })), routeKey(parts({ search: 'a=1', query: onlyA })))
  t.same(selectQuery('b=2&a=1&a=0', undefined), [['a', '1'], ['a', '0'], ['b', '2']])
})

t.test('key: params, vary header values and varyBy each make a different entry', async t => {
  t.not(routeKey(parts()), routeKey(parts({ params: { id: '2' } })))
  const vary = ['accept-language']
  t.not(routeKey(parts({ vary, headers: { 'accept-language': 'fr' } })), routeKey(parts({ vary, headers: { 'accept-language': 'de' } })))
  t.equal(routeKey(parts({ vary, headers: { 'accept-language': 'fr, de' } })), routeKey(parts({ vary, headers: { 'accept-language': 'fr,de' } })))
  t.not(routeKey(parts({ vary, headers: {} })), routeKey(parts({ vary, headers: { 'accept-language': '' } })), 'absent differs from empty')
  t.not(routeKey(parts({ varyBy: 'u1' })), routeKey(parts({ varyBy: 'u2' })))
  t.not(routeKey(parts({ varyBy: 'u1' })), routeKey(parts()))
  t.match(routeKey(parts()), /^route:\/p\/:id:[\w-]+$/)
  t.equal(pathOf('/a/b?x=1'), '/a/b')
})

t.test('canonicalPath: decoded segments (an encoded slash stays one), then the router\'s rules; routePattern: stable constraints', async t => {
  t.equal(canonicalPath('/p/%31?x=1', STRICT_PATHS), '/p/1')
  t.equal(canonicalPath('/p/a%2Fb', STRICT_PATHS), '/p/a%2Fb')
  t.equal(canonicalPath('/p/%zz', STRICT_PATHS), '/p/%zz', 'malformed stays as sent')
  t.equal(canonicalPath('//P/1/', STRICT_PATHS), '//P/1/')
  t.equal(canonicalPath('//P/1/;x', { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: false, useSemicolonDelimiter: true }), '/p/1')
  t.equal(routePattern('/a', undefined), '/a')
  t.equal(routePattern('/a', { version: '1.0.0', host: 'x' }), routePattern('/a', { host: 'x', version: '1.0.0' }))
  t.not(routePattern('/a', { host: /a\.example/ }), routePattern('/a', { host: /b\.example/ }))
})

t.test('storable: set-cookie, private/no-store/no-cache, other statuses, Vary: *, streams and big bodies are not', async t => {
  const ok = new Set([200])
  t.equal(unstorableReason(200, {}, 'x', ok, 10), undefined)
  t.equal(unstorableReason(200, { 'content-encoding': 'br' }, 'x', ok, 10), 'vary', 'encoded, key blind to accept-encoding')
  t.equal(unstorableReason(200, { 'content-encoding': 'br', vary: 'Accept-Encoding' }, 'x', ok, 10), undefined)
  t.equal(unstorableReason(200, { 'content-encoding': 'identity' }, 'x', ok, 10), undefined)
  t.equal(unstorableReason(200, {}, Buffer.from('x'), ok, 10), undefined)
  t.equal(unstorableReason(201, {}, 'x', ok, 10), 'status')
  t.equal(unstorableReason(200, { 'set-cookie': 'a=b' }, 'x', ok, 10), 'set-cookie')
  for (const cc of ['private', 'no-store', 'max-age=5, no-cache', 'Private']) t.equal(unstorableReason(200, { 'cache-control': cc }, 'x', ok, 10), 'cache-control', cc)
  t.equal(unstorableReason(200, { 'cache-control': 'public, max-age=60' }, 'x', ok, 10), undefined)
  t.equal(unstorableReason(200, { vary: 'Accept, *' }, 'x', ok, 10), 'vary')
  t.equal(unstorableReason(200, {}, { pipe () {} }, ok, 10), 'stream')
  t.equal(unstorableReason(200, {}, 'é'.repeat(6), ok, 10), 'size', 'counted in bytes')
})

t.test('entry: only the listed headers are kept, an ETag is made when missing, a Buffer body round-trips', async t => {
  const entry = toEntry(200, {
    'content-type': 'text/plain', 'set-cookie': 'a=b', date: 'x', 'x-custom': '1', 'content-length': '3', vary: 'Accept-Encoding', connection: 'keep-alive'
  }, 'abc', 60, 1000)
  t.same(Object.keys(entry.h).sort(), ['content-type', 'etag', 'vary'])
  t.match(entry.h.etag, /^W\/"[\w-]+"$/)
  t.equal(toEntry(200, { etag: '"v1"' }, 'abc', 60, 0).h.etag, '"v1"', 'the response\'s own ETag is kept')
  const binary = Buffer.from([0, 255, 1])
  const stored = JSON.parse(JSON.stringify(toEntry(200, { 'content-encoding': 'gzip' }, binary, 60, 0))) as unknown
  t.ok(isStoredResponse(stored))
  t.same(bodyOf(stored as never), binary)
  t.equal(freshnessLeft(entry, 11_000), 50)
  t.equal(freshnessLeft(toEntry(200, {}, '', null, 0), 5), undefined)
  t.notOk(isStoredResponse(null))
  t.notOk(isStoredResponse({ s: 200 }))
})

t.test('etag matching is weak and handles lists and *', async t => {
  t.ok(etagMatches('"a"', 'W/"a"'))
  t.ok(etagMatches('W/"a"', '"a"'))
  t.ok(etagMatches('"x", W/"a"', 'W/"a"'))
  t.ok(etagMatches('*', '"a"'))
  t.notOk(etagMatches('"b"', '"a"'))
  t.notOk(etagMatches(undefined, '"a"'))
})

t.test('vary names: lower-cased, deduplicated, sorted', async t => {
  t.same(varyNames('Accept-Encoding, accept-language ,ACCEPT-ENCODING'), ['accept-encoding', 'accept-language'])
  t.same(varyNames(undefined), [])
  t.same(varyNames(['a', 'b']), ['a', 'b'])
})

t.test('cache-status values (RFC 9211)', async t => {
  t.equal(hitStatus(12), 'fastify-codex; hit; ttl=12')
  t.equal(hitStatus(undefined), 'fastify-codex; hit')
  t.equal(forwardStatus('miss', { stored: true }), 'fastify-codex; fwd=miss; stored')
  t.equal(forwardStatus('miss', { collapsed: true }), 'fastify-codex; fwd=miss; collapsed')
  t.equal(forwardStatus('bypass'), 'fastify-codex; fwd=bypass')
})

t.test('credentials: an authorization header or a non-empty session cookie', async t => {
  t.ok(hasCredentials({ authorization: 'Bearer x' }, undefined))
  t.ok(hasCredentials({ cookie: 'theme=dark; sid=abc' }, 'sid'))
  t.notOk(hasCredentials({ cookie: 'theme=dark; xsid=abc' }, 'sid'))
  t.notOk(hasCredentials({ cookie: 'sid=' }, 'sid'))
  t.notOk(hasCredentials({ cookie: 'sid=abc' }, undefined))
  t.notOk(hasCredentials({}, 'sid'))
})

t.test('options: defaults, route over plugin defaults, bad values fail with FST_CODEX_INVALID_OPTIONS', async t => {
  const resolved = resolveRouteCache(true, {}, 'r')
  t.equal(resolved.grace, 0)
  t.equal(resolved.maxBytes, 1_048_576)
  t.same([...resolved.statuses], [200])
  t.same(resolved.vary, [])
  t.equal(resolved.shared, false)
  t.ok(Object.isFrozen(resolved))
  const defaults = checkRouteCacheOptions({ ttl: 30, vary: ['Accept-Language'] }, 'd')
  const route = resolveRouteCache({ grace: 5 }, defaults, 'r')
  t.equal(route.ttl, 30)
  t.equal(route.grace, 5)
  t.same(route.vary, ['accept-language'])
  t.same([...resolveRouteCache({ statuses: [200, 206, 304, 404, 500, 503] }, {}, 'r').statuses], [200, 404], '206, 304 and 5xx are dropped')
  for (const bad of [
    { ttl: -1 }, { ttl: 'x' }, { grace: Infinity }, { timeout: -1 }, { tags: ['a'] }, { query: 'a' }, { vary: ['bad header'] },
    { varyBy: 'user' }, { shared: 1 }, { statuses: [99] }, { statuses: [200.5] }, { statuses: [600] }, { statuses: '200' }, { statuses: [] }, { maxBytes: -1 }, { tll: 5 }, 'yes'
  ]) {
    t.throws(() => resolveRouteCache(bad, {}, 'r'), { code: 'FST_CODEX_INVALID_OPTIONS' }, JSON.stringify(bad))
  }
})

t.test('key: a key kept for reuse is the one hashed, and many distinct keys still each get their own', async t => {
  const first = routeKey(parts({ params: { id: 'kept' } }))
  t.equal(routeKey(parts({ params: { id: 'kept' } })), first, 'the same parts again: the same key')
  const keys = new Set<string>()
  for (let i = 0; i < 3000; i++) keys.add(routeKey(parts({ params: { id: `n${i}` } })))
  t.equal(keys.size, 3000, 'more distinct entries than are kept: no two share a key')
  t.equal(routeKey(parts({ params: { id: 'kept' } })), first, 'dropped from the kept ones: hashed again to the same key')
})

t.test('an outage is logged once; a round trip begun before it (a store finishing late) does not end it, a later one does', async t => {
  const warnings: string[] = []
  const logger = { warn: (_obj: object, msg: string) => { warnings.push(msg) }, error: () => {} }
  const host = new RouteCacheHost({} as unknown as RouteCacheBackend, logger, null)
  const begunBefore = performance.now()
  host.failed(new RedisUnavailableError('down'), '/a')
  host.up(begunBefore)
  host.failed(new RedisUnavailableError('down'), '/b')
  t.equal(warnings.length, 1, 'still the same outage')
  host.up(performance.now())
  host.failed(new RedisUnavailableError('down again'), '/a')
  t.equal(warnings.length, 2, 'a new outage is logged again')
})
