import type { FastifyReply, FastifyRequest } from 'fastify'
import { inScope, routeCacheChannel, type RouteCacheContext } from '../observe/channels.js'

// A traced request's context, from its lookup (start, end) to its onSend (asyncStart, asyncEnd with the outcome).
const traced = new WeakMap<FastifyRequest, RouteCacheContext>()

/** Runs a cached route's lookup, traced on `fastify-codex:route-cache` while someone subscribes. */
export function tracedLookup<T> (request: FastifyRequest, route: string, lookup: () => Promise<T>): Promise<T> {
  const method = request.method
  if (!routeCacheChannel.hasSubscribers || (method !== 'GET' && method !== 'HEAD')) return lookup()
  const ctx: RouteCacheContext = { method, route }
  traced.set(request, ctx)
  try {
    return routeCacheChannel.start.runStores(ctx, () => inScope(ctx, lookup))
  } finally {
    routeCacheChannel.end.publish(ctx)
  }
}

/** After onSend labelled the response: its `cache-status` is the outcome. */
export function tracedResponse (request: FastifyRequest, reply: FastifyReply): void {
  const ctx = traced.get(request)
  if (ctx === undefined) return
  traced.delete(request)
  const status = String(reply.getHeader('cache-status') ?? '')
  ctx.outcome = outcomeOf(status)
  ctx.stored = status.includes('; stored')
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
