import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Gate } from '../helpers/gate.js'
import { redisForTest } from '../helpers/redis-server.js'
import { routeCacheApp } from '../helpers/route-cache-app.js'

t.test('grace: after a failed refresh, concurrent requests still wait for one handler and get the stale response at timeout', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let mode = 'ok'
  let calls = 0
  const gate = new Gate()
  app.get('/r', { config: { cache: { ttl: 0.2, grace: 60, timeout: 50 } } }, async (_request, reply) => {
    calls++
    if (mode === 'ok') return 'v1'
    if (mode === 'held') await gate.hold()
    return await reply.code(503).send('busy')
  })
  await app.ready()
  t.equal((await app.inject('/r')).body, 'v1')
  await sleep(300)
  mode = '503'
  const failed = await app.inject('/r')
  t.equal(failed.body, 'v1', 'one failed refresh answers the stale response')
  t.equal(failed.headers['cache-status'], 'fastify-codex; fwd=stale')
  mode = 'held'
  calls = 0
  const arrived = gate.arrival()
  const first = app.inject('/r')
  await arrived
  mode = '503'
  const waiting = await Promise.all([1, 2, 3, 4].map(async () => await app.inject('/r')))
  for (const reply of waiting) {
    t.equal(reply.body, 'v1')
    t.equal(reply.headers['cache-status'], 'fastify-codex; fwd=stale')
  }
  t.equal(calls, 1, 'the waiting requests ran no handler of their own: the key stayed collapsed')
  gate.open()
  t.equal((await first).body, 'v1', 'the refreshing request answers stale when its handler fails')
})

t.test('grace: a stored response invalidated while the handler ran is not served when the handler fails', async t => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let mode = 'ok'
  const gate = new Gate()
  app.get('/items/:id', { config: { cache: { ttl: 0.2, grace: 60 } } }, async (_request, reply) => {
    if (mode === 'ok') return 'v1'
    await gate.hold()
    return await reply.code(503).send('busy')
  })
  app.post('/items/:id', async () => 'saved')
  await app.ready()
  t.equal((await app.inject('/items/1')).body, 'v1')
  await sleep(300)
  mode = 'held'
  const arrived = gate.arrival()
  const refresh = app.inject('/items/1')
  await arrived
  t.equal((await app.inject({ method: 'POST', url: '/items/1' })).statusCode, 200, 'the write invalidates the path')
  gate.open()
  const reply = await refresh
  t.equal(reply.statusCode, 503, 'the failure answers, not the invalidated response')
  t.equal(reply.body, 'busy')
  t.equal(reply.headers['cache-status'], 'fastify-codex; fwd=miss')
})

t.test('grace: a handler abandoned at hardTimeout whose request got the stale response is not labelled stored when it answers late', async t => {
  const { tracingChannel } = await import('node:diagnostics_channel')
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let mode = 'ok'
  const gate = new Gate()
  app.get('/slow', { config: { cache: { ttl: 0.2, grace: 60, hardTimeout: 50 } } }, async () => {
    if (mode === 'ok') return 'v1'
    await gate.hold()
    return 'v2'
  })
  await app.ready()
  t.equal((await app.inject('/slow')).body, 'v1')
  await sleep(300)
  mode = 'held'
  // Deterministic: the handler is released only once getOrSet has answered this request from grace (its hardTimeout).
  let answeredStale!: () => void
  const stale = new Promise<void>((resolve) => { answeredStale = resolve })
  const channel = tracingChannel('fastify-codex:cache')
  const handlers = {
    start () {},
    end () {},
    asyncStart () {},
    error () {},
    asyncEnd (context: unknown) {
      const c = context as { operation?: string, outcome?: string }
      if (c.operation === 'getOrSet' && c.outcome === 'stale') answeredStale()
    }
  }
  channel.subscribe(handlers)
  t.teardown(() => channel.unsubscribe(handlers))
  const arrived = gate.arrival()
  const late = app.inject('/slow')
  await arrived
  await stale
  gate.open()
  const reply = await late
  t.equal(reply.body, 'v2', 'the handler\'s own answer goes out')
  t.notMatch(reply.headers['cache-status'], /stored/, 'abandoned: nothing was stored, so it does not say stored')
})
