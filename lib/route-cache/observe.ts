import type { FastifyReply, FastifyRequest } from 'fastify'
import { inScope, routeCacheChannel, type RouteCacheContext } from '../observe/channels.js'

// A traced request's context, from its lookup (start, end) to its end (asyncStart, asyncEnd with the outcome). Taking
// it out of the map is the once-per-request guard: whichever of onSend, onResponse, onRequestAbort comes first closes it.
const traced = new WeakMap<FastifyRequest, RouteCacheContext>()

/** Runs a cached route's lookup, traced on `fastify-codex:route-cache` while someone subscribes. */
export function tracedLookup<T> (request: FastifyRequest, route: string, lookup: () => Promise<T>): Promise<T> {
  const method = request.method
  if (!routeCacheChannel.hasSubscribers || (method !== 'GET' && method !== 'HEAD')) return lookup()
  const ctx: RouteCacheContext = { method, route }
  traced.set(request, ctx)
  let pending: Promise<T>
  try {
    pending = routeCacheChannel.start.runStores(ctx, () => inScope(ctx, lookup))
  } finally {
    routeCacheChannel.end.publish(ctx)
  }
  // A failed lookup (serving a stored response Fastify refuses) is an error, not the miss its 500 is labelled.
  return pending.catch((err: unknown) => {
    failed(ctx, err)
    throw err
  })
}

/** After onSend labelled the response: its `cache-status` is the outcome. */
export function tracedResponse (request: FastifyRequest, reply: FastifyReply): void {
  const ctx = take(request)
  if (ctx === undefined) return
  if ('error' in ctx) return close(ctx)
  const status = String(reply.getHeader('cache-status') ?? '')
  ctx.outcome = outcomeOf(status)
  ctx.stored = status.includes('; stored')
  close(ctx)
}

/** The request ended without onSend (hijacked, aborted): the cache answered nothing, a `bypass`. */
export function tracedEnd (request: FastifyRequest): void {
  const ctx = take(request)
  if (ctx === undefined) return
  if ('error' in ctx) return close(ctx)
  ctx.outcome = 'bypass'
  ctx.stored = false
  close(ctx)
}

/** onSend failed: the context ends with `error` (no outcome). */
export function tracedFailure (request: FastifyRequest, error: unknown): void {
  const ctx = take(request)
  if (ctx === undefined) return
  if (!('error' in ctx)) failed(ctx, error)
  close(ctx)
}

function failed (ctx: RouteCacheContext, error: unknown): void {
  (ctx as { error?: unknown }).error = error
  routeCacheChannel.error.publish(ctx)
}

function take (request: FastifyRequest): RouteCacheContext | undefined {
  const ctx = traced.get(request)
  if (ctx !== undefined) traced.delete(request)
  return ctx
}

function close (ctx: RouteCacheContext): void {
  routeCacheChannel.asyncStart.publish(ctx)
  routeCacheChannel.asyncEnd.publish(ctx)
}

function outcomeOf (status: string): RouteCacheContext['outcome'] {
  if (status.includes('; collapsed')) return 'collapsed'
  if (status.includes('; hit')) return 'hit'
  if (status.includes('fwd=stale')) return 'stale'
  if (status.includes('fwd=bypass')) return 'bypass'
  return 'miss'
}
