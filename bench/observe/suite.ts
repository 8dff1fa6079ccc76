/**
 * What observability costs a cache get/set at 64 callers, in the same rounds: the code before the channels (a scratch
 * build, when there is one) against today's with nobody subscribed, with `instrument()` recording metrics only, and
 * with metrics and spans (OpenTelemetry SDK; spans batched to an exporter that drops them).
 * The "before" build: mkdir -p scratch/base/src && git archive BASE lib plugins index.ts | tar -x -C scratch/base/src
 * && bench/session/build-variant.sh base. Without scratch/base/dist that contestant is left out.
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
import { medianRatio, medianRate, roundRobin, type Entrant } from '../lib/runner.js'
import { median } from '../lib/stats.js'
import { samplePayload } from '../serializer.js'

export interface ObserveBenchOptions { url: string, rounds: number, sliceMs: number, warmupMs: number }

export interface ObserveRow { operation: 'get' | 'set', contestant: string, opsPerSec: number, vsFirst: number, vsNobody: number }

/** Client CPU per get (this process's user + system time ÷ gets): robust where throughput is not, on a shared machine. */
export interface CpuRow { contestant: string, usPerGet: number, vsNobody: number }

export interface ObserveBenchResult { rows: ObserveRow[], cpu: CpuRow[], first: string, rounds: number, sliceMs: number }

const CPU_GETS = 20_000

const CONCURRENCY = 64
const KEYS = Array.from({ length: 1000 }, (_, i) => `item:${i}`)
export const NOBODY = 'now, nobody subscribed'
export const METRICS = 'now, instrument() metrics'
export const FULL = 'now, instrument() metrics + spans'
export const BEFORE = 'before (scratch/base)'
/** Nobody subscribed; instrument() with metrics only (no tracer provider); metrics and recorded spans. */
type Mode = 'off' | 'metrics' | 'full'

interface Cache { get (key: string): Promise<unknown>, set (key: string, value: never): Promise<void>, close (): Promise<void> }
type CacheClass = new (connection: unknown, options: object) => Cache
interface Connection { connect (): Promise<void>, close (): Promise<void> }
type ConnectionClass = new (options: ReturnType<typeof resolveConnectionOptions>, onError: () => void) => Connection

const baseBuild = new URL('../../scratch/base/dist/lib/cache/cache.js', import.meta.url)
const dropSpans: SpanExporter = { export: (_spans, done) => { done({ code: 0 }) }, shutdown: async () => {} }

// Each build's cache takes only its own build's RedisConnection.
async function open (Class: CacheClass, Connection: ConnectionClass, url: string): Promise<{ cache: Cache, close: () => Promise<void> }> {
  const connection = new Connection(resolveConnectionOptions({ url }), () => {})
  await connection.connect()
  const cache = new Class(connection, { keyPrefix: 'obs', ttl: 300 })
  return { cache, close: async () => { await cache.close(); await connection.close() } }
}

/**
 * Runs last in a bench process: recorded spans need AsyncLocalStorage, whose promise hooks stay on once enabled
 * (every OpenTelemetry app with context propagation pays them; the ratios here are taken with them on).
 */
export async function runObserveBench (options: ObserveBenchOptions): Promise<ObserveBenchResult> {
  const closers: Array<() => Promise<void>> = []
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
  try {
    const now = await open(RedisCache as unknown as CacheClass, RedisConnection, options.url)
    closers.push(now.close)
    const contestants: Array<{ name: string, cache: Cache, mode: Mode }> = [
      { name: NOBODY, cache: now.cache, mode: 'off' },
      { name: METRICS, cache: now.cache, mode: 'metrics' },
      { name: FULL, cache: now.cache, mode: 'full' }
    ]
    if (existsSync(baseBuild)) {
      const Base = (await import(baseBuild.href) as { RedisCache: CacheClass }).RedisCache
      const BaseConnection = (await import(new URL('../connection/connection.js', baseBuild).href) as { RedisConnection: ConnectionClass }).RedisConnection
      const base = await open(Base, BaseConnection, options.url)
      closers.push(base.close)
      contestants.unshift({ name: BEFORE, cache: base.cache, mode: 'off' })
    }
    const payload = samplePayload() as never
    for (const key of KEYS) await now.cache.set(key, payload)
    const first = contestants[0]!.name
    const rows: ObserveRow[] = []
    for (const operation of ['get', 'set'] as const) {
      const entrants: Entrant[] = contestants.map(({ name, cache, mode }) => ({
        name,
        op: operation === 'get'
          ? (seq) => { instrumented(mode); return cache.get(KEYS[seq % KEYS.length]!) }
          : (seq) => { instrumented(mode); return cache.set(KEYS[seq % KEYS.length]!, payload) }
      }))
      const result = await roundRobin(entrants, { concurrency: CONCURRENCY, rounds: options.rounds, sliceMs: options.sliceMs, warmupMs: options.warmupMs })
      for (const entrant of result.entrants) {
        rows.push({
          operation,
          contestant: entrant.name,
          opsPerSec: medianRate(entrant),
          vsFirst: medianRatio(result, entrant.name, first),
          vsNobody: medianRatio(result, entrant.name, NOBODY)
        })
      }
    }
    const cpu = await cpuPerGet(contestants, instrumented, options.rounds)
    return { rows, cpu, first, rounds: options.rounds, sliceMs: options.sliceMs }
  } finally {
    instrumented('off')
    await meterProvider.shutdown()
    await tracerProvider.shutdown()
    for (const close of closers) await close()
  }
}

/** CPU per get at 64 callers, contestants taking turns round by round; ratios: medians of per-round ratios. */
async function cpuPerGet (contestants: ReadonlyArray<{ name: string, cache: Cache, mode: Mode }>, instrumented: (mode: Mode) => void, rounds: number): Promise<CpuRow[]> {
  const run = async (cache: Cache, gets: number): Promise<number> => {
    let seq = 0
    const before = process.cpuUsage()
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (seq < gets) await cache.get(KEYS[seq++ % KEYS.length]!) }))
    const used = process.cpuUsage(before)
    return (used.user + used.system) / gets
  }
  const samples = contestants.map(() => [] as number[])
  for (const { cache, mode } of contestants) {
    instrumented(mode)
    await run(cache, CPU_GETS / 4)
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contestants.length; k++) {
      const i = (round + k) % contestants.length
      const { cache, mode } = contestants[i]!
      instrumented(mode)
      samples[i]!.push(await run(cache, CPU_GETS))
    }
  }
  const nobody = samples[contestants.findIndex((c) => c.name === NOBODY)]!
  return contestants.map((c, i) => ({
    contestant: c.name,
    usPerGet: median(samples[i]!),
    vsNobody: median(samples[i]!.map((us, r) => nobody[r]! / us))
  }))
}

export function observeSection (result: ObserveBenchResult): string {
  return ['## Observability: what the channels and instrument() cost', '',
    `Cache get and set at ${CONCURRENCY} callers, contestants alternating in ${result.rounds} rounds of ${result.sliceMs} ms slices; ratios are medians of per-round ratios. ` +
    'Targets: nobody subscribed within 2 % of the code before the channels; with instrument(), get ≥ 0.85× uninstrumented.', '',
    table(['op', 'contestant', 'ops/s (median)', `÷ ${result.first}`, `÷ ${NOBODY}`],
      result.rows.map((r) => [r.operation, r.contestant, fmtInt(r.opsPerSec), fmtRatio(r.vsFirst), fmtRatio(r.vsNobody)]), ['l', 'l', 'r', 'r', 'r']), '',
    `Client CPU per get (${CPU_GETS} gets at ${CONCURRENCY} callers per contestant and round, ${result.rounds} rounds; this process's user + system time): ` +
    '"÷" is nobody-subscribed CPU ÷ this one, the throughput ratio when CPU-bound. Recorded spans turn on AsyncLocalStorage\'s promise hooks for the rest of the process, as in any app with OpenTelemetry context propagation: rounds after the first instrumented one pay them for every contestant.', '',
    table(['contestant', 'CPU / get', `÷ ${NOBODY}`], result.cpu.map((r) => [r.contestant, `${r.usPerGet.toFixed(2)} µs`, fmtRatio(r.vsNobody)]), ['l', 'r', 'r'])].join('\n')
}
