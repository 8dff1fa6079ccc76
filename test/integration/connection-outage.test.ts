import Fastify, { type FastifyInstance } from 'fastify'
import { createClient } from '@redis/client'
import t, { type Test } from 'tap'
import { codexCache, codexRedis } from '../../index.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'
import { timed } from '../helpers/stall-meter.js'

// Small, so a test that waits for the deadline stays fast, but setup requests share it: room for a stalled machine.
const COMMAND_TIMEOUT = 800
const MARGIN = 250

interface LogLine { level: number, msg: string, err?: { message?: string, code?: string } }

async function outageApp (t: Test, redis: RedisServer): Promise<{ app: FastifyInstance, logs: LogLine[] }> {
  const logs: LogLine[] = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { logs.push(JSON.parse(line) as LogLine) } } } })
  app.register(codexRedis, { url: redis.url, commandTimeout: COMMAND_TIMEOUT })
  app.register(codexCache, { keyPrefix: 'outage' })
  app.get<{ Params: { key: string } }>('/item/:key', async (request) => ({ value: await app.cache.get(request.params.key) ?? null }))
  app.post<{ Params: { key: string } }>('/count/:key', async (request) => ({ value: await app.cache.incr(request.params.key) }))
  t.teardown(() => app.close())
  await app.ready()
  return { app, logs }
}

/** Runs `fn`, which must fail: what it threw, how long it took, and how long the loop stood still after `dueInMs`. */
async function failure (fn: () => Promise<unknown>, dueInMs = 0): Promise<{ elapsed: number, stalled: number, err: Error & { code?: string, statusCode?: number } }> {
  const { value: err, elapsed, stalled } = await timed(async () => {
    try {
      await fn()
    } catch (err) {
      return err as Error & { code?: string }
    }
    throw new Error('expected a failure, got a result')
  }, dueInMs)
  return { elapsed, stalled, err }
}

async function waitFor (what: string, check: () => Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!await check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const works = (app: FastifyInstance) => async () => await app.cache.get('k').then(() => true, () => false)

/** Every cache operation, so a test can show none of them outlives the deadline. */
function everyOperation (app: FastifyInstance): Array<[string, () => Promise<unknown>]> {
  const cache = app.cache
  return [
    ['get', () => cache.get('k')], ['set', () => cache.set('k', 1)], ['add', () => cache.add('new', 1)],
    ['delete', () => cache.delete('k')], ['has', () => cache.has('k')], ['touch', () => cache.touch('k')],
    ['ttl', () => cache.ttl('k')], ['incr', () => cache.incr('n')], ['getMany', () => cache.getMany(['a', 'b'])],
    ['setMany', () => cache.setMany({ a: 1, b: 2 })], ['deleteMany', () => cache.deleteMany(['a', 'b'])], ['clear', () => cache.clear()]
  ]
}

t.test('a hung Redis (SIGSTOP): every command fails with 503 within commandTimeout, and works again on resume', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await outageApp(t, redis)
  await app.cache.set('k', 'before')
  await app.cache.set('n', 1)
  await app.cache.incr('n') // loads the Lua script, so incr below is one EVALSHA like the rest

  redis.pause()
  t.teardown(() => redis.resume())
  // All at once, as concurrent requests would: each is bounded on its own.
  const results = await Promise.all(everyOperation(app).map(async ([name, run]) => [name, await failure(run, COMMAND_TIMEOUT)] as const))
  for (const [name, { elapsed, stalled, err }] of results) {
    t.equal(err.code, 'FST_CODEX_REDIS_UNAVAILABLE', `${name}: ${err.message}`)
    t.equal(err.statusCode, 503)
    t.ok(elapsed - stalled < COMMAND_TIMEOUT + MARGIN, `${name} failed after ${elapsed.toFixed(0)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
    t.ok(elapsed >= COMMAND_TIMEOUT - 5, `${name} waited for the deadline, not less`)
  }

  redis.resume()
  // The timed-out writes above may still land now (a deadline cannot unsend them), so use fresh keys.
  await app.cache.set('after', 'resume')
  t.equal(await app.cache.get('after'), 'resume', 'the same app answers again, no restart')
})

t.test('a killed Redis: commands fail with 503 at once; after a restart on the same port the app works again', async (t) => {
  const redis = await redisForTest(t)
  const { app, logs } = await outageApp(t, redis)
  await app.cache.set('k', 1)

  await redis.kill()
  await waitFor('the client to notice', async () => await app.cache.get('k').then(() => false, () => true))
  for (const [name, run] of everyOperation(app)) {
    const { elapsed, stalled, err } = await failure(run)
    t.equal(err.code, 'FST_CODEX_REDIS_UNAVAILABLE', `${name}: ${err.message}`)
    // disableOfflineQueue: a known-dead connection fails at once instead of holding the request until the deadline.
    t.notMatch(err.message, /no reply within commandTimeout/, `${name}: not the deadline's error`)
    t.match(err.cause, { message: /closed|offline/i }, `${name}: the client refused it (${String((err.cause as Error | undefined)?.message)})`)
    t.ok(elapsed - stalled < COMMAND_TIMEOUT / 4, `${name} failed after ${elapsed.toFixed(0)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
  }
  await waitFor('the lost connection to be logged', async () => logs.length > 0)
  t.match(logs[0], { level: 50, msg: 'fastify-codex: Redis client error', err: { message: String } }, 'logged through Fastify\'s logger')

  await redis.restart()
  await waitFor('the client to reconnect', works(app))
  await app.cache.set('k', 'after')
  t.equal(await app.cache.get('k'), 'after', 'the same app works again')
})

t.test('a unix socket that disappears (ENOENT) is a 503, never an ENOENT; the socket coming back heals it', async (t) => {
  const redis = await redisForTest(t, { unixSocket: true })
  const { app, logs } = await outageApp(t, redis)
  await app.cache.set('k', 1)

  await redis.removeSocket()
  await waitFor('a reconnect attempt to hit ENOENT', async () => logs.some((line) => line.err?.code === 'ENOENT'))
  for (const [name, run] of everyOperation(app)) {
    const { elapsed, stalled, err } = await failure(run, COMMAND_TIMEOUT)
    t.equal(err.code, 'FST_CODEX_REDIS_UNAVAILABLE', `${name}: ${err.message}`)
    t.not(err.code, 'ENOENT')
    t.ok(elapsed - stalled < COMMAND_TIMEOUT + MARGIN, `${name} failed after ${elapsed.toFixed(0)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
  }
  const response = await app.inject('/item/k')
  t.equal(response.statusCode, 503)
  t.equal(response.json().code, 'FST_CODEX_REDIS_UNAVAILABLE')

  await redis.restart()
  await waitFor('the client to reconnect through the new socket', works(app))
  t.equal((await app.inject('/item/k')).statusCode, 200)
})

t.test('HTTP: a broken Redis answers 503, a Redis error reply 500, each with its code', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await outageApp(t, redis)
  await app.cache.set('word', 'not a number')
  await app.cache.set('n', 41)

  t.same((await app.inject({ method: 'POST', url: '/count/n' })).json(), { value: 42 })
  const wrong = await app.inject({ method: 'POST', url: '/count/word' })
  t.equal(wrong.statusCode, 500, 'INCRBY on a string is the caller\'s error')
  t.equal(wrong.json().code, 'FST_CODEX_REDIS_ERROR')

  redis.pause()
  t.teardown(() => redis.resume())
  const { value: hung, elapsed, stalled } = await timed(async () => await app.inject('/item/n'), COMMAND_TIMEOUT)
  t.equal(hung.statusCode, 503)
  t.equal(hung.json().code, 'FST_CODEX_REDIS_UNAVAILABLE')
  t.ok(elapsed - stalled < COMMAND_TIMEOUT + MARGIN, `answered after ${elapsed.toFixed(0)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
  redis.resume()

  await redis.kill()
  const down = await app.inject('/item/n')
  t.equal(down.statusCode, 503)
  t.equal(down.json().code, 'FST_CODEX_REDIS_UNAVAILABLE')
})

t.test('a passed-in client, with or without its offline queue: a write that answered 503 never lands after Redis is back', async (t) => {
  for (const disableOfflineQueue of [true, false]) {
    const redis = await redisForTest(t)
    const client = createClient({ url: redis.url, disableOfflineQueue })
    client.on('error', () => {})
    await client.connect()
    t.teardown(() => client.destroy())
    const app = Fastify()
    app.register(codexRedis, { client, commandTimeout: COMMAND_TIMEOUT })
    app.register(codexCache, { keyPrefix: 'outage' })
    t.teardown(() => app.close())
    await app.ready()
    await app.cache.set('k', 1)

    await redis.kill()
    await waitFor('the client to notice', async () => !client.isReady)
    const { elapsed, stalled, err } = await failure(() => app.cache.set('late', 'written during the outage'), COMMAND_TIMEOUT)
    t.equal(err.code, 'FST_CODEX_REDIS_UNAVAILABLE', `disableOfflineQueue ${String(disableOfflineQueue)}: ${err.message}`)
    // Without the queue the client refuses at once; with it, the command waits in the queue until its deadline.
    t.ok(elapsed - stalled < COMMAND_TIMEOUT + MARGIN, `failed after ${elapsed.toFixed(0)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)

    await redis.restart()
    await waitFor('the client to reconnect', async () => client.isReady)
    await new Promise((resolve) => setTimeout(resolve, MARGIN))
    t.equal(await app.cache.get('late'), undefined, `disableOfflineQueue ${String(disableOfflineQueue)}: the 503'd write was never sent`)
  }
})
