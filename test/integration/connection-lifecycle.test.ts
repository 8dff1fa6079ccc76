import { createClient } from '@redis/client'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { codexCache, codexRedis, type CodexCacheOptions, type CodexRedisOptions } from '../../index.js'
import { freePort, redisForTest, type RedisServer } from '../helpers/redis-server.js'
import { timed } from '../helpers/stall-meter.js'

const COMMAND_TIMEOUT = 400
const MARGIN = 250

/** Connections the server holds, other than the redis-cli asking. */
async function ourConnections (redis: RedisServer): Promise<number> {
  const list = await redis.cli('CLIENT', 'LIST')
  return list.split('\n').filter((line) => line.startsWith('id=') && !line.includes('cmd=client|list')).length
}

/** Connections ever accepted; redis-cli's own count too, so compare two readings 1 apart. */
async function connectionsAccepted (redis: RedisServer): Promise<number> {
  const match = /total_connections_received:(\d+)/.exec(await redis.cli('INFO', 'stats'))
  return Number(match?.[1])
}

async function waitFor (what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!await check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function app (t: Test): FastifyInstance {
  const fastify = Fastify()
  t.teardown(() => fastify.close())
  return fastify
}

async function readyFails (t: Test, what: string, options: CodexRedisOptions & CodexCacheOptions, plugin: typeof codexRedis | typeof codexCache = codexRedis): Promise<void> {
  const fastify = app(t)
  fastify.register(plugin, { commandTimeout: COMMAND_TIMEOUT, ...options })
  const { value: err, elapsed, stalled } = await timed(async () =>
    await fastify.ready().then(() => undefined, (err: unknown) => err as Error & { code?: string }), COMMAND_TIMEOUT)
  t.equal(err?.code, 'FST_CODEX_REDIS_UNAVAILABLE', `${what}: ${err?.message}`)
  t.ok(elapsed - stalled < COMMAND_TIMEOUT + MARGIN, `${what}: ready() rejected after ${elapsed.toFixed(0)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
  await fastify.close()
}

t.test('an unreachable Redis at start-up makes ready() reject within commandTimeout', async (t) => {
  const port = await freePort()
  await readyFails(t, 'nothing listening', { url: `redis://127.0.0.1:${port}` })
  await readyFails(t, 'nothing listening, codexCache alone', { url: `redis://127.0.0.1:${port}` }, codexCache)

  const paused = await redisForTest(t)
  paused.pause()
  await readyFails(t, 'hung (SIGSTOP)', { url: paused.url })
  paused.resume()
  await waitFor('the abandoned connection to be gone', async () => await ourConnections(paused) === 0)

  const socket = await redisForTest(t, { unixSocket: true })
  await socket.removeSocket()
  await readyFails(t, 'missing unix socket', { url: socket.url })
  const enoent = app(t)
  enoent.register(codexRedis, { url: socket.url, commandTimeout: COMMAND_TIMEOUT })
  const err = await enoent.ready().then(() => undefined, (err: unknown) => err as Error & { code?: string, cause?: { code?: string } })
  t.not(err?.code, 'ENOENT', 'never ENOENT itself')
  t.equal(err?.cause?.code, 'ENOENT', 'the reason is kept as cause')
})

t.test('invalid options fail registration with FST_CODEX_INVALID_OPTIONS and open nothing', async (t) => {
  const redis = await redisForTest(t)
  const client = createClient({ url: redis.url })
  const cases: Array<[string, CodexRedisOptions]> = [
    ['two connection options', { url: redis.url, cluster: { rootNodes: [{ url: redis.url }] } }],
    ['url and client', { url: redis.url, client }],
    ['zero commandTimeout', { url: redis.url, commandTimeout: 0 }],
    ['string commandTimeout', { url: redis.url, commandTimeout: '500' as unknown as number }],
    ['bad url scheme', { url: redis.url.replace('redis:', 'http:') }]
  ]
  for (const [what, options] of cases) {
    for (const plugin of [codexRedis, codexCache]) {
      const before = await connectionsAccepted(redis)
      const fastify = app(t)
      fastify.register(plugin, plugin === codexCache ? { keyPrefix: 'x', ...options } : options)
      await t.rejects(async () => { await fastify.ready() }, { code: 'FST_CODEX_INVALID_OPTIONS' }, what)
      await fastify.close()
      t.equal(await connectionsAccepted(redis), before + 1, `${what}: no connection was opened`)
    }
  }
  t.notOk(client.isOpen, 'a client passed with bad options is not connected either')
})

t.test('codexRedis refuses an option it does not know (a typo) and opens nothing', async (t) => {
  const redis = await redisForTest(t)
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['commandtimeout', { url: redis.url, commandtimeout: 500 }, /did you mean 'commandTimeout'/],
    ['keyPrefix, a codexCache option', { url: redis.url, keyPrefix: 'x' }, /'keyPrefix'/]
  ]
  for (const [what, options, message] of cases) {
    const before = await connectionsAccepted(redis)
    const fastify = app(t)
    fastify.register(codexRedis, options as CodexRedisOptions)
    await t.rejects(async () => { await fastify.ready() }, { code: 'FST_CODEX_INVALID_OPTIONS', message }, what)
    await fastify.close()
    t.equal(await connectionsAccepted(redis), before + 1, `${what}: no connection was opened`)
  }
  const prefixed = app(t)
  prefixed.register(codexRedis, { url: redis.url, prefix: '/api', logLevel: 'warn' } as CodexRedisOptions)
  await t.resolves(async () => { await prefixed.ready() }, "Fastify's own register options pass")
})

t.test('codexCache reuses codexRedis: one connection, closed once, gone after close', async (t) => {
  const redis = await redisForTest(t)
  const fastify = app(t)
  fastify.register(codexRedis, { url: redis.url })
  fastify.register(codexCache, { keyPrefix: 'shared' })
  fastify.register(codexCache, { keyPrefix: 'other', decorator: 'otherCache', commandTimeout: 300 })
  await fastify.ready()
  await fastify.cache.set('k', 1)
  await (fastify as unknown as { otherCache: FastifyInstance['cache'] }).otherCache.set('k', 2)
  t.equal(await ourConnections(redis), 1, 'one connection for codexRedis and both caches')

  let closes = 0
  const client = fastify.codexRedis as unknown as { close: () => Promise<void> }
  const close = client.close.bind(client)
  client.close = async () => {
    closes++
    await close()
  }
  await fastify.close()
  t.equal(closes, 1, 'closed exactly once')
  await waitFor('the server to see the connection go', async () => await ourConnections(redis) === 0)
  await t.rejects(fastify.cache.get('k'), { code: 'FST_CODEX_REDIS_UNAVAILABLE' }, 'a command after close fails cleanly')
})

t.test('close waits for in-flight commands to finish', async (t) => {
  const redis = await redisForTest(t)
  const fastify = app(t)
  fastify.register(codexRedis, { url: redis.url, commandTimeout: 2000 })
  fastify.register(codexCache, { keyPrefix: 'inflight' })
  await fastify.ready()
  await fastify.cache.set('k', 'value')

  // A slow-ish reply: the server holds it until resumed.
  redis.pause()
  t.teardown(() => redis.resume())
  const reply = fastify.cache.get('k')
  let closed = false
  const closing = fastify.close().then(() => { closed = true })
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.notOk(closed, 'close() is still waiting for the reply')
  redis.resume()
  t.equal(await reply, 'value', 'the in-flight command resolves')
  await closing
  t.ok(closed)
  await waitFor('the connection to be gone', async () => await ourConnections(redis) === 0)
})

t.test('a passed-in client is left open unless closeClient: true', async (t) => {
  const redis = await redisForTest(t)
  const client = createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.destroy())

  const borrowing = app(t)
  borrowing.register(codexCache, { client, keyPrefix: 'borrowed' })
  await borrowing.ready()
  await borrowing.cache.set('k', 1)
  await borrowing.close()
  t.ok(client.isOpen, 'still open after app.close()')
  t.equal(await client.get('borrowed:1:k'), '1', 'and still usable')
  t.equal(client.listenerCount('error'), 1, 'our error listener was removed')

  const owning = app(t)
  owning.register(codexRedis, { client, closeClient: true })
  owning.register(codexCache, { keyPrefix: 'owned' })
  await owning.ready()
  t.equal(owning.codexRedis, client, 'codexRedis is the client passed in')
  await owning.cache.set('k', 2)
  await owning.close()
  t.notOk(client.isOpen, 'closeClient: true closes it')
  await waitFor('the connection to be gone', async () => await ourConnections(redis) === 0)
})

t.test('a passed-in client that is not connected yet is connected at registration', async (t) => {
  const redis = await redisForTest(t)
  const client = createClient({ url: redis.url })
  client.on('error', () => {})
  t.teardown(() => client.destroy())
  const fastify = app(t)
  fastify.register(codexCache, { client, keyPrefix: 'lazy' })
  await fastify.ready()
  t.ok(client.isOpen)
  await fastify.cache.set('k', 1)
  t.equal(await fastify.cache.get('k'), 1)
})

t.test('unix socket urls reach the server, and ?db=N selects the database', async (t) => {
  const redis = await redisForTest(t, { unixSocket: true })
  for (const [url, db] of [[redis.url, '0'], [`redis+unix://${redis.socketPath ?? ''}?db=3`, '3'], [`unix://${redis.socketPath ?? ''}?db=5`, '5']] as const) {
    const fastify = app(t)
    fastify.register(codexCache, { url, keyPrefix: 'sock' })
    await fastify.ready()
    await fastify.cache.set('where', url)
    t.equal(await redis.cli('-n', db, 'GET', 'sock:1:where'), `${JSON.stringify(url)}\n`, `${url} wrote to db ${db}`)
    await fastify.close()
  }
  await waitFor('every connection to be gone', async () => await ourConnections(redis) === 0)
})
