import type { RedisClientLike, SetCommandOptions } from '../connection/client-types.js'
import { RedisConnection } from '../connection/connection.js'
import { scanPrefix } from '../connection/scan.js'
import { INCR_EXISTING, PERSIST_EXISTING } from '../connection/scripts.js'
import { standaloneConnection } from '../connection/standalone.js'
import { unlinkAll } from '../connection/unlink.js'
import { ClearRefusedError, InvalidDeltaError, InvalidOptionsError, KeyNotFoundError, describe } from '../errors.js'
import { assertKey, assertVersion, type KeyVersion } from '../keys.js'
import { rejectUnknownOptions } from '../known-options.js'
import { EXPIRED, resolveTtl, secondsFromPttl, type Ttl } from '../ttl.js'
import { Batch, type CacheEntries } from './batch.js'
import { InternalKeys } from './internal-keys.js'
import type { JsonResult, JsonSafe } from './json-value.js'
import { acquireLock, runLocked, type Lock, type LockedFunction } from './locks/locks.js'
import {
  CACHE_OPTION_NAMES, checkOptionNames, isOptionsObject, KEY_OPTION_NAMES, resolveCacheOptions, resolveLockOptions, setOptions, WRITE_OPTION_NAMES,
  type GetOrSetOptions, type KeyOptions, type LockOptions, type RedisCacheOptions, type ResolvedCacheOptions, type StandaloneCacheOptions, type WriteOptions
} from './options.js'
import { Reader } from './reader.js'
import type { Factory } from './read-through/factory.js'
import { Notifier } from './read-through/notify.js'
import { ReadThrough } from './read-through/read-through.js'
import type { ManyFactory } from './read-through/many.js'
import { encodePayload, Writer } from './writer.js'
import { invalidateTags, recordTags, resolveTags } from './tags.js'
import { cacheChannel, trace, type CacheContext } from '../observe/channels.js'
import { CacheCounters, type CacheStats } from '../observe/stats.js'

// What `new RedisCache(client, options)` takes; the plugin checks its own options (connection options too).
const STANDALONE_OPTION_NAMES: ReadonlySet<string> = new Set([...CACHE_OPTION_NAMES, 'commandTimeout'])

/** Redis-backed cache with strict JSON values and namespaced, versioned keys. */
export class RedisCache {
  readonly options: ResolvedCacheOptions
  readonly #connection: RedisConnection
  // SET options for the default TTL, built once: the common call allocates no options object.
  readonly #defaultSetOptions: SetCommandOptions | undefined
  readonly #defaultAddOptions: SetCommandOptions | undefined
  readonly #reader: Reader
  readonly #writer: Writer
  /** Resolves once the near cache's tracking connection is up (or has failed for now: it keeps retrying). */
  readonly nearCacheReady: Promise<void>
  readonly #keys: InternalKeys
  readonly #notifier: Notifier
  readonly #readThrough: ReadThrough
  readonly #counters = new CacheCounters()
  readonly #batch: Batch

  /**
   * `new RedisCache(client, options?)` or `new RedisCache({ client, ...options })`: a connected @redis/client
   * client, left open (closing it stays yours); `commandTimeout` defaults to 2000 ms. The plugins pass a RedisConnection.
   */
  constructor (target: RedisClientLike | RedisConnection | RedisCacheOptions, options: StandaloneCacheOptions = {}) {
    if (target instanceof RedisConnection) {
      this.options = resolveCacheOptions(options)
      this.#connection = target
    } else {
      const { client, ...rest } = isOptionsObject(target) ? target : { ...options, client: target }
      if (typeof client !== 'object' || client === null) throw new InvalidOptionsError('RedisCache needs a connected @redis/client client')
      rejectUnknownOptions(rest, STANDALONE_OPTION_NAMES, 'RedisCache')
      this.options = resolveCacheOptions(rest)
      this.#connection = standaloneConnection(client, rest.commandTimeout)
    }
    this.#defaultSetOptions = setOptions(this.options.ttl)
    this.#defaultAddOptions = setOptions(this.options.ttl, 'NX')
    this.#reader = new Reader(this.#connection, this.options.serializer, this.options.nearCache, this.options.keyPrefix)
    this.#writer = new Writer(this.#connection, this.#reader)
    this.nearCacheReady = this.#reader.ready
    this.#keys = new InternalKeys(this.options.keyPrefix)
    this.#notifier = new Notifier(this.#connection, this.#keys.channel)
    // What getOrSet and the multi-key methods share with the rest of the cache: one read path, one write path.
    const parts = {
      connection: this.#connection,
      options: this.options,
      makeKey: (key: string, version?: KeyVersion) => this.makeKey(key, version),
      reader: this.#reader,
      writer: this.#writer,
      keys: this.#keys,
      notifier: this.#notifier,
      counters: this.#counters
    }
    this.#readThrough = new ReadThrough(parts)
    this.#batch = new Batch(parts)
  }

  /** Read counters since this cache was made (no setup; see docs/observability.md). */
  stats (): CacheStats {
    const { hits, misses, stale, computed, collapsed, errors } = this.#counters
    const tracker = this.#reader.near
    return {
      hits,
      misses,
      stale,
      computed,
      collapsed,
      errors,
      near: { hits: this.#reader.nearHits, entries: tracker?.near.size ?? 0, invalidations: tracker?.invalidations ?? 0 }
    }
  }

  /** Runs `run` traced on `fastify-codex:cache` (called only while someone subscribes). */
  #trace<T> (operation: string, key: string | undefined, run: (ctx: CacheContext) => Promise<T>): Promise<T> {
    const ctx: CacheContext = { cache: this.options.keyPrefix, operation }
    if (key !== undefined) ctx.key = key
    return trace(cacheChannel, ctx, () => run(ctx))
  }

  /** The full Redis key for `key`. */
  makeKey (key: string, version?: KeyVersion): string {
    assertKey(key)
    if (version !== undefined) assertVersion(version)
    const { keyFunction, keyPrefix } = this.options
    const full = keyFunction(key, keyPrefix, version ?? this.options.version)
    assertKey(full)
    return full
  }

  /** The stored value, or `undefined` when the key is missing (a stored `null` is `null`). */
  get<T = unknown> (key: string, opts?: KeyOptions): Promise<T | undefined> {
    return cacheChannel.hasSubscribers ? this.#trace('get', key, (ctx) => this.#get<T>(key, opts, ctx)) : this.#get<T>(key, opts, undefined)
  }

  async #get<T> (key: string, opts: KeyOptions | undefined, ctx: CacheContext | undefined): Promise<T | undefined> {
    try {
      const reader = this.#reader
      const nearHits = reader.nearHits
      const pending = reader.text(this.makeKey(key, opts?.version))
      const near = reader.nearHits !== nearHits
      const text = await pending
      this.#counted(text !== null, near, ctx)
      return text === null ? undefined : reader.parse(text) as T
    } catch (err) {
      this.#counters.errors++
      throw err
    }
  }

  /** Stores `value` (strict JSON: the compiler refuses a Date, Map, bigint…; cast to `any` for a custom serializer). */
  set<T> (key: string, value: T & JsonSafe<T>, opts?: WriteOptions): Promise<void> {
    return cacheChannel.hasSubscribers ? this.#trace('set', key, () => this.#set(key, value, opts)) : this.#set(key, value, opts)
  }

  // Not async: a plain set is the deadline's own promise, with no frame or promise of ours around it.
  #set (key: string, value: unknown, opts: WriteOptions | undefined): Promise<void> {
    try {
      checkOptionNames(opts, WRITE_OPTION_NAMES, 'set')
      const fullKey = this.makeKey(key, opts?.version)
      const ttl = resolveTtl(opts?.ttl, this.options.ttl)
      const text = encodePayload(this.options, key, value)
      if (ttl === EXPIRED) return this.#writer.write(fullKey, (c) => c.unlink(fullKey), true)
      const options = opts?.ttl === undefined ? this.#defaultSetOptions : setOptions(ttl)
      const tags = resolveTags(opts?.tags)
      if (tags === undefined) return this.#writer.write(fullKey, (c) => c.set(fullKey, text, options), true)
      return this.#setTagged(fullKey, text, options, ttl, tags)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  async #setTagged (fullKey: string, text: string, options: SetCommandOptions | undefined, ttl: Ttl, tags: readonly string[]): Promise<void> {
    // Issued in one tick: the value and its tag entries go out in one round trip.
    await Promise.all([
      this.#writer.write(fullKey, (c) => c.set(fullKey, text, options)),
      recordTags(this.#connection, this.#keys, tags, [{ fullKey, lifetime: ttl }])
    ])
  }

  /** Stores only if the key is absent, atomically (one SET NX with its expiry): `true` if stored. */
  add<T> (key: string, value: T & JsonSafe<T>, opts?: WriteOptions): Promise<boolean> {
    return cacheChannel.hasSubscribers ? this.#trace('add', key, () => this.#add(key, value, opts)) : this.#add(key, value, opts)
  }

  async #add (key: string, value: unknown, opts: WriteOptions | undefined): Promise<boolean> {
    checkOptionNames(opts, WRITE_OPTION_NAMES, 'add')
    const fullKey = this.makeKey(key, opts?.version)
    const ttl = resolveTtl(opts?.ttl, this.options.ttl)
    const text = encodePayload(this.options, key, value)
    if (ttl === EXPIRED) return false
    const options = opts?.ttl === undefined ? this.#defaultAddOptions : setOptions(ttl, 'NX')
    const tags = resolveTags(opts?.tags)
    const added = await this.#writer.write(fullKey, (c) => c.set(fullKey, text, options)) !== null
    // Tagged only once we know the value is ours: tagging someone else's value would over-invalidate it.
    if (added && tags !== undefined) await recordTags(this.#connection, this.#keys, tags, [{ fullKey, lifetime: ttl }])
    return added
  }

  /** Whether a key was removed. */
  delete (key: string, opts?: KeyOptions): Promise<boolean> {
    return cacheChannel.hasSubscribers ? this.#trace('delete', key, () => this.#delete(key, opts)) : this.#delete(key, opts)
  }

  async #delete (key: string, opts: KeyOptions | undefined): Promise<boolean> {
    checkOptionNames(opts, KEY_OPTION_NAMES, 'delete')
    const fullKey = this.makeKey(key, opts?.version)
    return await this.#writer.write(fullKey, (c) => c.unlink(fullKey)) > 0
  }

  has (key: string, opts?: KeyOptions): Promise<boolean> {
    return cacheChannel.hasSubscribers ? this.#trace('has', key, (ctx) => this.#has(key, opts, ctx)) : this.#has(key, opts, undefined)
  }

  async #has (key: string, opts: KeyOptions | undefined, ctx: CacheContext | undefined): Promise<boolean> {
    try {
      const fullKey = this.makeKey(key, opts?.version)
      const near = this.#reader.holds(fullKey)
      const found = near || await this.#connection.run((c) => c.exists(fullKey)) > 0
      this.#counted(found, near, ctx)
      return found
    } catch (err) {
      this.#counters.errors++
      throw err
    }
  }

  /** Counts a read of one key as a hit or a miss, and labels its trace (`layer`: near cache or Redis). */
  #counted (found: boolean, near: boolean, ctx: CacheContext | undefined): void {
    if (found) this.#counters.hits++
    else this.#counters.misses++
    if (ctx === undefined) return
    ctx.outcome = found ? 'hit' : 'miss'
    if (found) ctx.layer = near ? 'near' : 'redis'
  }

  /** Re-applies a TTL (the default when omitted); whether the key existed. */
  touch (key: string, opts?: WriteOptions): Promise<boolean> {
    return cacheChannel.hasSubscribers ? this.#trace('touch', key, () => this.#touch(key, opts)) : this.#touch(key, opts)
  }

  async #touch (key: string, opts: WriteOptions | undefined): Promise<boolean> {
    checkOptionNames(opts, WRITE_OPTION_NAMES, 'touch')
    const fullKey = this.makeKey(key, opts?.version)
    const ttl = resolveTtl(opts?.ttl, this.options.ttl)
    // The local copy's lifetime came from the old TTL: it goes too.
    if (ttl === EXPIRED) return await this.#writer.write(fullKey, (c) => c.unlink(fullKey)) > 0
    if (ttl === null) return await this.#writer.write(fullKey, (c) => PERSIST_EXISTING.run(c, [fullKey], [])) === 1
    return await this.#writer.write(fullKey, (c) => c.pExpire(fullKey, ttl)) === 1
  }

  /** Seconds left, `null` for no expiry, `undefined` for a missing key. */
  ttl (key: string, opts?: KeyOptions): Promise<number | null | undefined> {
    return cacheChannel.hasSubscribers ? this.#trace('ttl', key, () => this.#ttl(key, opts)) : this.#ttl(key, opts)
  }

  async #ttl (key: string, opts: KeyOptions | undefined): Promise<number | null | undefined> {
    const fullKey = this.makeKey(key, opts?.version)
    return secondsFromPttl(await this.#connection.run((c) => c.pTTL(fullKey)))
  }

  /** Adds `delta` atomically, keeping the key's TTL; a missing key is an error and is not created. */
  incr (key: string, delta = 1, opts?: KeyOptions): Promise<number> {
    return cacheChannel.hasSubscribers ? this.#trace('incr', key, () => this.#incr(key, delta, opts)) : this.#incr(key, delta, opts)
  }

  async #incr (key: string, delta: number, opts: KeyOptions | undefined): Promise<number> {
    checkOptionNames(opts, KEY_OPTION_NAMES, 'incr')
    const fullKey = this.makeKey(key, opts?.version)
    if (!Number.isSafeInteger(delta)) throw new InvalidDeltaError(describe(delta))
    const reply = await this.#writer.write(fullKey, (c) => INCR_EXISTING.run(c, [fullKey], [String(delta)]))
    // The caller's key, never the full Redis key: this message can reach HTTP clients.
    if (reply === null) throw new KeyNotFoundError(JSON.stringify(key))
    return Number(reply)
  }

  decr (key: string, delta = 1, opts?: KeyOptions): Promise<number> {
    return cacheChannel.hasSubscribers ? this.#trace('decr', key, () => this.#decr(key, delta, opts)) : this.#decr(key, delta, opts)
  }

  async #decr (key: string, delta: number, opts: KeyOptions | undefined): Promise<number> {
    if (!Number.isSafeInteger(delta)) throw new InvalidDeltaError(describe(delta))
    return await this.#incr(key, -delta, opts)
  }

  /** Found keys only, keyed by the caller's key: one MGET (per hash slot on a cluster). */
  getMany<T = unknown> (keys: Iterable<string>, opts?: KeyOptions): Promise<Map<string, T>> {
    return cacheChannel.hasSubscribers ? this.#trace('getMany', undefined, (ctx) => this.#batch.getMany<T>(keys, opts, ctx)) : this.#batch.getMany<T>(keys, opts, undefined)
  }

  /** Writes every entry in one round trip after serializing them all; returns the keys that failed. */
  async setMany<T> (entries: Readonly<Record<string, T & JsonSafe<T>>>, opts?: WriteOptions): Promise<string[]>
  async setMany<T> (entries: ReadonlyMap<string, T & JsonSafe<T>>, opts?: WriteOptions): Promise<string[]>
  // Pairs are inferred one by one: `[['a', 1], ['b', 'x']]` mixes value types.
  async setMany<P extends readonly [string, unknown]> (entries: Iterable<P & readonly [string, JsonSafe<P[1]>]>, opts?: WriteOptions): Promise<string[]>
  async setMany (entries: CacheEntries, opts?: WriteOptions): Promise<string[]>
  setMany (entries: CacheEntries<unknown>, opts?: WriteOptions): Promise<string[]> {
    return cacheChannel.hasSubscribers ? this.#trace('setMany', undefined, (ctx) => this.#batch.setMany(entries, opts, ctx)) : this.#batch.setMany(entries, opts, undefined)
  }

  /** Number of keys removed. */
  deleteMany (keys: Iterable<string>, opts?: KeyOptions): Promise<number> {
    return cacheChannel.hasSubscribers ? this.#trace('deleteMany', undefined, (ctx) => this.#batch.deleteMany(keys, opts, ctx)) : this.#batch.deleteMany(keys, opts, undefined)
  }

  /** Removes every key under `keyPrefix:` (SCAN + UNLINK, every master); never FLUSHDB. */
  clear (): Promise<number> {
    return cacheChannel.hasSubscribers ? this.#trace('clear', undefined, () => this.#clear()) : this.#clear()
  }

  async #clear (): Promise<number> {
    const { keyPrefix } = this.options
    if (keyPrefix === '') throw new ClearRefusedError()
    let removed = 0
    await this.#writer.writeAll(() => scanPrefix(this.#connection, keyPrefix, async (keys) => {
      // Read the total after the await: masters are scanned concurrently.
      const count = await this.#connection.run(unlinkAll(this.#connection, keys))
      removed += count
    }))
    return removed
  }

  /**
   * The cached value, or `factory(ctx)`'s result stored as `set` would store it: computed once per key across every
   * process sharing the Redis. Options: `ttl`, `version`, `tags`, `grace`, `timeout`, `hardTimeout`, `lockTimeout`.
   */
  getOrSet<T> (key: string, factory: Factory<T> & NoInfer<JsonResult<T, 'getOrSet'>>, opts?: GetOrSetOptions): Promise<T> {
    // Not async: the inner call is, and a hit on a hot key must not pay a second promise.
    if (!cacheChannel.hasSubscribers) return this.#readThrough.getOrSet<T>(key, factory, opts, undefined)
    return this.#trace('getOrSet', key, (ctx) => this.#readThrough.getOrSet<T>(key, factory, opts, ctx))
  }

  /**
   * The cached values of `keys` (one MGET), the missing ones computed by one `factory(missingKeys, ctx)` call that
   * returns a Map or plain object of their values; each key is still computed once across every process. Keys the
   * factory leaves out are neither stored nor returned. Options as getOrSet's.
   */
  getOrSetMany<T> (keys: Iterable<string>, factory: ManyFactory<T> & ManyFactory<JsonSafe<NoInfer<T>>>, opts?: GetOrSetOptions): Promise<Map<string, T>> {
    return cacheChannel.hasSubscribers
      ? this.#trace('getOrSetMany', undefined, (ctx) => this.#readThrough.getOrSetMany<T>(keys, factory, opts, ctx))
      : this.#readThrough.getOrSetMany<T>(keys, factory, opts, undefined)
  }

  /** Once resolved, no read in any process returns a value written with one of `tags` before the call. */
  invalidateTags (tags: string[]): Promise<void> {
    return cacheChannel.hasSubscribers ? this.#trace('invalidateTags', undefined, () => this.#invalidateTags(tags)) : this.#invalidateTags(tags)
  }

  async #invalidateTags (tags: string[]): Promise<void> {
    // Other processes' copies go with Redis's invalidation of the deleted keys; ours go once it is done.
    await this.#writer.writeAll(() => invalidateTags(this.#connection, this.#keys, tags))
  }

  /** Closes what the cache opened itself (near-cache tracking, getOrSet's subscriber); the Redis client is left as it is. */
  async close (): Promise<void> {
    await Promise.all([this.#reader.close(), this.#notifier.close()])
  }

  /** Takes lock `name` for `ttl` seconds, trying for up to `wait` ms: a Lock, or `null` if another owner kept it. */
  async lock (name: string, options: LockOptions): Promise<Lock | null> {
    const resolved = resolveLockOptions(name, options)
    return acquireLock(this.#connection, this.#keys.lock(name), name, resolved, this.options.keyPrefix)
  }

  /**
   * Runs `fn` holding lock `name`, extended while it runs and released when it settles; `signal` aborts with
   * FST_CODEX_LOCK_LOST if the lock could not be kept. Not acquired within `wait`: FST_CODEX_LOCK_BUSY.
   */
  async withLock<T> (name: string, fn: LockedFunction<T>, options: LockOptions): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidOptionsError('withLock needs a function to run')
    return runLocked(await this.lock(name, options), name, fn)
  }
}
