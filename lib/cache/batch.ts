import { translateRedisError } from '../connection/translate-error.js'
import { RedisUnavailableError } from '../errors.js'
import type { JsonValue } from './json-value.js'

/** Entries for `setMany`: a plain object, a Map, or any iterable of `[key, value]` pairs (values: JSON). */
export type CacheEntries<V = JsonValue> = Readonly<Record<string, V>> | ReadonlyMap<string, V> | Iterable<readonly [string, V]>

export function toPairs (entries: CacheEntries<unknown>): Array<readonly [string, unknown]> {
  if (entries instanceof Map) return [...entries]
  if (typeof (entries as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return [...entries as Iterable<readonly [string, unknown]>]
  }
  return Object.entries(entries)
}

/** The caller's keys whose SET failed; an outage (lost connection, LOADING, READONLY…) is no per-key failure: it throws. */
export function failedKeys (results: ReadonlyArray<PromiseSettledResult<unknown>>, pairs: ReadonlyArray<readonly [string, unknown]>): string[] {
  const failed: string[] = []
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return
    const err = translateRedisError(result.reason)
    if (err instanceof RedisUnavailableError) throw err
    failed.push(pairs[i]![0])
  })
  return failed
}
