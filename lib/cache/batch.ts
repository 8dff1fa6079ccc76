import type { RedisConnection } from '../connection/connection.js'
import type { KeyVersion } from '../keys.js'
import { groupBySlot } from '../connection/slots.js'
import { unlinkKeys } from '../connection/unlink.js'
import { EXPIRED, type Ttl } from '../ttl.js'
import { translateRedisError } from '../connection/translate-error.js'
import { RedisUnavailableError } from '../errors.js'
import { assertValueSize, decodeValue, encodeValue } from '../value-codec.js'
import type { ResolvedCacheOptions } from './options.js'
import type { JsonValue } from './json-value.js'
import type { Tracker } from './near/tracking.js'

/** Entries for `setMany`: a plain object, a Map, or any iterable of `[key, value]` pairs (values: JSON). */
export type CacheEntries<V = JsonValue> = Readonly<Record<string, V>> | ReadonlyMap<string, V> | Iterable<readonly [string, V]>

interface KeyMaker {
  readonly options: ResolvedCacheOptions
  makeKey (key: string, version?: KeyVersion): string
}

function toPairs (entries: CacheEntries<unknown>): Array<readonly [string, unknown]> {
  if (entries instanceof Map) return [...entries]
  if (typeof (entries as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return [...entries as Iterable<readonly [string, unknown]>]
  }
  return Object.entries(entries)
}

export async function getMany<T> (connection: RedisConnection, cache: KeyMaker, keys: Iterable<string>, version?: KeyVersion): Promise<Map<string, T>> {
  // A copy: a caller changing its array during the round trip cannot misalign the replies.
  const callerKeys = [...keys]
  const found = new Map<string, T>()
  if (callerKeys.length === 0) return found
  const fullKeys = callerKeys.map((key) => cache.makeKey(key, version))
  const { serializer } = cache.options
  const collect = (indexes: readonly number[] | undefined, texts: Array<string | null>): void => {
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]
      if (text !== null && text !== undefined) found.set(callerKeys[indexes === undefined ? i : indexes[i]!]!, decodeValue(serializer, text) as T)
    }
  }
  if (connection.kind !== 'cluster') {
    collect(undefined, await connection.run((c) => c.mGet(fullKeys)))
    return found
  }
  const groups = groupBySlot(callerKeys.map((_, i) => i), (i) => fullKeys[i]!)
  const replies = await connection.run((c) => Promise.all(groups.map((group) => c.mGet(group.map((i) => fullKeys[i]!)))))
  groups.forEach((group, g) => collect(group, replies[g]!))
  return found
}

/** getMany with a near cache: local copies answer, the rest are read (pipelined, one tick) on the tracking connection. */
export async function getManyNear<T> (near: Tracker, cache: KeyMaker, keys: Iterable<string>, version?: KeyVersion): Promise<Map<string, T>> {
  const callerKeys = [...keys]
  const fullKeys = callerKeys.map((key) => cache.makeKey(key, version))
  const texts = await Promise.all(fullKeys.map((fullKey) => near.lookup(fullKey) ?? near.read(fullKey)))
  const found = new Map<string, T>()
  texts.forEach((text, i) => {
    if (text !== null) found.set(callerKeys[i]!, decodeValue(cache.options.serializer, text) as T)
  })
  return found
}

export async function setMany (
  connection: RedisConnection, cache: KeyMaker, entries: CacheEntries<unknown>, ttl: Ttl, version?: KeyVersion,
  tagging?: (fullKeys: string[]) => Promise<unknown>, near?: Tracker
): Promise<string[]> {
  const pairs = toPairs(entries)
  if (pairs.length === 0) return []
  // Every key and value is checked before the first write: bad input writes nothing.
  const fullKeys = pairs.map(([key]) => cache.makeKey(key, version))
  const { serializer, maxValueBytes } = cache.options
  const texts = pairs.map(([key, value]) => {
    const text = encodeValue(serializer, value, `setMany entry ${JSON.stringify(key)}`)
    assertValueSize(text, maxValueBytes, key)
    return text
  })
  try {
    return await writeMany(connection, pairs, fullKeys, texts, ttl, tagging)
  } finally {
    for (const fullKey of fullKeys) near?.forget(fullKey)
  }
}

async function writeMany (
  connection: RedisConnection, pairs: Array<readonly [string, unknown]>, fullKeys: string[], texts: string[], ttl: Ttl,
  tagging?: (fullKeys: string[]) => Promise<unknown>
): Promise<string[]> {
  if (ttl === EXPIRED) {
    await unlinkKeys(connection, fullKeys)
    return []
  }
  const options = ttl === null ? undefined : { expiration: { type: 'PX' as const, value: ttl } }
  // Issued in one tick, @redis/client writes them as one pipeline: one round trip.
  const writing = connection.run((c) => Promise.allSettled(fullKeys.map((key, i) => c.set(key, texts[i]!, options))))
  // Same tick, same round trip; a key that then fails stays tagged, which can only over-invalidate.
  const [results] = await Promise.all([writing, tagging?.(fullKeys)])
  const failed: string[] = []
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return
    // An outage (lost connection, LOADING, READONLY…) is not a per-key failure: say so loudly.
    const err = translateRedisError(result.reason)
    if (err instanceof RedisUnavailableError) throw err
    failed.push(pairs[i]![0])
  })
  return failed
}

export async function deleteMany (connection: RedisConnection, cache: KeyMaker, keys: Iterable<string>, version?: KeyVersion, near?: Tracker): Promise<number> {
  const fullKeys = [...keys].map((key) => cache.makeKey(key, version))
  try {
    return await unlinkKeys(connection, fullKeys)
  } finally {
    for (const fullKey of fullKeys) near?.forget(fullKey)
  }
}
