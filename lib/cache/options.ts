import type { RedisClientLike, SetCommandOptions } from '../connection/client-types.js'
import { InvalidOptionsError, InvalidTtlError, describe } from '../errors.js'
import { rejectUnknownOptions } from '../known-options.js'
import { assertKey, assertVersion, defaultKeyFunction, type KeyFunction, type KeyVersion } from '../keys.js'
import type { CodexLogger } from '../logger.js'
import { jsonSerializer, type Serializer } from '../serializer.js'
import { MAX_TIMER_MS, resolveTtl, type Ttl } from '../ttl.js'
import type { ResolvedNearCacheOptions } from './near/near-cache.js'
import { resolveTags } from './tags.js'

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
  logger?: CodexLogger
}

const warningLogger: CodexLogger = {
  warn (obj, msg) {
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
  readonly logger: CodexLogger
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

const DEFAULT_CACHE_TTL = 300
/** getOrSet's hardTimeout when neither the call nor the cache gives one. */
export const DEFAULT_HARD_TIMEOUT_MS = 30_000
/** The largest payload a write sends unless `maxValueBytes` says otherwise. */
const DEFAULT_MAX_VALUE_BYTES = 1_048_576

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
  if (typeof logger?.warn !== 'function') throw new InvalidOptionsError('logger must have warn(obj, msg)')
  let ttl: Ttl
  try {
    ttl = resolveTtl(options.ttl === undefined ? DEFAULT_CACHE_TTL : options.ttl, null)
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

// Per-call options of the cache's methods.

export interface KeyOptions {
  /** Key version; default: the cache's `version`. */
  version?: KeyVersion
}

export interface WriteOptions extends KeyOptions {
  /** Seconds; `null` = no expiry; <= 0 = expire now. Default: the cache's `ttl`. */
  ttl?: number | null
  /** Tags to invalidate the value by, with `invalidateTags` (non-empty strings). */
  tags?: string[]
}

export const KEY_OPTION_NAMES: ReadonlySet<string> = new Set(['version'] satisfies Array<keyof KeyOptions>)
export const WRITE_OPTION_NAMES: ReadonlySet<string> = new Set(['version', 'ttl', 'tags'] satisfies Array<keyof WriteOptions>)

/** Refuses an unknown per-call option name (`tll`): a for…in allocates nothing, the did-you-mean runs only on a miss. */
export function checkOptionNames (opts: object | undefined, known: ReadonlySet<string>, where: string): void {
  if (opts === undefined || opts === null) return
  for (const name in opts) {
    if (!known.has(name)) {
      rejectUnknownOptions(opts, known, where)
      return
    }
  }
}

/** SET options for a resolved TTL (and an NX/XX condition). */
export function setOptions (ttl: Ttl, condition?: 'NX' | 'XX'): SetCommandOptions | undefined {
  if (ttl === null) return condition === undefined ? undefined : { condition }
  return condition === undefined
    ? { expiration: { type: 'PX', value: ttl } }
    : { expiration: { type: 'PX', value: ttl }, condition }
}

export interface StandaloneCacheOptions extends CacheOptions {
  /** Milliseconds after which a command fails with FST_CODEX_REDIS_UNAVAILABLE. Default 2000. */
  commandTimeout?: number
}

export interface RedisCacheOptions extends StandaloneCacheOptions {
  /** A connected @redis/client client (single node, cluster or sentinel), left open. */
  client: RedisClientLike
}

// A client has commands; the options form is a plain object naming one.
export function isOptionsObject (target: unknown): target is RedisCacheOptions {
  return typeof target === 'object' && target !== null &&
    typeof (target as { withCommandOptions?: unknown }).withCommandOptions !== 'function' && 'client' in target
}

// getOrSet's options.

export interface GetOrSetOptions {
  /** Key version; default: the cache's `version`. */
  version?: KeyVersion
  /** Seconds the value stays fresh; `null` = no expiry. Default: the cache's `ttl`. */
  ttl?: number | null
  /** Tags to invalidate the value by (non-empty strings). */
  tags?: string[]
  /** Seconds the value is kept after its ttl, to be served when a refresh fails or is slow. Default 0. */
  grace?: number
  /** Ms: with a stale value at hand, a slower refresh answers the stale value and finishes in the background. */
  timeout?: number
  /** Ms: the computation is abandoned (ctx.signal aborts); FST_CODEX_FACTORY_TIMEOUT, or the stale value. Default: the cache's `hardTimeout` (30000). */
  hardTimeout?: number
  /** Ms this caller waits for another process's computation before computing itself. Default 10000. */
  lockTimeout?: number
}

const GET_OR_SET_OPTION_NAMES: ReadonlySet<string> = new Set([
  'version', 'ttl', 'tags', 'grace', 'timeout', 'hardTimeout', 'lockTimeout'
] satisfies Array<keyof GetOrSetOptions>)

export interface Plan {
  readonly version: KeyVersion | undefined
  readonly ttl: Ttl
  readonly graceMs: number
  readonly timeout: number | undefined
  readonly hardTimeout: number
  readonly lockTimeout: number
  readonly tags: readonly string[] | undefined
}

const DEFAULT_LOCK_TIMEOUT_MS = 10_000

function milliseconds (name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_TIMER_MS)) throw new InvalidOptionsError(`${name} must be a number of ms >= 0 and <= ${MAX_TIMER_MS}, got ${describe(value)}`)
  return value
}

/** Validates one call's options (before any round trip) into what the computation and the wait use. */
export function resolvePlan (opts: GetOrSetOptions | undefined, defaults: Pick<ResolvedCacheOptions, 'ttl' | 'hardTimeout'>): Plan {
  checkOptionNames(opts, GET_OR_SET_OPTION_NAMES, 'getOrSet')
  const grace = opts?.grace ?? 0
  if (typeof grace !== 'number' || !Number.isFinite(grace) || grace < 0) throw new InvalidTtlError(`grace must be a finite number of seconds >= 0, got ${describe(grace)}`)
  return {
    version: opts?.version,
    ttl: resolveTtl(opts?.ttl, defaults.ttl),
    graceMs: Math.round(grace * 1000),
    timeout: milliseconds('timeout', opts?.timeout),
    hardTimeout: milliseconds('hardTimeout', opts?.hardTimeout) ?? defaults.hardTimeout,
    lockTimeout: milliseconds('lockTimeout', opts?.lockTimeout) ?? DEFAULT_LOCK_TIMEOUT_MS,
    tags: resolveTags(opts?.tags)
  }
}

// lock() and withLock() options.

export interface LockOptions {
  /** Seconds the lock is held unless released or extended (fractions keep millisecond precision). Required. */
  ttl: number
  /** Milliseconds to keep trying while another owner holds the lock. Default 0: one attempt. */
  wait?: number
  /** Milliseconds between attempts while waiting. Default 50 (jittered ±50 %), never more than 100. */
  retryDelay?: number
}

const LOCK_OPTION_NAMES: ReadonlySet<string> = new Set(['ttl', 'wait', 'retryDelay'] satisfies Array<keyof LockOptions>)

export interface ResolvedLockOptions {
  ttlMs: number
  wait: number
  retryDelay: number | undefined
}

/** A lock ttl in seconds → milliseconds. A lock needs an expiry (a crashed holder must not block forever): > 0 only. */
export function lockTtl (seconds: unknown): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidTtlError(`a lock's ttl must be a number of seconds > 0 (a lock needs an expiry), got ${describe(seconds)}`)
  }
  return Math.max(1, Math.round(seconds * 1000))
}

function lockMilliseconds (name: string, value: unknown, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionsError(`lock ${name} must be a finite number of milliseconds >= 0, got ${describe(value)}`)
  }
  return value
}

export function resolveLockOptions (name: unknown, options: LockOptions | undefined): ResolvedLockOptions {
  assertKey(name)
  if (typeof options !== 'object' || options === null) throw new InvalidTtlError(`a lock needs options with its ttl in seconds, got ${describe(options)}`)
  checkOptionNames(options, LOCK_OPTION_NAMES, 'lock')
  return {
    ttlMs: lockTtl(options.ttl),
    wait: lockMilliseconds('wait', options.wait, 0)!,
    retryDelay: lockMilliseconds('retryDelay', options.retryDelay, undefined)
  }
}
