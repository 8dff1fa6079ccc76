/** `fastify.cache.stats()`: counters since the cache was made. */
export interface CacheStats {
  /** Reads answered with a value (`get`, `has`, each key of `getMany`, `getOrSet` and `getOrSetMany`). */
  hits: number
  /** Reads that found nothing (`get`, `has`, `getMany`); a `getOrSet` miss counts as `computed` or `collapsed`. */
  misses: number
  /** `getOrSet` answers served from the grace copy. */
  stale: number
  /** `getOrSet` misses whose caller ran the factory. */
  computed: number
  /** `getOrSet` misses served by another caller's computation (in this process or another). */
  collapsed: number
  /** Reads (`get`, `has`, `getMany`, `getOrSet`, `getOrSetMany`) that rejected. */
  errors: number
  near: {
    /** Hits answered by the near cache (a subset of `hits`). */
    hits: number
    /** Local copies held now. */
    entries: number
    /** Keys Redis told this process to drop. */
    invalidations: number
  }
}

/** The read counters a cache keeps whatever listens: one field increment per read. */
export class CacheCounters {
  hits = 0
  misses = 0
  stale = 0
  computed = 0
  collapsed = 0
  errors = 0
}

/** `fastify.sessions.stats()`: counters since the store was made. */
export interface SessionStats {
  /** Loads of a session id (`found` of them found a session). */
  loads: number
  found: number
  creates: number
  updates: number
  /** Expiry-only writes (rolling sessions). */
  refreshes: number
  /** Sessions removed by `destroy` (requests or `fastify.sessions`) and `revokeUser`. */
  destroys: number
  /** Operations that rejected. */
  errors: number
}
