import { channel, tracingChannel, type TracingChannel } from 'node:diagnostics_channel'

/** `outcome` of a cache read: `get`/`has`/`getMany` say hit or miss; `getOrSet` says hit, stale, computed or collapsed. */
export type CacheOutcome = 'hit' | 'miss' | 'stale' | 'computed' | 'collapsed'

/** What `fastify-codex:cache` subscribers receive: no value, and the caller's key (never the full Redis key). */
export interface CacheContext {
  cache: string
  operation: string
  /** The caller's key, for single-key operations. */
  key?: string
  /** How many keys, for the `*Many` operations. */
  keys?: number
  outcome?: CacheOutcome
  /** Where a hit came from. */
  layer?: 'near' | 'redis'
}

export interface LockContext {
  cache: string
  name: string
  operation: 'acquire' | 'release' | 'extend'
  outcome?: 'acquired' | 'busy' | 'released' | 'extended' | 'lost'
  token?: number
}

export type SessionOperation = 'load' | 'create' | 'update' | 'refresh' | 'destroy' | 'revokeUser'

/** Never a session id, cookie or user id. */
export interface SessionContext {
  operation: SessionOperation
  outcome?: 'found' | 'missing' | 'done'
}

export interface RouteCacheContext {
  method: string
  /** The route's URL pattern (`/products/:id`), never the request's URL. */
  route: string
  outcome?: 'hit' | 'miss' | 'stale' | 'bypass' | 'collapsed'
  stored?: boolean
}

export const cacheChannel: TracingChannel<CacheContext, CacheContext> = tracingChannel('fastify-codex:cache')
export const lockChannel: TracingChannel<LockContext, LockContext> = tracingChannel('fastify-codex:lock')
export const sessionChannel: TracingChannel<SessionContext, SessionContext> = tracingChannel('fastify-codex:session')
export const routeCacheChannel: TracingChannel<RouteCacheContext, RouteCacheContext> = tracingChannel('fastify-codex:route-cache')
/** `{ error }`, once per outage of a connection. */
export const unavailableChannel = channel('fastify-codex:redis:unavailable')
/** `{ downMs }`, once the connection answers again. */
export const restoredChannel = channel('fastify-codex:redis:restored')
/** `{ cache, keys }`: Redis told a near cache that `keys` of its copies are outdated. */
export const nearInvalidateChannel = channel('fastify-codex:near:invalidate')

/** Runs `run` inside the active tracing scope of a context (fastify-codex/otel sets one, so Redis command spans nest). */
type Scope = <T>(context: object, run: () => Promise<T>) => Promise<T>

// Every instrument() still running adds one. All apply, the latest innermost: its span is the active one, unless it
// has none recording (a metrics-only instrument()), then an earlier one's is.
const scopes: Scope[] = []
let scope: Scope | undefined

function composed (): Scope | undefined {
  if (scopes.length <= 1) return scopes[0]
  const all = [...scopes]
  return <T>(context: object, run: () => Promise<T>): Promise<T> =>
    all.reduceRight<() => Promise<T>>((inner, outer) => () => outer(context, inner), run)()
}

/** fastify-codex/otel only: how a traced operation runs once its `start` was published. Returns its (idempotent) removal. */
export function addScope (next: Scope): () => void {
  scopes.push(next)
  scope = composed()
  let added = true
  return () => {
    if (!added) return
    added = false
    scopes.splice(scopes.lastIndexOf(next), 1)
    scope = composed()
  }
}

/** Runs `run` in the tracing scope of `context` (see addScope). */
export function inScope<T> (context: object, run: () => Promise<T>): Promise<T> {
  return scope === undefined ? run() : scope(context, run)
}

/**
 * Traces `run` on `traced` with `context` (call only when `traced.hasSubscribers`), as `tracePromise` does (start
 * with its bound stores, end, then error, asyncStart and asyncEnd once settled) with one promise instead of three,
 * and `context.result` never set: no value, session or user id rides in a context.
 */
export function trace<C extends object, T> (traced: TracingChannel<C, C>, context: C, run: () => Promise<T>): Promise<T> {
  let pending: Promise<T>
  try {
    pending = traced.start.runStores(context, () => {
      try {
        return inScope(context, run)
      } catch (err) {
        return Promise.reject(err)
      }
    })
  } finally {
    traced.end.publish(context)
  }
  return pending.then((value) => {
    traced.asyncStart.publish(context)
    traced.asyncEnd.publish(context)
    return value
  }, (err: unknown) => {
    (context as { error?: unknown }).error = err
    traced.error.publish(context)
    traced.asyncStart.publish(context)
    traced.asyncEnd.publish(context)
    throw err
  })
}
