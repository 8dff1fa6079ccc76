import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { codexRedis } from '../../index.js'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'
import { timed } from '../helpers/stall-meter.js'

const COMMAND_TIMEOUT = 1000
// A loaded 2-core machine can add this much past the deadline beyond the stalls measured.
const MARGIN = 500

async function readyError (t: Test, url: string): Promise<Error & { code?: string }> {
  const fastify = Fastify()
  t.teardown(() => fastify.close())
  fastify.register(codexRedis, { url, commandTimeout: COMMAND_TIMEOUT })
  const { value: err, elapsed, stalled } = await timed(async () =>
    await fastify.ready().then(() => undefined, (err: unknown) => err as Error & { code?: string }), COMMAND_TIMEOUT)
  t.ok(elapsed - stalled < COMMAND_TIMEOUT + MARGIN, `ready() rejected after ${elapsed.toFixed(0)} ms (${stalled.toFixed(0)} ms of it a stalled loop)`)
  await fastify.close()
  if (err === undefined) throw new Error(`ready() succeeded against ${url}`)
  return err
}

async function httpServer (t: Test): Promise<{ port: number, open: () => Promise<number> }> {
  const server = http.createServer((request, response) => { response.end('hello') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const open = async (): Promise<number> => await new Promise((resolve, reject) => server.getConnections((err, n) => err === null ? resolve(n) : reject(err)))
  return { port: (server.address() as AddressInfo).port, open }
}

async function waitFor (what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!await check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function ourConnections (redis: RedisServer): Promise<number> {
  const list = await redis.cli('CLIENT', 'LIST')
  return list.split('\n').filter((line) => line.startsWith('id=') && !line.includes('cmd=client|list')).length
}

t.test('an HTTP server on the Redis port: ready() fails as unavailable, saying it does not speak the Redis protocol', async (t) => {
  const server = await httpServer(t)
  const err = await readyError(t, `redis://127.0.0.1:${server.port}`)
  t.equal(err.code, 'FST_CODEX_REDIS_UNAVAILABLE', err.message)
  t.match(err.message, /does not speak the Redis protocol \(it answered like an HTTP server\)/)
  await waitFor('no connection left on the HTTP server', async () => await server.open() === 0)
})

t.test('rediss:// to a plain-text Redis: ready() fails as unavailable, with a hint to try redis://', async (t) => {
  const redis = await redisForTest(t)
  const err = await readyError(t, redis.url.replace('redis:', 'rediss:'))
  t.equal(err.code, 'FST_CODEX_REDIS_UNAVAILABLE', err.message)
  t.match(err.message, /rediss:\/\/ needs a TLS Redis; is this server plain-text\? try redis:\/\//)
  await waitFor('no connection left on the server', async () => await ourConnections(redis) === 0)
})

t.test('rediss:// to an HTTP server: the TLS hint too', async (t) => {
  const server = await httpServer(t)
  const err = await readyError(t, `rediss://127.0.0.1:${server.port}`)
  t.equal(err.code, 'FST_CODEX_REDIS_UNAVAILABLE', err.message)
  t.match(err.message, /try redis:\/\//)
  await waitFor('no connection left on the HTTP server', async () => await server.open() === 0)
})

t.test('plain redis:// to a reachable Redis gets no TLS hint when it fails', async (t) => {
  const redis = await redisForTest(t)
  redis.pause()
  t.teardown(() => redis.resume())
  const err = await readyError(t, redis.url)
  t.equal(err.code, 'FST_CODEX_REDIS_UNAVAILABLE', err.message)
  t.notMatch(err.message, /rediss/)
})
