import type { RedisClientLike, SetCommandOptions } from '../connection/client-types.js'
import { rejectUnknownOptions } from '../known-options.js'
import type { KeyVersion } from '../keys.js'
import type { Ttl } from '../ttl.js'
import type { CacheOptions } from './options.js'

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

/**
 * Refuses a per-call option name the method does not know (`tll`): FST_CODEX_INVALID_OPTIONS. A for…in over the few
 * names given allocates nothing; the exact check (and its did-you-mean) runs only once a name is unknown.
 */
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
