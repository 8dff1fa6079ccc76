import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { RedisCache } from '../lib/cache/cache.js'
import { RouteCacheHost } from '../lib/route-cache/backend.js'
import { addCacheTags, CachedRoute } from '../lib/route-cache/cached-route.js'
import { SESSION_COOKIE_NAME, sessionCookieSent } from '../lib/route-cache/credentials.js'
import { InvalidOptionsError } from '../lib/errors.js'
import { assertValueSize, encodeValue } from '../lib/value-codec.js'
import { invalidatePath, WRITE_METHODS } from '../lib/route-cache/invalidate.js'
import { routePattern, type PathRules } from '../lib/route-cache/key.js'
import { isNeverStored, resolveRouteCache, type RouteCacheOptions } from '../lib/route-cache/options.js'
import { tracedEnd, tracedFailure, tracedLookup, tracedResponse } from '../lib/route-cache/observe.js'

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
// A route's `config.cache` is served by the first codexCache of its app that sees it (an inner one sees it last); the
// HEAD route Fastify adds for a GET shares its config object. Claims are per app (its server): two apps given one
// route options object each cache the route.
const claimed = new WeakMap<object, WeakMap<object, Set<string>>>()

function claim (app: object, config: object, methods: string[]): boolean {
  const key = methods.join()
  let byConfig = claimed.get(app)
  if (byConfig === undefined) claimed.set(app, byConfig = new WeakMap())
  let taken = byConfig.get(config)
  if (taken === undefined) byConfig.set(config, taken = new Set())
  if (taken.has(key)) return false
  taken.add(key)
  return true
}

function hooks<T> (value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? [...value] : [value]
}

/**
 * The session cookie of the scope a route lives in, looked up once the app is ready (plugin order is free):
 * codexSession's name, or with @fastify/session (which does not tell its `cookieName`) the cookie that carried the
 * request's session, else its default name.
 */
function sessionCookieOf (instance: FastifyInstance): (request: FastifyRequest) => string | undefined {
  let name: string | undefined | null = null
  let fastifySession = false
  return (request) => {
    if (name === null) {
      const ours = (instance as unknown as Record<symbol, unknown>)[SESSION_COOKIE_NAME]
      fastifySession = typeof ours !== 'string' && instance.hasDecorator('decryptSession')
      name = typeof ours === 'string' ? ours : fastifySession ? FASTIFY_SESSION_COOKIE : undefined
    }
    return fastifySession ? sessionCookieSent(request) ?? name : name
  }
}

/**
 * The router's path rules. initialConfig does not tell whether `routerOptions` or the older top-level option set
 * a rule, so either loosening one counts (a looser path tag only invalidates more).
 */
function pathRulesOf (fastify: FastifyInstance): PathRules {
  const config = fastify.initialConfig
  const router: { ignoreTrailingSlash?: boolean, ignoreDuplicateSlashes?: boolean, caseSensitive?: boolean, useSemicolonDelimiter?: boolean } = config.routerOptions ?? {}
  return {
    ignoreTrailingSlash: router.ignoreTrailingSlash === true || config.ignoreTrailingSlash === true,
    ignoreDuplicateSlashes: router.ignoreDuplicateSlashes === true || config.ignoreDuplicateSlashes === true,
    caseSensitive: router.caseSensitive !== false && config.caseSensitive !== false,
    useSemicolonDelimiter: router.useSemicolonDelimiter === true || config.useSemicolonDelimiter === true
  }
}

/** An entry's size once encoded (base64, JSON escapes) may pass `maxBytes` and still be over `maxValueBytes`. */
function fitsIn (cache: RedisCache): (entry: unknown) => boolean {
  const { serializer, maxValueBytes } = cache.options
  if (maxValueBytes === null) return () => true
  return (entry) => {
    try {
      assertValueSize(encodeValue(serializer, entry), maxValueBytes, 'route')
      return true
    } catch {
      return false
    }
  }
}

/** Routes in `fastify`'s scope with `config.cache` get the lookup (last preHandler) and the store (last onSend). */
export function registerRouteCache (fastify: FastifyInstance, cache: RedisCache, defaults: RouteCacheOptions): void {
  const defaultTtl = cache.options.ttl === null ? null : cache.options.ttl / 1000
  const host = new RouteCacheHost(cache, fastify.log, defaultTtl)
  host.pathRules = pathRulesOf(fastify)
  host.fits = fitsIn(cache)
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
    if (config === undefined || config === false || route.config === undefined || !claim(fastify.server, route.config, methods)) return
    let options
    try {
      if (!methods.includes('GET') && !methods.includes('HEAD')) throw new InvalidOptionsError(`route ${route.url} config.cache: only GET routes are cached`)
      options = resolveRouteCache(config, defaults, `route ${route.url} config.cache`)
      const listed = (config === true ? undefined : (config as RouteCacheOptions).statuses) ?? defaults.statuses ?? []
      const never = listed.filter(isNeverStored)
      // Listing them is allowed (the contract says they are never stored), but someone expected them to be.
      if (never.length > 0) this.log.warn(`fastify-codex: route ${route.url} config.cache: statuses ${never.join(', ')} are never stored`)
    } catch (err) {
      // An onRoute throw would escape app.get() itself; the contract says ready() fails.
      errors.push(err)
      return
    }
    const cached = new CachedRoute(host, routePattern(route.url, route.constraints), options, sessionCookieOf(this))
    host.cachedRoutes++
    route.preHandler = [...hooks(route.preHandler), function routeCacheLookup (request, reply) {
      return tracedLookup(request, route.url, () => cached.lookup(request, reply))
    }]
    route.onSend = [...hooks(route.onSend), function routeCacheStore (request, reply, payload, done) {
      const sent = cached.onSend(request, reply, payload)
      if (!(sent instanceof Promise)) {
        tracedResponse(request, reply)
        done(null, sent)
        return
      }
      // A failed handler's response, replaced by its grace copy once that copy is checked.
      sent.then((body) => {
        tracedResponse(request, reply)
        done(null, body)
      }, (err: Error) => {
        tracedFailure(request, err)
        done(err)
      })
    }]
    route.onResponse = [...hooks(route.onResponse), function routeCacheEnd (request, _reply, done) {
      cached.abandon(request)
      // Still open only if onSend never ran (a hijacked reply).
      tracedEnd(request)
      done()
    }]
    route.onRequestAbort = [...hooks(route.onRequestAbort), function routeCacheAbort (request, done) {
      cached.abandon(request)
      tracedEnd(request)
      done()
    }]
  })
  fastify.addHook('onReady', async () => {
    if (errors.length > 0) throw errors[0]
  })
}
