import type { GetOrSetOptions } from '../cache/options.js'
import type { FactoryContext, GRACE_HOLDS, OFFLINE } from '../cache/read-through/factory.js'
import { RedisUnavailableError } from '../errors.js'
import { STRICT_PATHS, type PathRules } from './key.js'

/** getOrSet's factory context, with the marks the route cache reads. */
export interface RouteFactoryContext extends FactoryContext<unknown> {
  /** Redis was unreachable (failOpen): nothing will be stored. */
  readonly [OFFLINE]?: true
  /** With a stale value: whether its grace copy is still there now (not invalidated since the computation began). */
  readonly [GRACE_HOLDS]?: () => Promise<boolean>
}

export type RouteGetOrSetOptions = Pick<GetOrSetOptions, 'ttl' | 'grace' | 'timeout' | 'hardTimeout' | 'tags'>

/** The cache methods the route cache calls (a `RedisCache` is one). */
export interface RouteCacheBackend {
  getOrSet (key: string, factory: (ctx: RouteFactoryContext) => Promise<unknown>, opts: RouteGetOrSetOptions): Promise<unknown>
  get (key: string): Promise<unknown>
  set (key: string, value: string[], opts: { ttl: null }): Promise<void>
  invalidateTags (tags: string[]): Promise<void>
}

interface RouteCacheLogger {
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

/** What every cached route of one cache shares; an outage is logged once, however many requests it bypasses. */
export class RouteCacheHost {
  readonly backend: RouteCacheBackend
  readonly logger: RouteCacheLogger
  /** The cache's default ttl in seconds (`null`: no expiry). */
  readonly defaultTtl: number | null
  /** Whether any route of this cache is cached: writes to other routes then invalidate paths. */
  cachedRoutes = 0
  /** How the app's router matches paths: the path tags of GETs and writes follow it. */
  pathRules: PathRules = STRICT_PATHS
  /** Whether an entry, as the cache encodes it, is within the cache's `maxValueBytes` (set by the plugin). */
  fits: (entry: unknown) => boolean = () => true
  // performance.now() when the current outage was logged; `undefined` while Redis answers.
  #downSince: number | undefined

  constructor (backend: RouteCacheBackend, logger: RouteCacheLogger, defaultTtl: number | null) {
    this.backend = backend
    this.logger = logger
    this.defaultTtl = defaultTtl
  }

  /** The cache failed a request's lookup, store or invalidation: the request goes on without it. */
  failed (err: unknown, route: string): void {
    if (err instanceof RedisUnavailableError) {
      this.offline(route, err)
      return
    }
    this.logger.error({ err, route }, 'fastify-codex: the route cache failed, the handler answered this request')
  }

  /** Redis is unreachable (an error, or getOrSet failing open): logged when the outage begins. */
  offline (route: string, err?: unknown): void {
    if (this.#downSince !== undefined) return
    this.#downSince = performance.now()
    this.logger.warn({ err, route }, 'fastify-codex: Redis is unavailable, cached routes run their handlers until it is back')
  }

  /**
   * A round trip begun at `startedAt` (performance.now()) succeeded: a later outage is logged again. One begun before
   * the outage was logged (a store finishing late) says nothing of Redis now.
   */
  up (startedAt: number): void {
    if (this.#downSince !== undefined && startedAt > this.#downSince) this.#downSince = undefined
  }
}
