import t from 'tap'
import { jsonSerializer } from '../../lib/serializer.js'
import { DEFAULT_SESSION_TTL, resolveSessionOptions } from '../../lib/session/options.js'

t.test('defaults', async (t) => {
  const options = resolveSessionOptions({})
  t.equal(options.prefix, 'session')
  t.equal(options.idleTtlMs({}), DEFAULT_SESSION_TTL * 1000)
  t.equal(DEFAULT_SESSION_TTL, 1_209_600, 'fourteen days')
  t.equal(options.serializer, jsonSerializer)
  t.equal(options.userKey, undefined)
  t.equal(options.disableTouch, false)
  t.ok(Object.isFrozen(options))
})

t.test('given values', async (t) => {
  const logger = { warn () {} }
  const options = resolveSessionOptions({ projectName: 'shop', keyPrefix: 'sess', ttl: 1.5, userKey: 'userId', logger })
  t.equal(options.prefix, 'shop:sess')
  t.equal(options.idleTtlMs({}), 1500)
  t.equal(options.userKey, 'userId')
  t.equal(options.logger, logger)
  t.equal(resolveSessionOptions({ projectName: 'shop', keyPrefix: '' }).prefix, 'shop')
})

t.test('a ttl function: seconds per session, checked on every call', async (t) => {
  const { idleTtlMs } = resolveSessionOptions({ ttl: (session) => session.admin === true ? 60 : 0.5 })
  t.equal(idleTtlMs({ admin: true }), 60_000)
  t.equal(idleTtlMs({}), 500)
  t.equal(resolveSessionOptions({ ttl: () => -1 }).idleTtlMs({}), 0, '<= 0: not kept')
  for (const bad of [Number.NaN, Infinity, '60', null]) {
    t.throws(() => resolveSessionOptions({ ttl: () => bad as number }).idleTtlMs({}), { code: 'FST_CODEX_INVALID_TTL' })
  }
})

t.test('refused with FST_CODEX_INVALID_OPTIONS', async (t) => {
  const bad: Array<[string, object]> = [
    ['projectName', { projectName: 1 }],
    ['keyPrefix', { keyPrefix: null }],
    ['ttl 0', { ttl: 0 }],
    ['ttl negative', { ttl: -1 }],
    ['ttl Infinity', { ttl: Infinity }],
    ['ttl string', { ttl: '60' }],
    ['ttl null', { ttl: null }],
    ['serializer', { serializer: { parse: JSON.parse } }],
    ['userKey empty', { userKey: '' }],
    ['userKey cookie', { userKey: 'cookie' }],
    ['userKey number', { userKey: 1 }],
    ['logger', { logger: {} }],
    ['saveUninitialized (removed: an option of @fastify/session, not of the store)', { saveUninitialized: false }],
    ['disableTouch', { disableTouch: 1 }],
    ['a typo (keyprefix)', { keyprefix: 'sess' }],
    ['a typo (tll)', { tll: 60 }],
    ['keyPrefix with a trailing separator', { keyPrefix: 'sess:' }],
    ['keyPrefix with a leading separator', { keyPrefix: ':sess' }],
    ['projectName with a trailing separator', { projectName: 'shop:' }],
    ['keyPrefix a lone separator', { keyPrefix: ':' }]
  ]
  for (const [what, options] of bad) t.throws(() => resolveSessionOptions(options as never), { code: 'FST_CODEX_INVALID_OPTIONS' }, what)
})

t.test('a separator at either end of a segment is refused with a message that says so; inside one it is kept', async (t) => {
  t.throws(() => resolveSessionOptions({ keyPrefix: 'sess:' }), { code: 'FST_CODEX_INVALID_OPTIONS', message: /without the leading or trailing ':'/ })
  t.equal(resolveSessionOptions({ projectName: 'shop', keyPrefix: 'eu:sess' }).prefix, 'shop:eu:sess')
})

t.test("RedisSessionStore's own options pass: the store's, its client and commandTimeout", async (t) => {
  t.doesNotThrow(() => resolveSessionOptions({ keyPrefix: 'sess', client: {}, commandTimeout: 500 } as never))
})

t.test('without a logger, an ignored payload becomes a process warning', async (t) => {
  const { logger } = resolveSessionOptions({})
  const warned = new Promise<Error & { code?: string, detail?: string }>((resolve) => process.once('warning', resolve))
  logger.warn({ err: new Error('invalid JSON'), session: 'abcdef…' }, 'unreadable session payload ignored')
  const warning = await warned
  t.equal(warning.message, 'unreadable session payload ignored')
  t.equal(warning.code, 'FST_CODEX_CORRUPT_VALUE')
  t.match(warning.detail, 'invalid JSON')
  t.match(warning.detail, 'abcdef…')
})
