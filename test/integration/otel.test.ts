import { tracingChannel } from 'node:diagnostics_channel'
import { context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import t, { type Test } from 'tap'
import { instrument } from '../../otel.js'
import { cacheApp } from '../helpers/cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'
import { routeCacheApp } from '../helpers/route-cache-app.js'
import { cookieHeader, sessionApp, setCookie } from '../helpers/session-app.js'

interface Point { name: string, unit: string, attributes: Record<string, unknown>, value: unknown }

function points (resourceMetrics: ResourceMetrics[]): Point[] {
  return resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.flatMap((m) =>
    (m.dataPoints as Array<{ attributes: Record<string, unknown>, value: unknown }>).map((p) => ({ name: m.descriptor.name, unit: m.descriptor.unit, attributes: p.attributes, value: p.value })))))
}

/**
 * The active span's id at the start of each node-redis command `run` sends: what @opentelemetry/instrumentation-redis
 * does on node-redis:command (its span's parent is the active span).
 */
async function commandParents (run: () => Promise<unknown>): Promise<Array<string | undefined>> {
  const parents: Array<string | undefined> = []
  const commands = tracingChannel('node-redis:command')
  const handlers = { start: () => { parents.push(trace.getActiveSpan()?.spanContext().spanId) }, end () {}, asyncStart () {}, asyncEnd () {}, error () {} }
  commands.subscribe(handlers)
  try {
    await run()
  } finally {
    commands.unsubscribe(handlers)
  }
  return parents
}

async function otel (t: Test) {
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const spanExporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] })
  const stop = instrument({ meterProvider, tracerProvider })
  t.teardown(async () => {
    stop()
    await meterProvider.shutdown()
    await tracerProvider.shutdown()
    context.disable()
  })
  const collect = async (): Promise<Point[]> => {
    await reader.forceFlush()
    return points(metricExporter.getMetrics())
  }
  return { collect, spanExporter }
}

t.test('instrument(): cache operations become fastify_codex.cache.operations and .duration (seconds), no key anywhere', async (t) => {
  const redis = await redisForTest(t)
  const { collect, spanExporter } = await otel(t)
  const app = await cacheApp(t, redis, { keyPrefix: 'shop', nearCache: { maxEntries: 10 } })
  await app.cache.set('secret-key', 1)
  await app.cache.get('secret-key')
  await app.cache.get('secret-key')
  await app.cache.get('missing-key')
  await app.cache.getOrSet('computed-key', () => 2)
  await app.cache.getOrSet('bad-key', () => { throw new Error('boom') }).catch(() => {})
  const all = await collect()
  const ops = all.filter((p) => p.name === 'fastify_codex.cache.operations')
  const count = (attributes: Record<string, unknown>): unknown => ops.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attributes))?.value
  t.equal(count({ cache: 'shop', operation: 'set' }), 1)
  t.equal(count({ cache: 'shop', operation: 'get', outcome: 'hit', layer: 'redis' }), 1)
  t.equal(count({ cache: 'shop', operation: 'get', outcome: 'hit', layer: 'near' }), 1)
  t.equal(count({ cache: 'shop', operation: 'get', outcome: 'miss' }), 1)
  t.equal(count({ cache: 'shop', operation: 'getOrSet', outcome: 'computed' }), 1)
  t.ok(ops.some((p) => p.attributes.outcome === 'error' && p.attributes.operation === 'getOrSet'), 'a failure is outcome error')
  const duration = all.filter((p) => p.name === 'fastify_codex.cache.duration')
  t.ok(duration.length > 0 && duration.every((p) => p.unit === 's'), 'durations in seconds')
  const spans = spanExporter.getFinishedSpans()
  t.ok(spans.some((s) => s.name === 'fastify_codex.cache.get' && s.attributes['fastify_codex.outcome'] === 'hit'))
  const everything = JSON.stringify([all.map((p) => p.attributes), spans.map((s) => [s.name, s.attributes])])
  for (const key of ['secret-key', 'missing-key', 'computed-key', 'bad-key']) t.notOk(everything.includes(key), `no ${key} in metrics or spans`)
})

t.test('instrument(): node-redis command spans run under our operation span', async (t) => {
  const redis = await redisForTest(t)
  const { spanExporter } = await otel(t)
  const app = await cacheApp(t, redis, { keyPrefix: 'shop' })
  const parents = await commandParents(() => app.cache.get('k'))
  const get = spanExporter.getFinishedSpans().find((s) => s.name === 'fastify_codex.cache.get')!
  t.ok(parents.length > 0, 'node-redis published its command')
  t.ok(parents.every((id) => id === get.spanContext().spanId), 'every command ran with our span active')
})

t.test('instrument(): sessions, locks and outages as metrics; never a session id or user id', async (t) => {
  const redis = await redisForTest(t)
  const { collect, spanExporter } = await otel(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user' })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'user-id-42' } }))!.value
  await app.inject({ url: '/read', headers: cookieHeader(cookie) })
  const cache = await cacheApp(t, redis, { keyPrefix: 'shop', commandTimeout: 300 })
  const lock = await cache.cache.lock('job', { ttl: 5 })
  await lock!.release()
  redis.pause()
  await cache.cache.get('k').catch(() => {})
  redis.resume()
  for (let i = 0; i < 100 && await cache.cache.get('k').then(() => false, () => true); i++);
  const all = await collect()
  const names = new Set(all.map((p) => p.name))
  for (const name of ['fastify_codex.session.operations', 'fastify_codex.session.duration', 'fastify_codex.lock.operations', 'fastify_codex.lock.duration',
    'fastify_codex.redis.outages', 'fastify_codex.redis.outage.duration']) t.ok(names.has(name), name)
  const session = all.filter((p) => p.name === 'fastify_codex.session.operations').map((p) => p.attributes)
  t.ok(session.some((a) => a.operation === 'load' && a.outcome === 'found'))
  t.ok(session.some((a) => a.operation === 'create'))
  t.ok(all.some((p) => p.name === 'fastify_codex.lock.operations' && p.attributes.outcome === 'acquired' && p.attributes.token === undefined), 'no token as an attribute')
  const everything = JSON.stringify([all.map((p) => p.attributes), spanExporter.getFinishedSpans().map((s) => [s.name, s.attributes])])
  for (const secret of ['user-id-42', cookie.slice(0, cookie.indexOf('.'))]) t.notOk(everything.includes(secret))
})

t.test('instrument(): a hijacked cached route\'s span ends (bypass) and is counted', async (t) => {
  const redis = await redisForTest(t)
  const { collect, spanExporter } = await otel(t)
  const app = await routeCacheApp(t, redis)
  app.get('/h', { config: { cache: { ttl: 60 } } }, async (_request, reply) => {
    reply.hijack()
    reply.raw.end('raw')
  })
  await app.ready()
  t.equal((await app.inject('/h')).body, 'raw')
  const span = spanExporter.getFinishedSpans().find((s) => s.name === 'fastify_codex.route_cache GET /h')
  t.ok(span, 'the span ended')
  t.equal(span?.attributes['fastify_codex.outcome'], 'bypass')
  const requests = (await collect()).filter((p) => p.name === 'fastify_codex.route_cache.requests')
  t.same(requests.map((p) => [p.attributes, p.value]), [[{ method: 'GET', route: '/h', outcome: 'bypass', stored: false }, 1]])
})

t.test('instrument() twice: each records its own spans; stopping the second keeps node-redis spans under the first\'s', async (t) => {
  const redis = await redisForTest(t)
  const { spanExporter: first } = await otel(t)
  const second = new InMemorySpanExporter()
  const secondProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(second)] })
  const stopSecond = instrument({ tracerProvider: secondProvider, meterProvider: new MeterProvider() })
  t.teardown(async () => {
    stopSecond()
    await secondProvider.shutdown()
  })
  const app = await cacheApp(t, redis, { keyPrefix: 'shop' })
  const gets = (exporter: InMemorySpanExporter): number => exporter.getFinishedSpans().filter((s) => s.name === 'fastify_codex.cache.get').length
  await app.cache.get('k')
  t.equal(gets(first), 1, 'the first instance ended its span')
  t.equal(gets(second), 1, 'the second instance ended its span')
  stopSecond()
  const parents = await commandParents(() => app.cache.get('k'))
  const get = first.getFinishedSpans().filter((s) => s.name === 'fastify_codex.cache.get')[1]
  t.ok(get, 'the first instance still records')
  t.equal(gets(second), 1, 'the stopped one does not')
  t.ok(get !== undefined && parents.length > 0 && parents.every((id) => id === get.spanContext().spanId), 'every command ran with the first instance\'s span active')
})

t.test('instrument() for metrics only, after one with spans: node-redis spans still nest under the recorded span', async (t) => {
  const redis = await redisForTest(t)
  const { spanExporter } = await otel(t)
  // No tracerProvider and no global one: its spans record nothing.
  const stopMetricsOnly = instrument({ meterProvider: new MeterProvider() })
  t.teardown(stopMetricsOnly)
  const app = await cacheApp(t, redis, { keyPrefix: 'shop' })
  const parents = await commandParents(() => app.cache.get('k'))
  const get = spanExporter.getFinishedSpans().find((s) => s.name === 'fastify_codex.cache.get')
  t.ok(get !== undefined && parents.length > 0 && parents.every((id) => id === get.spanContext().spanId), 'every command ran with the recorded span active')
})
