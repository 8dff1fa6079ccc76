import { InvalidOptionsError, InvalidTtlError, describe } from '../errors.js'
import type { KeyVersion } from '../keys.js'
import { resolveTtl, type Ttl } from '../ttl.js'
import { checkOptionNames } from './method-options.js'
import { MAX_TIMER_MS } from './options.js'
import { resolveTags } from './tags.js'

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

export const GET_OR_SET_OPTION_NAMES: ReadonlySet<string> = new Set([
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

/** The cache-level defaults a call's options fall back to. */
export interface PlanDefaults {
  readonly ttl: Ttl
  readonly hardTimeout: number
}

/** Validates one call's options (before any round trip) into what the computation and the wait use. */
export function resolvePlan (opts: GetOrSetOptions | undefined, defaults: PlanDefaults): Plan {
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
