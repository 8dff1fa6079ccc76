import t from 'tap'
import { resolveCacheOptions } from '../../lib/cache/options.js'
import { defaultKeyFunction, prefixPattern } from '../../lib/keys.js'
import { EXPIRED, resolveTtl, secondsFromPttl } from '../../lib/ttl.js'
import { decodeValue, encodeValue } from '../../lib/value-codec.js'

t.test('resolveTtl follows the contract’s TTL rules', async t => {
  t.equal(resolveTtl(undefined, 300_000), 300_000, 'omitted → the default')
  t.equal(resolveTtl(null, 300_000), null, 'null → no expiry')
  t.equal(resolveTtl(60, null), 60_000)
  t.equal(resolveTtl(1.5, null), 1500, 'fractions keep millisecond precision')
  t.equal(resolveTtl(0.0001, null), 1, 'a tiny positive TTL still keeps the value a moment')
  t.equal(resolveTtl(0, null), EXPIRED)
  t.equal(resolveTtl(-1, null), EXPIRED)
  for (const bad of [Number.NaN, Infinity, -Infinity, '5', {}, [], true]) {
    t.throws(() => resolveTtl(bad, null), { code: 'FST_CODEX_INVALID_TTL' }, String(bad))
  }
})

t.test('secondsFromPttl maps PTTL replies', async t => {
  t.equal(secondsFromPttl(-2), undefined)
  t.equal(secondsFromPttl(-1), null)
  t.equal(secondsFromPttl(1500), 1.5)
})

t.test('keys', async t => {
  t.equal(defaultKeyFunction('k', 'app', 1), 'app:1:k')
  t.equal(prefixPattern('app'), 'app:*')
  t.equal(prefixPattern('a*b?[c]\\^'), 'a\\*b\\?\\[c\\]\\\\\\^:*', 'glob characters are escaped')
})

t.test('cache options are defaulted and frozen', async t => {
  const options = resolveCacheOptions({})
  t.equal(options.keyPrefix, '')
  t.equal(options.version, 1)
  t.equal(options.ttl, 300_000, 'default ttl 300 s')
  t.ok(Object.isFrozen(options))
  t.equal(resolveCacheOptions({ ttl: null }).ttl, null)
  t.throws(() => resolveCacheOptions({ ttl: Number.NaN }), { code: 'FST_CODEX_INVALID_OPTIONS' })
})

t.test('a custom serializer’s failures get the contract’s codes', async t => {
  const broken = { stringify: () => { throw new Error('nope') }, parse: () => { throw new SyntaxError('bad') } }
  t.throws(() => encodeValue(broken, 1), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
  t.throws(() => encodeValue({ stringify: () => 42 as unknown as string, parse: JSON.parse }, 1), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
  const err = (() => { try { decodeValue(broken, 'x') } catch (e) { return e as Error } })()
  t.equal((err as { code?: string })?.code, 'FST_CODEX_CORRUPT_VALUE')
  t.ok(err?.cause instanceof SyntaxError, 'cause kept')
})
