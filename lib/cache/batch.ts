import type { RedisConnection } from '../connection/connection.js'
import { translateRedisError } from '../connection/translate-error.js'
import { unlinkAll } from '../connection/unlink.js'
import { RedisUnavailableError } from '../errors.js'
import type { KeyVersion } from '../keys.js'
import type { CacheContext } from '../observe/channels.js'
import type { CacheCounters } from '../observe/stats.js'
import { EXPIRED, resolveTtl } from '../ttl.js'
import type { InternalKeys } from './internal-keys.js'
import type { JsonValue } from './json-value.js'
import { checkOptionNames, KEY_OPTION_NAMES, setOptions, WRITE_OPTION_NAMES, type KeyOptions, type ResolvedCacheOptions, type WriteOptions } from './options.js'
import type { Reader } from './reader.js'
import { recordTags, resolveTags } from './tags.js'
import { encodePayload, type Writer } from './writer.js'

/** Entries for `setMany`: a plain object, a Map, or any iterable of `[key, value]` pairs (values: JSON). */
export type CacheEntries<V = JsonValue> = Readonly<Record<string, V>> | ReadonlyMap<string, V> | Iterable<readonly [string, V]>

function toPairs (entries: CacheEntries<unknown>): Array<readonly [string, unknown]> {
  if (typeof (entries as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return [...entries as Iterable<readonly [string, unknown]>]
  }
  return Object.entries(entries)
}

/** The caller's keys whose SET failed; an outage (lost connection, LOADING, READONLY…) is no per-key failure: it throws. */
function failedKeys (results: ReadonlyArray<PromiseSettledResult<unknown>>, pairs: ReadonlyArray<readonly [string, unknown]>): string[] {
  const failed: string[] = []
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return
    const err = translateRedisError(result.reason)
    if (err instanceof RedisUnavailableError) throw err
    failed.push(pairs[i]![0])
  })
  return failed
}

/** What the multi-key methods use of their RedisCache: they read through `reader` and write through `writer`, as `get` and `set` do. */
export interface BatchParts {
  readonly connection: RedisConnection
  readonly options: ResolvedCacheOptions
  makeKey (key: string, version?: KeyVersion): string
  readonly reader: Reader
  readonly writer: Writer
  readonly keys: InternalKeys
  readonly counters: CacheCounters
}

/** `getMany`, `setMany` and `deleteMany`: one round trip each (one MGET or pipeline per hash slot on a cluster). */
export class Batch {
  readonly #parts: BatchParts

  constructor (parts: BatchParts) {
    this.#parts = parts
  }

  async getMany<T> (keys: Iterable<string>, opts: KeyOptions | undefined, ctx: CacheContext | undefined): Promise<Map<string, T>> {
    // A copy: a caller changing its array during the round trip cannot misalign the replies.
    const callerKeys = [...keys]
    if (ctx !== undefined) ctx.keys = callerKeys.length
    if (callerKeys.length === 0) return new Map()
    const { reader, counters } = this.#parts
    let found: Map<string, T>
    try {
      found = reader.found(callerKeys, await reader.texts(callerKeys.map((key) => this.#parts.makeKey(key, opts?.version))))
    } catch (err) {
      counters.errors++
      throw err
    }
    counters.hits += found.size
    counters.misses += callerKeys.length - found.size
    return found
  }

  async setMany (entries: CacheEntries<unknown>, opts: WriteOptions | undefined, ctx: CacheContext | undefined): Promise<string[]> {
    checkOptionNames(opts, WRITE_OPTION_NAMES, 'setMany')
    const ttl = resolveTtl(opts?.ttl, this.#parts.options.ttl)
    const tags = resolveTags(opts?.tags)
    const pairs = toPairs(entries)
    if (ctx !== undefined) ctx.keys = pairs.length
    if (pairs.length === 0) return []
    // Every key and value is checked before the first write: bad input writes nothing.
    const fullKeys = pairs.map(([key]) => this.#parts.makeKey(key, opts?.version))
    const texts = pairs.map(([key, value]) => encodePayload(this.#parts.options, key, value, `setMany entry ${JSON.stringify(key)}`))
    if (ttl === EXPIRED) {
      await this.#parts.writer.write(fullKeys, unlinkAll(this.#parts.connection, fullKeys))
      return []
    }
    const options = setOptions(ttl)
    // Issued in one tick, @redis/client pipelines them: one round trip. A key that then fails stays tagged (over-invalidates only).
    const [results] = await Promise.all([
      this.#parts.writer.write(fullKeys, (c) => Promise.allSettled(fullKeys.map((key, i) => c.set(key, texts[i]!, options)))),
      tags === undefined ? undefined : recordTags(this.#parts.connection, this.#parts.keys, tags, fullKeys.map((fullKey) => ({ fullKey, lifetime: ttl })))
    ])
    return failedKeys(results, pairs)
  }

  async deleteMany (keys: Iterable<string>, opts: KeyOptions | undefined, ctx: CacheContext | undefined): Promise<number> {
    checkOptionNames(opts, KEY_OPTION_NAMES, 'deleteMany')
    const fullKeys = [...keys].map((key) => this.#parts.makeKey(key, opts?.version))
    if (ctx !== undefined) ctx.keys = fullKeys.length
    return fullKeys.length === 0 ? 0 : await this.#parts.writer.write(fullKeys, unlinkAll(this.#parts.connection, fullKeys))
  }
}
