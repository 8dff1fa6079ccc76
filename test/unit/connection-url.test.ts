import t from 'tap'
import { parseRedisUrl, redactUrl } from '../../lib/connection/url.js'

t.test('redis:// and rediss:// urls go to @redis/client as they are', async (t) => {
  for (const url of ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379/0', 'rediss://user:pw@cache.example:6380/3', 'redis://[::1]:6379']) {
    t.same(parseRedisUrl(url), { url }, url)
  }
})

t.test('unix socket urls become a socket path', async (t) => {
  t.same(parseRedisUrl('unix:///run/redis.sock'), { socketPath: '/run/redis.sock' })
  t.same(parseRedisUrl('unix:/run/redis.sock'), { socketPath: '/run/redis.sock' }, 'without the empty authority')
  t.same(parseRedisUrl('redis+unix:///run/redis.sock?db=3'), { socketPath: '/run/redis.sock', database: 3 })
  t.same(parseRedisUrl('redis-socket:///run/redis.sock?database=2'), { socketPath: '/run/redis.sock', database: 2 })
  t.same(parseRedisUrl('unix:///tmp/with%20space/r.sock?db=0'), { socketPath: '/tmp/with space/r.sock', database: 0 })
  t.same(parseRedisUrl('UNIX:///run/redis.sock'), { socketPath: '/run/redis.sock' }, 'schemes are case-insensitive')
})

t.test('unix socket urls carry credentials in the authority or the query', async (t) => {
  t.same(parseRedisUrl('unix://app:s3cr%40t@/run/redis.sock?db=1'),
    { socketPath: '/run/redis.sock', database: 1, username: 'app', password: 's3cr@t' })
  t.same(parseRedisUrl('redis+unix://:pw@/run/redis.sock'), { socketPath: '/run/redis.sock', password: 'pw' })
  t.same(parseRedisUrl('unix:///run/redis.sock?username=app&password=pw'),
    { socketPath: '/run/redis.sock', username: 'app', password: 'pw' })
})

t.test('a url that cannot be used is an option error', async (t) => {
  const bad = [
    'http://127.0.0.1:6379', 'memcached://x', 'not a url', 'redis://h:99999', 'redis://h/db', 'redis://h/-1', 'redis://h/1.5',
    'unix://', 'unix:///', 'unix://relative/path.sock', 'redis+unix:///run/redis.sock?db=x', 'unix:///run/redis.sock?db=-1', 'unix:///s?db='
  ]
  for (const url of bad) t.throws(() => parseRedisUrl(url), { code: 'FST_CODEX_INVALID_OPTIONS' }, url)
})

t.test('error messages never repeat a password', async (t) => {
  t.equal(redactUrl('redis://user:hunter2@host:6379/0'), 'redis://user:***@host:6379/0')
  t.equal(redactUrl('unix:///run/redis.sock?db=1&password=hunter2'), 'unix:///run/redis.sock?db=1&password=***')
  for (const url of ['ftp://user:hunter2@host', 'redis://user:hunter2@host/x', 'unix://user:hunter2@relative/x.sock', 'unix:///x?password=hunter2&db=z']) {
    const err = t.throws(() => parseRedisUrl(url), { code: 'FST_CODEX_INVALID_OPTIONS' }, url) as Error
    t.notMatch(err.message, 'hunter2', `${url}: ${err.message}`)
  }
})

t.test('malformed percent-encoding is an options error, not a bare URIError', async (t) => {
  for (const url of ['redis://127.0.0.1/%E0', 'unix:///tmp/%zz.sock', 'unix://u:%E0@/tmp/r.sock']) {
    t.throws(() => parseRedisUrl(url), { code: 'FST_CODEX_INVALID_OPTIONS' }, url)
  }
})
