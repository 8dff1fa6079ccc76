import type { CommandClient } from '../connection/client-types.js'
import type { RedisConnection } from '../connection/connection.js'
import type { ResolvedNearCacheOptions } from './near/near-cache.js'
import { Tracker } from './near/tracking.js'

/**
 * How RedisCache reaches Redis with its optional near cache: reads answered in process when a copy may be served,
 * writes that drop the local copy once Redis answered. Without a near cache, every call is the plain connection's.
 */
export class NearAccess {
  /** The near cache's tracking side, or `undefined` when the cache has none. */
  readonly tracker: Tracker | undefined
  /** Resolves once the tracking connection is up (or has failed for now: it keeps retrying). */
  readonly ready: Promise<void>
  readonly #connection: RedisConnection

  constructor (connection: RedisConnection, options: ResolvedNearCacheOptions | undefined) {
    this.#connection = connection
    this.tracker = options === undefined ? undefined : new Tracker(connection, options)
    this.ready = this.tracker?.start() ?? Promise.resolve()
  }

  /** One read path for get() and getOrSet(): the local copy, else Redis (through the tracking connection). */
  async read (fullKey: string): Promise<string | null> {
    const near = this.tracker
    return near === undefined ? await this.#connection.run((c) => c.get(fullKey)) : near.lookup(fullKey) ?? await near.read(fullKey)
  }

  /** A write: once Redis answered (or failed: it may have applied it), the local copy is gone. */
  async write<T> (fullKey: string, command: (c: CommandClient) => Promise<T>): Promise<T> {
    const near = this.tracker
    if (near === undefined) return this.#connection.run(command)
    try {
      return await this.#connection.run(command)
    } finally {
      near.forget(fullKey)
    }
  }

  /** The local copy's payload text, if one may be served now (no round trip). */
  lookup (fullKey: string): string | undefined {
    return this.tracker?.lookup(fullKey)
  }

  /** Whether a live local copy exists (for `has`). */
  holds (fullKey: string): boolean {
    return this.tracker?.holds(fullKey) === true
  }

  forget (fullKey: string): void {
    this.tracker?.forget(fullKey)
  }

  clear (): void {
    this.tracker?.clear()
  }

  async close (): Promise<void> {
    await this.tracker?.close()
  }
}
