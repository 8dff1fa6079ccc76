import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { RedisCache } from '../lib/cache/cache.js'
import type { RouteCacheBackend } from '../lib/route-cache/backend.js'
import { RouteCacheHost } from '../lib/route-cache/backend.js'
import { addCacheTags, CachedRoute } from '../lib/route-cache/cached-route.js'
import { SESSION_COOKIE_NAME } from '../lib/route-cache/credentials.js'
import { InvalidOptionsError } from '../lib/errors.js'
import { invalidatePath, WRITE_METHODS } from '../lib/route-cache/invalidate.js'
import { resolveRouteCache, type RouteCacheOptions } from '../lib/route-cache/options.js'
import { tracedLookup, tracedResponse } from '../lib/route-cache/observe.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Cache this route's GET responses in `fastify.cache` (see the route cache guide). */
    cache?: boolean | RouteCacheOptions
  }
  interface FastifyReply {
    /** Tags the response this request stores (cached routes only), to invalidate it with `invalidateTags`. */
    cacheTags (...tags: string[]): FastifyReply
  }
}

// @fastify/session's default, used when it was registered without codexSession (its options are its own).
const FASTIFY_SESSION_COOKIE = 'sessionId'
// A route's `config.cache` is served by the first codexCache that sees it (an inner one sees it last); the HEAD
// route Fastify adds for a GET shares its config object.
const claimed = new WeakMap<object, Set<string>>()

function claim (config: object, methods: string[]): boolean {
  const key = methods.join()
  let taken = claimed.get(config)
  if (taken === undefined) claimed.set(config, taken = new Set())
  if (taken.has(key)) return false
  taken.add(key)
  return true
}

function hooks<T> (value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? [...value] : [value]
}

/** The session cookie of the scope a route lives in, looked up once the app is ready (plugin order is free). */
function sessionCookieOf (instance: FastifyInstance): (request: FastifyRequest) => string | undefined {
  let name: string | undefined | null = null
  return () => {
    if (name === null) {
      const ours = (instance as unknown as Record<symbol, unknown>)[SESSION_COOKIE_NAME]
      name = typeof ours === 'string' ? ours : instance.hasDecorator('decryptSession') ? FASTIFY_SESSION_COOKIE : undefined
    }
    return name
  }
}

/** Routes in `fastify`'s scope with `config.cache` get the lookup (last preHandler) and the store (last onSend). */
export function registerRouteCache (fastify: FastifyInstance, cache: RedisCache, defaults: RouteCacheOptions): void {
  const defaultTtl = cache.options.ttl === null ? null : cache.options.ttl / 1000
  const host = new RouteCacheHost(cache as unknown as RouteCacheBackend, fastify.log, defaultTtl)
  const errors: unknown[] = []
  if (!fastify.hasReplyDecorator('cacheTags')) {
    fastify.decorateReply('cacheTags', function (this: FastifyReply, ...tags: string[]) {
      addCacheTags(this.request, tags)
      return this
    })
  }
  fastify.addHook('onRoute', function (route: RouteOptions) {
    const methods = [route.method].flat()
    if (methods.some((method) => WRITE_METHODS.has(method))) {
      route.onSend = [...hooks(route.onSend), async function routeCacheInvalidate (request, reply, payload) {
        await invalidatePath(host, request, reply)
        return payload
      }]
    }
    const config = route.config?.cache
    if (config === undefined || config === false || route.config === undefined || !claim(route.config, methods)) return
    let options
    try {
      if (!methods.includes('GET') && !methods.includes('HEAD')) throw new InvalidOptionsError(`route ${route.url} config.cache: only GET routes are cached`)
      options = resolveRouteCache(config, defaults, `route ${route.url} config.cache`)
    } catch (err) {
      // An onRoute throw would escape app.get() itself; the contract says ready() fails.
      errors.push(err)
      return
    }
    const cached = new CachedRoute(host, route.url, options, sessionCookieOf(this))
    host.cachedRoutes++
    route.preHandler = [...hooks(route.preHandler), function routeCacheLookup (request, reply) {
      return tracedLookup(request, route.url, () => cached.lookup(request, reply))
    }]
    route.onSend = [...hooks(route.onSend), function routeCacheStore (request, reply, payload, done) {
      const sent = cached.onSend(request, reply, payload)
      tracedResponse(request, reply)
      done(null, sent)
    }]
    route.onResponse = [...hooks(route.onResponse), function routeCacheEnd (request, _reply, done) {
      cached.abandon(request)
      done()
    }]
    route.onRequestAbort = [...hooks(route.onRequestAbort), function routeCacheAbort (request, done) {
      cached.abandon(request)
      done()
    }]
  })
  fastify.addHook('onReady', async () => {
    if (errors.length > 0) throw errors[0]
  })
}
