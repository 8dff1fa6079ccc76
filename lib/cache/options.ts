import { InvalidOptionsError, describe } from '../errors.js'
import { assertVersion, defaultKeyFunction, type KeyFunction, type KeyVersion } from '../keys.js'
import { jsonSerializer, type Serializer } from '../serializer.js'
import { resolveDefaultTtl, type Ttl } from '../ttl.js'
import type { ResolvedNearCacheOptions } from './near/near-cache.js'

/** Opt-in in-process copies of values read, kept correct by Redis server-assisted invalidation. */
export interface NearCacheOptions {
  /** Most values kept in process (least recently used dropped first). */
  maxEntries: number
  /** Seconds a local copy lives at most (its Redis TTL always bounds it too). Default: no extra bound. */
  ttl?: number
}

/** How the cache names, versions, expires and encodes its values. */
export interface CacheOptions {
  /** Namespace of every key; `clear()` refuses to run while it is empty. Default `''`. */
  keyPrefix?: string
  /** Default key version. Default `1`. */
  version?: KeyVersion
  /** Default time to live in seconds; `null` = never expire. Default `300`. */
  ttl?: number | null
  /** Builds the Redis key. Default `${prefix}:${version}:${key}`. */
  keyFunction?: KeyFunction
  /** Default: the strict `JsonSerializer`. */
  serializer?: Serializer
  /** Keep values read in process, invalidated by Redis (RESP3 client tracking). Default: off. */
  nearCache?: NearCacheOptions
  /**
   * getOrSet during a Redis outage: `false` (default) rejects with FST_CODEX_REDIS_UNAVAILABLE; `true` runs the
   * factory (once per key per process) and returns its result unstored.
   */
  failOpen?: boolean
  /**
   * Ms after which a getOrSet computation is abandoned when the call gives no `hardTimeout` of its own: a factory
   * that never settles must not hang its callers or hold its compute lock forever. Default 30000.
   */
  hardTimeout?: number
  /**
   * Largest payload (UTF-8 bytes of the serialized value) a write sends; a larger one is refused with
   * FST_CODEX_VALUE_TOO_LARGE before anything is sent. `null`: no limit. Default 1048576 (1 MiB, as memcached).
   */
  maxValueBytes?: number | null
  /** Where getOrSet reports a failed refresh it answered with a stale value. Default: the plugin's `fastify.log`, else a process warning. */
  logger?: CacheLogger
}

/** The one logging call the cache makes (a pino / `fastify.log` logger fits). */
export interface CacheLogger {
  error (obj: object, msg: string): void
}

const warningLogger: CacheLogger = {
  error (obj, msg) {
    const err = (obj as { err?: unknown }).err
    process.emitWarning(`${msg}${err instanceof Error ? `: ${err.message}` : ''}`, 'FastifyCodexWarning')
  }
}

export interface ResolvedCacheOptions {
  readonly keyPrefix: string
  readonly version: KeyVersion
  readonly ttl: Ttl
  readonly keyFunction: KeyFunction
  readonly serializer: Serializer
  readonly nearCache: ResolvedNearCacheOptions | undefined
  readonly failOpen: boolean
  readonly logger: CacheLogger
  readonly hardTimeout: number
  readonly maxValueBytes: number | null
}

/** Every CacheOptions name: a plain-JavaScript typo (`keyprefix`, `tll`) is refused, not ignored. */
const cacheOptionNames = [
  'keyPrefix', 'version', 'ttl', 'keyFunction', 'serializer', 'nearCache', 'failOpen', 'hardTimeout', 'maxValueBytes', 'logger'
] as const satisfies Array<keyof CacheOptions>
// Fails to compile when CacheOptions gains a name the list lacks.
export const everyCacheOptionListed: Exclude<keyof CacheOptions, typeof cacheOptionNames[number]> extends never ? true : never = true
export const CACHE_OPTION_NAMES: ReadonlySet<string> = new Set(cacheOptionNames)

export const DEFAULT_CACHE_TTL = 300
/** getOrSet's hardTimeout when neither the call nor the cache gives one. */
export const DEFAULT_HARD_TIMEOUT_MS = 30_000
/** The largest payload a write sends unless `maxValueBytes` says otherwise. */
export const DEFAULT_MAX_VALUE_BYTES = 1_048_576
// setTimeout fires at once (with a warning) past this.
export const MAX_TIMER_MS = 2 ** 31 - 1

export function resolveCacheOptions (options: CacheOptions): ResolvedCacheOptions {
  const { keyPrefix = '', version = 1, keyFunction = defaultKeyFunction, serializer = jsonSerializer } = options
  if (typeof keyPrefix !== 'string') throw new InvalidOptionsError('keyPrefix must be a string')
  // Keys are `{keyPrefix}:{version}:{key}` (and clear() matches `{keyPrefix}:*`): 'app:' would make 'app::1:key'.
  if (keyPrefix.endsWith(':')) {
    throw new InvalidOptionsError(`keyPrefix ${JSON.stringify(keyPrefix)} ends with ':': give keyPrefix without the trailing ':' (${JSON.stringify(keyPrefix.replace(/:+$/, ''))}), the separator is added for you`)
  }
  try {
    assertVersion(version)
  } catch {
    throw new InvalidOptionsError('version must be a finite number or a non-empty string')
  }
  if (typeof keyFunction !== 'function') throw new InvalidOptionsError('keyFunction must be a function')
  if (typeof serializer?.stringify !== 'function' || typeof serializer.parse !== 'function') {
    throw new InvalidOptionsError('serializer must have stringify(value) and parse(text)')
  }
  const { failOpen = false, logger = warningLogger } = options
  if (typeof failOpen !== 'boolean') throw new InvalidOptionsError('failOpen must be a boolean')
  if (typeof logger?.error !== 'function') throw new InvalidOptionsError('logger must have error(obj, msg)')
  let ttl: Ttl
  try {
    ttl = resolveDefaultTtl(options.ttl === undefined ? DEFAULT_CACHE_TTL : options.ttl)
  } catch {
    throw new InvalidOptionsError('ttl must be null or a finite number of seconds')
  }
  const nearCache = resolveNearCache(options.nearCache)
  const { hardTimeout = DEFAULT_HARD_TIMEOUT_MS } = options
  if (typeof hardTimeout !== 'number' || !(hardTimeout > 0 && hardTimeout <= MAX_TIMER_MS)) {
    throw new InvalidOptionsError(`hardTimeout must be a number of milliseconds > 0 and <= ${MAX_TIMER_MS}, got ${describe(hardTimeout)}`)
  }
  const { maxValueBytes = DEFAULT_MAX_VALUE_BYTES } = options
  if (maxValueBytes !== null && (typeof maxValueBytes !== 'number' || !Number.isSafeInteger(maxValueBytes) || maxValueBytes < 1)) {
    throw new InvalidOptionsError(`maxValueBytes must be a positive integer or null (no limit), got ${describe(maxValueBytes)}`)
  }
  return Object.freeze({ keyPrefix, version, ttl, keyFunction, serializer, nearCache, failOpen, logger, hardTimeout, maxValueBytes })
}

function resolveNearCache (options: unknown): ResolvedNearCacheOptions | undefined {
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null) throw new InvalidOptionsError('nearCache must be an object: { maxEntries, ttl? }')
  const { maxEntries, ttl } = options as Record<string, unknown>
  if (typeof maxEntries !== 'number' || !Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new InvalidOptionsError('nearCache.maxEntries must be a positive integer')
  }
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0)) {
    throw new InvalidOptionsError('nearCache.ttl must be a positive number of seconds')
  }
  return Object.freeze({ maxEntries, ttl: ttl === undefined ? null : ttl * 1000 })
}
