// `fastify-codex/otel`: the diagnostics channels as OpenTelemetry metrics and spans. The main entry never imports
// this file, so @opentelemetry/api stays an optional peer dependency.
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel'
import { context, metrics, SpanKind, SpanStatusCode, trace, type Attributes, type Histogram, type Meter, type MeterProvider, type Span, type TracerProvider } from '@opentelemetry/api'
import { addScope } from './lib/observe/channels.js'

export interface InstrumentOptions {
  /** Where metrics go; default: the global MeterProvider (`metrics.setGlobalMeterProvider`). */
  meterProvider?: MeterProvider
  /** Where spans go; default: the global TracerProvider. */
  tracerProvider?: TracerProvider
}

const SCOPE = 'fastify-codex'
// Bucket bounds in seconds: a near hit takes microseconds, a computation can take seconds.
const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

interface Open {
  readonly span: Span
  readonly startedAt: number
  failed: boolean
}

/** One attribute set of a kind and how many operations ended with it. */
interface Tally {
  readonly attributes: Attributes
  count: number
}

interface Traced {
  /** The TracingChannel's name after `fastify-codex:` (`cache`, `lock`, `session`, `route-cache`). */
  readonly kind: string
  readonly duration: Histogram
  /** Metric attributes of a finished context: only what the contract lists, never a key, id or URL. */
  tally (ctx: Record<string, unknown>, errorType: string | undefined): Tally
  spanName (ctx: Record<string, unknown>): string
}

function traced (meter: Meter, kind: string, counterName: string, names: readonly string[], spanName: (ctx: Record<string, unknown>) => string): Traced {
  const metric = kind.replace('-', '_')
  // Counted here and observed at collection: one SDK call per operation (the histogram) instead of two.
  const tallies = new Map<string, Tally>()
  meter.createObservableCounter(`fastify_codex.${metric}.${counterName}`, { description: `fastify-codex ${kind} ${counterName} by outcome` })
    .addCallback((result) => { for (const tally of tallies.values()) result.observe(tally.count, tally.attributes) })
  return {
    kind,
    duration: meter.createHistogram(`fastify_codex.${metric}.duration`, { unit: 's', description: `fastify-codex ${kind} duration`, advice: { explicitBucketBoundaries: DURATION_BUCKETS } }),
    tally (ctx, errorType) {
      let key = errorType ?? ''
      for (const name of names) key += `\u0000${String(ctx[name])}`
      let tally = tallies.get(key)
      if (tally === undefined) {
        const attributes: Attributes = {}
        for (const name of names) {
          const value = ctx[name]
          if (typeof value === 'string' || typeof value === 'boolean') attributes[name] = value
        }
        if (errorType !== undefined) {
          attributes.outcome = 'error'
          if (errorType !== '') attributes['error.type'] = errorType
        }
        tallies.set(key, tally = { attributes, count: 0 })
      }
      tally.count++
      return tally
    },
    spanName
  }
}

/**
 * Subscribes to fastify-codex's diagnostics channels and records them as OpenTelemetry metrics
 * (`fastify_codex.*`) and spans; Redis command spans (node-redis's own) nest under ours. Returns a function that stops it.
 */
export function instrument (options: InstrumentOptions = {}): () => void {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE)
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE)
  // Where this instance keeps its span on the operation's context (a WeakMap costs more than the operation's own
  // work); one symbol per instance, so two instances never take each other's span.
  const kOpen = Symbol('fastify-codex/otel span')
  const open = {
    get: (ctx: object): Open | undefined => (ctx as { [kOpen]?: Open })[kOpen],
    set: (ctx: object, entry: Open | undefined): void => { (ctx as { [kOpen]?: Open })[kOpen] = entry }
  }
  const all: Traced[] = [
    traced(meter, 'cache', 'operations', ['cache', 'operation', 'outcome', 'layer'], (ctx) => `fastify_codex.cache.${String(ctx.operation)}`),
    traced(meter, 'lock', 'operations', ['cache', 'operation', 'outcome'], (ctx) => `fastify_codex.lock.${String(ctx.operation)}`),
    traced(meter, 'session', 'operations', ['operation', 'outcome'], (ctx) => `fastify_codex.session.${String(ctx.operation)}`),
    traced(meter, 'route-cache', 'requests', ['method', 'route', 'outcome', 'stored'], (ctx) => `fastify_codex.route_cache ${String(ctx.method)} ${String(ctx.route)}`)
  ]
  const stops: Array<() => void> = []
  for (const kind of all) {
    const channel = tracingChannel<object, Record<string, unknown>>(`fastify-codex:${kind.kind}`)
    const handlers = {
      start (ctx: Record<string, unknown>) {
        const span = tracer.startSpan(kind.spanName(ctx), { kind: SpanKind.INTERNAL }, context.active())
        open.set(ctx, { span, startedAt: performance.now(), failed: false })
      },
      end () {},
      asyncStart () {},
      error (ctx: Record<string, unknown>) {
        const entry = open.get(ctx)
        if (entry === undefined) return
        entry.failed = true
        const error = ctx.error
        entry.span.recordException(error instanceof Error ? error : String(error))
        entry.span.setStatus({ code: SpanStatusCode.ERROR })
      },
      asyncEnd (ctx: Record<string, unknown>) {
        const entry = open.get(ctx)
        if (entry === undefined) return
        open.set(ctx, undefined)
        let errorType: string | undefined
        if (entry.failed) {
          const code = (ctx.error as { code?: unknown } | undefined)?.code
          errorType = typeof code === 'string' ? code : ''
        }
        const { attributes } = kind.tally(ctx, errorType)
        kind.duration.record((performance.now() - entry.startedAt) / 1000, attributes)
        const span = entry.span
        if (span.isRecording()) span.setAttributes(prefixed(attributes))
        span.end()
      }
    }
    channel.subscribe(handlers)
    stops.push(() => { channel.unsubscribe(handlers) })
  }

  const outages = meter.createCounter('fastify_codex.redis.outages', { description: 'Redis outages seen by fastify-codex connections' })
  const downtime = meter.createHistogram('fastify_codex.redis.outage.duration', { unit: 's', description: 'How long each Redis outage lasted' })
  const invalidations = meter.createCounter('fastify_codex.near.invalidations', { description: 'Near-cache copies Redis invalidated' })
  const plain: Array<[string, (message: unknown) => void]> = [
    ['fastify-codex:redis:unavailable', () => { outages.add(1) }],
    ['fastify-codex:redis:restored', (message) => { downtime.record((message as { downMs: number }).downMs / 1000) }],
    ['fastify-codex:near:invalidate', (message) => {
      const { cache, keys } = message as { cache: string, keys: number }
      invalidations.add(keys, { cache })
    }]
  ]
  for (const [name, listener] of plain) {
    subscribe(name, listener)
    stops.push(() => { unsubscribe(name, listener) })
  }

  // Our span is the active context while the operation runs: the Redis commands it sends are its children. A span
  // nobody records (no tracer provider) needs no context switch.
  stops.push(addScope((ctx, run) => {
    const span = open.get(ctx)?.span
    return span === undefined || !span.isRecording() ? run() : context.with(trace.setSpan(context.active(), span), run)
  }))
  return () => {
    for (const stop of stops) stop()
  }
}

function prefixed (attributes: Attributes): Attributes {
  const out: Attributes = {}
  for (const name in attributes) out[name.startsWith('error.') ? name : `fastify_codex.${name}`] = attributes[name]
  return out
}
