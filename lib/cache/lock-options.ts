import { InvalidOptionsError, InvalidTtlError, describe } from '../errors.js'
import { assertKey } from '../keys.js'
import { checkOptionNames } from './method-options.js'

export interface LockOptions {
  /** Seconds the lock is held unless released or extended (fractions keep millisecond precision). Required. */
  ttl: number
  /** Milliseconds to keep trying while another owner holds the lock. Default 0: one attempt. */
  wait?: number
  /** Milliseconds between attempts while waiting. Default 50 (jittered ±50 %), never more than 100. */
  retryDelay?: number
}

export type WithLockOptions = LockOptions

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

function milliseconds (name: string, value: unknown, fallback: number | undefined): number | undefined {
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
    wait: milliseconds('wait', options.wait, 0)!,
    retryDelay: milliseconds('retryDelay', options.retryDelay, undefined)
  }
}
