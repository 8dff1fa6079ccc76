import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tracingChannel } from 'node:diagnostics_channel'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { rawClient } from '../helpers/cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'
import { routeCacheApp } from '../helpers/route-cache-app.js'
import { until } from '../helpers/until.js'

interface Seen { route: string, events: string[], outcome?: unknown, error?: unknown }

/** Every event of fastify-codex:route-cache, per context, until the test ends. */
function watch (t: Test): () => Seen[] {
  const seen = new Map<object, Seen>()
  const channel = tracingChannel<object, Record<string, unknown>>('fastify-codex:route-cache')
  const on = (event: string) => (ctx: Record<string, unknown>) => {
    let entry = seen.get(ctx)
    if (entry === undefined) seen.set(ctx, entry = { route: String(ctx.route), events: [] })
    entry.events.push(event)
    if (event === 'asyncEnd') {
      entry.outcome = ctx.outcome
      entry.error = ctx.error
    }
  }
  const handlers = { start: on('start'), end: on('end'), asyncStart: on('asyncStart'), asyncEnd: on('asyncEnd'), error: on('error') }
  channel.subscribe(handlers)
  t.teardown(() => { channel.unsubscribe(handlers) })
  return () => [...seen.values()]
}

const closed = (s: Seen): boolean => s.events.includes('asyncEnd')

/** The one trace seen ended with error (Fastify refusing the stored status) and no outcome. */
async function assertOneFailedTrace (t: Test, traces: () => Seen[]): Promise<void> {
  await until(async () => traces().length === 1 && closed(traces()[0]!), 5000)
  const [failed] = traces()
  t.same(failed!.events, ['start', 'end', 'error', 'asyncStart', 'asyncEnd'])
  t.equal(failed!.outcome, undefined)
  t.equal((failed!.error as { code?: string }).code, 'FST_ERR_BAD_STATUS_CODE')
}

t.test('route cache traces: every start ends once, also for a hijacked reply, a handler throw and an aborted request', async (t) => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  app.get('/h', { config: { cache: { ttl: 60 } } }, async (_request, reply) => {
    reply.hijack()
    reply.raw.end('raw')
  })
  app.get('/e', { config: { cache: { ttl: 60 } } }, async () => { throw new Error('boom') })
  app.get('/ok', { config: { cache: { ttl: 60 } } }, async () => ({ ok: true }))
  app.get('/slow', { config: { cache: { ttl: 60 } } }, async () => { await gate; return { ok: true } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const traces = watch(t)
  t.equal((await app.inject('/h')).body, 'raw')
  t.equal((await app.inject('/e')).statusCode, 500)
  await app.inject('/ok')
  await app.inject('/ok')
  await until(async () => traces().length === 4 && traces().every(closed), 5000)
  t.same(traces().map((s) => [s.route, s.events, s.outcome]), [
    ['/h', ['start', 'end', 'asyncStart', 'asyncEnd'], 'bypass'],
    ['/e', ['start', 'end', 'asyncStart', 'asyncEnd'], 'miss'],
    ['/ok', ['start', 'end', 'asyncStart', 'asyncEnd'], 'miss'],
    ['/ok', ['start', 'end', 'asyncStart', 'asyncEnd'], 'hit']
  ])

  // A real client that goes away while its handler runs: the lookup's context ends at the abort, not never.
  const { port } = app.server.address() as AddressInfo
  const client = httpRequest({ host: '127.0.0.1', port, path: '/slow' })
  client.on('error', () => {})
  client.end()
  await until(async () => traces().length === 5, 5000)
  client.destroy()
  await until(async () => closed(traces()[4]!), 5000)
  const aborted = traces()[4]!
  t.same([aborted.route, aborted.events, aborted.outcome], ['/slow', ['start', 'end', 'asyncStart', 'asyncEnd'], 'bypass'])
  release()
  // Its handler still answers (into the closed socket): the context is not closed twice.
  const after = await app.inject('/slow')
  t.equal(after.statusCode, 200)
  await until(async () => traces().length === 6 && traces().every(closed), 5000)
  t.same(aborted.events, ['start', 'end', 'asyncStart', 'asyncEnd'], 'closed once')
  for (const s of traces()) t.ok(s.outcome !== undefined || s.error !== undefined, `${s.route}: an outcome or an error`)
})

t.test('route cache traces: a response that fails in onSend ends with error (no outcome), once', async (t) => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  let failing = false
  app.get('/r', { config: { cache: { ttl: 0.2, grace: 60 } } }, async (_request, reply) => failing ? await reply.code(503).send('busy') : 'v1')
  await app.ready()
  await app.inject('/r')
  // Past its ttl only the grace copy is left; one with a status Fastify refuses makes serving it (in onSend) fail.
  await sleep(300)
  const raw = await rawClient(t, redis)
  const [stale] = await raw.keys('*:stale:*')
  await raw.set(stale!, (await raw.get(stale!))!.replace('"s":200', '"s":99'), { KEEPTTL: true })
  const traces = watch(t)
  failing = true
  t.equal((await app.inject('/r')).statusCode, 500)
  await assertOneFailedTrace(t, traces)
})

t.test('route cache traces: a lookup that fails serving its stored response ends with error, not miss', async (t) => {
  const redis = await redisForTest(t)
  const app = await routeCacheApp(t, redis)
  app.get('/r', { config: { cache: { ttl: 60 } } }, async () => 'v1')
  await app.ready()
  await app.inject('/r')
  const raw = await rawClient(t, redis)
  // The response itself, not its compute marker or tag set.
  const [fresh] = (await raw.keys('*:route:*')).filter((key) => !key.includes('~codex'))
  await raw.set(fresh!, (await raw.get(fresh!))!.replace('"s":200', '"s":99'), { KEEPTTL: true })
  const traces = watch(t)
  t.equal((await app.inject('/r')).statusCode, 500)
  await assertOneFailedTrace(t, traces)
})
