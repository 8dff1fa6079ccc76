import { InvalidTtlError, describe } from './errors.js'

/**
 * A resolved time to live: milliseconds > 0, `NO_EXPIRY`, or `EXPIRED` (the write becomes a delete).
 * A plain number keeps the hot path free of allocations.
 */
export type Ttl = number | null

const NO_EXPIRY = null
export const EXPIRED = 0

// setTimeout's limit: a longer delay becomes 1 ms (TimeoutOverflowWarning).
export const MAX_TIMER_MS = 2 ** 31 - 1

/** Seconds as users give them → the Redis expiry to apply. Fractions keep millisecond precision. */
export function resolveTtl (seconds: unknown, fallback: Ttl): Ttl {
  if (seconds === undefined) return fallback
  if (seconds === null) return NO_EXPIRY
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) throw new InvalidTtlError(`ttl must be null or a finite number of seconds, got ${describe(seconds)}`)
  if (seconds <= 0) return EXPIRED
  // A positive TTL under half a millisecond still means "keep it for a moment", not "delete it".
  return Math.max(1, Math.round(seconds * 1000))
}

/** PTTL's reply → seconds, `null` for no expiry, `undefined` for a missing key. */
export function secondsFromPttl (pttl: number): number | null | undefined {
  if (pttl === -2) return undefined
  if (pttl === -1) return null
  return pttl / 1000
}
