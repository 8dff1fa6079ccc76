import { InvalidOptionsError } from '../errors.js'
import { assertVersion, defaultKeyFunction, type KeyFunction, type KeyVersion } from '../keys.js'
import { jsonSerializer, type Serializer } from '../serializer.js'
import { resolveDefaultTtl, type Ttl } from '../ttl.js'

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
  /**
   * getOrSet during a Redis outage: `false` (default) rejects with FST_CODEX_REDIS_UNAVAILABLE; `true` runs the
   * factory (once per key per process) and returns its result unstored.
   */
  failOpen?: boolean
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
  readonly failOpen: boolean
  readonly logger: CacheLogger
}

export const DEFAULT_CACHE_TTL = 300

export function resolveCacheOptions (options: CacheOptions): ResolvedCacheOptions {
  const { keyPrefix = '', version = 1, keyFunction = defaultKeyFunction, serializer = jsonSerializer } = options
  if (typeof keyPrefix !== 'string') throw new InvalidOptionsError('keyPrefix must be a string')
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
  return Object.freeze({ keyPrefix, version, ttl, keyFunction, serializer, failOpen, logger })
}
