/**
 * What observability costs a cache get/set at 64 callers, in the same rounds: the code before the channels (a scratch
 * build, see below) against today's with nobody subscribed, and today's with `instrument()` recording metrics and
 * spans (OpenTelemetry SDK: metrics only, and metrics plus spans batched to an exporter that drops them).
 *   bench/session/build-variant.sh base   # after: mkdir -p scratch/base/src && git archive BASE lib plugins index.ts | tar -x -C scratch/base/src
 *   npm run build && node --import tsx --import ./bench/lib/built-code.mjs bench/observe/ab.ts [rounds] [sliceMs]
 * Without scratch/base/dist, the "before" contestant is left out.
 */
import { existsSync } from 'node:fs'
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { RedisCache } from '../../lib/cache/cache.js'
import { RedisConnection } from '../../lib/connection/connection.js'
import { resolveConnectionOptions } from '../../lib/connection/options.js'
import { instrument } from '../../otel.js'
import { fmtInt, fmtRatio, table } from '../lib/markdown.js'
import { adminClient, startBenchRedis } from '../lib/redis.js'
import { medianRatio, medianRate, roundRobin, type Entrant } from '../lib/runner.js'
import { samplePayload } from '../serializer.js'

const [roundsArg = '9', sliceArg = '200'] = process.argv.slice(2)
const rounds = Number(roundsArg)
const sliceMs = Number(sliceArg)
const CONCURRENCY = 64
/** Nobody subscribed; instrument() with metrics only (no tracer provider registered); metrics and recorded spans. */
type Mode = 'off' | 'metrics' | 'full'
const KEYS = Array.from({ length: 1000 }, (_, i) => `item:${i}`)

interface Cache { get (key: string): Promise<unknown>, set (key: string, value: never): Promise<void>, close (): Promise<void> }
type CacheClass = new (connection: unknown, options: object) => Cache
interface Connection { connect (): Promise<void>, close (): Promise<void> }
type ConnectionClass = new (options: ReturnType<typeof resolveConnectionOptions>, onError: () => void) => Connection

const baseBuild = new URL('../../scratch/base/dist/lib/cache/cache.js', import.meta.url)

// Each build's cache takes only its own build's RedisConnection.
async function open (Class: CacheClass, Connection: ConnectionClass, url: string): Promise<{ cache: Cache, close: () => Promise<void> }> {
  const connection = new Connection(resolveConnectionOptions({ url }), () => {})
  await connection.connect()
  const cache = new Class(connection, { keyPrefix: 'obs', ttl: 300 })
  return { cache, close: async () => { await cache.close(); await connection.close() } }
}

const dropSpans: SpanExporter = { export: (_spans, done) => { done({ code: 0 }) }, shutdown: async () => {} }

const redis = await startBenchRedis()
const admin = await adminClient(redis.url)
const closers: Array<() => Promise<void>> = []
try {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans)] })
  // The channels are process-wide: instrument() is on during the instrumented contestants' slices only.
  let stop: (() => void) | undefined
  let current: Mode = 'off'
  const instrumented = (mode: Mode): void => {
    if (mode === current) return
    stop?.()
    stop = undefined
    current = mode
    if (mode === 'metrics') stop = instrument({ meterProvider })
    if (mode === 'full') stop = instrument({ meterProvider, tracerProvider })
  }

  const now = await open(RedisCache as unknown as CacheClass, RedisConnection, redis.url)
  closers.push(now.close)
  const contestants: Array<{ name: string, cache: Cache, on: Mode }> = [
    { name: 'now, nobody subscribed', cache: now.cache, on: 'off' },
    { name: 'now, instrument() metrics', cache: now.cache, on: 'metrics' },
    { name: 'now, instrument() metrics + spans', cache: now.cache, on: 'full' }
  ]
  if (existsSync(baseBuild)) {
    const Base = (await import(baseBuild.href) as { RedisCache: CacheClass }).RedisCache
    const BaseConnection = (await import(new URL('../connection/connection.js', baseBuild).href) as { RedisConnection: ConnectionClass }).RedisConnection
    const base = await open(Base, BaseConnection, redis.url)
    closers.push(base.close)
    contestants.unshift({ name: 'before (scratch/base)', cache: base.cache, on: 'off' })
  }
  const payload = samplePayload() as never
  for (const key of KEYS) await now.cache.set(key, payload)
  const rows: string[][] = []
  for (const operation of ['get', 'set'] as const) {
    const entrants: Entrant[] = contestants.map(({ name, cache, on }) => ({
      name,
      op: operation === 'get'
        ? (seq) => { instrumented(on); return cache.get(KEYS[seq % KEYS.length]!) }
        : (seq) => { instrumented(on); return cache.set(KEYS[seq % KEYS.length]!, payload) }
    }))
    const result = await roundRobin(entrants, { concurrency: CONCURRENCY, rounds, sliceMs, warmupMs: 200 })
    const baseline = contestants[0]!.name
    for (const entrant of result.entrants) {
      rows.push([operation, entrant.name, fmtInt(medianRate(entrant)), fmtRatio(medianRatio(result, entrant.name, baseline)),
        fmtRatio(medianRatio(result, entrant.name, 'now, nobody subscribed'))])
    }
  }
  instrumented('off')
  console.log(table(['op (64 callers)', 'contestant', 'ops/s (median)', `vs ${contestants[0]!.name}`, 'vs nobody subscribed'], rows, ['l', 'l', 'r', 'r', 'r']))
  await meterProvider.shutdown()
  await tracerProvider.shutdown()
} finally {
  for (const close of closers) await close()
  await admin.close()
  await redis.stop()
}
