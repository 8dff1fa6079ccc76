import Fastify from 'fastify'
import t from 'tap'
import { codexCache, RedisCache } from '../../index.js'
import { resolveCacheOptions } from '../../lib/cache/options.js'
import { checkOptionNames, WRITE_OPTION_NAMES } from '../../lib/cache/options.js'

// A client nobody talks to: options are refused before the client is used.
const idle = {} as never

t.test('keyPrefix with a trailing separator is refused, saying to leave the ":" out', async t => {
  for (const keyPrefix of ['app:', 'app::', ':']) {
    t.throws(() => resolveCacheOptions({ keyPrefix }), { code: 'FST_CODEX_INVALID_OPTIONS', message: /without the trailing ':'/ }, keyPrefix)
  }
  t.equal(resolveCacheOptions({ keyPrefix: 'app:v2' }).keyPrefix, 'app:v2', 'a separator inside the prefix is fine')
})

t.test('new RedisCache refuses unknown option names, with a did-you-mean', async t => {
  t.throws(() => new RedisCache(idle, { tll: 5 } as never), { code: 'FST_CODEX_INVALID_OPTIONS', message: /RedisCache has no option 'tll' \(did you mean 'ttl'\?\)/ })
  t.throws(() => new RedisCache({ client: idle, keyprefix: 'a' } as never), { code: 'FST_CODEX_INVALID_OPTIONS', message: /did you mean 'keyPrefix'/ })
  t.throws(() => new RedisCache(idle, { url: 'redis://x' } as never), { code: 'FST_CODEX_INVALID_OPTIONS' }, 'a connection option other than commandTimeout is the plugin’s')
})

t.test('codexCache refuses unknown option names before opening a connection', async t => {
  for (const [options, named] of [[{ keyprefix: 'a' }, /codexCache has no option 'keyprefix' \(did you mean 'keyPrefix'\?\)/], [{ tll: 5 }, /'tll'.*'ttl'/], [{ decorater: 'c' }, /'decorator'/]] as const) {
    const app = Fastify()
    // Port 1: nothing listens; an option error must come first, not a connection error.
    await t.rejects(async () => { await app.register(codexCache, { url: 'redis://127.0.0.1:1', ...options } as never).ready() }, { code: 'FST_CODEX_INVALID_OPTIONS', message: named })
    await app.close()
  }
})

t.test('per-call options: an unknown name is refused; known names and undefined values pass', async t => {
  t.doesNotThrow(() => checkOptionNames(undefined, WRITE_OPTION_NAMES, 'set'))
  t.doesNotThrow(() => checkOptionNames({ ttl: 1, version: 2, tags: [] }, WRITE_OPTION_NAMES, 'set'))
  t.doesNotThrow(() => checkOptionNames({ ttl: 1, tll: undefined }, WRITE_OPTION_NAMES, 'set'))
  t.throws(() => checkOptionNames({ tll: 1 }, WRITE_OPTION_NAMES, 'set'), { code: 'FST_CODEX_INVALID_OPTIONS', message: /set has no option 'tll' \(did you mean 'ttl'\?\)/ })
})
