import { BasicPooledClientSideCache } from '@redis/client'
import type { RedisClientLike } from '../../connection/client-types.js'
import type { RedisConnection } from '../../connection/connection.js'

/** `key` changed in Redis, or `null`: everything may have (flush, new connection, lost connection). */
type Invalidated = (key: string | null) => void

/**
 * The one place fastify-codex meets @redis/client's client-side caching. Documented: the `clientSideCache` option
 * with a `BasicPooledClientSideCache` we construct, its `invalidate(key)` and `clear()`. Not documented: the
 * `'invalidate'` event that cache emits for each server push; it is read on our own instance only, and
 * test/integration/near-cache.test.ts ("the @redis/client seam") fails if an upgrade stops it.
 */
const INVALIDATE_EVENT = 'invalidate'

// Documented lifecycle events (client, cluster node-*, sentinel): each may mean tracking state new or gone, so nothing kept is trusted.
const LIFECYCLE_EVENTS = ['connect', 'ready', 'end', 'error', 'reconnecting',
  'node-connect', 'node-ready', 'node-error', 'node-reconnecting', 'node-disconnect',
  'client-error', 'topology-change'] as const

interface Duplicable { duplicate (overrides: object): RedisClientLike }
interface Emitter { on (event: string, listener: (...args: unknown[]) => void): unknown }

/** A RESP3 twin of the user's client (same servers, credentials, topology) whose reads Redis tracks. */
export class TrackedTwin {
  readonly client: RedisClientLike
  readonly #cache: BasicPooledClientSideCache
  #echo = false

  constructor (source: RedisConnection, options: { maxEntries: number, ttl: number | null }, invalidated: Invalidated) {
    // Same bounds as ours: @redis/client keeps its own copy of each tracked reply, never more than we do.
    this.#cache = new BasicPooledClientSideCache({ maxEntries: options.maxEntries, ttl: options.ttl ?? 0, recordStats: false })
    ;(this.#cache as unknown as Emitter).on(INVALIDATE_EVENT, (key) => {
      if (!this.#echo) invalidated(key === null || key === undefined ? null : String(key))
    })
    const overrides = { RESP: 3, clientSideCache: this.#cache }
    // Offline, fail at once: a read must not wait in a queue for a connection that lost its tracking.
    this.client = (source.client as unknown as Duplicable).duplicate(source.topology === 'single' ? { ...overrides, disableOfflineQueue: true } : overrides)
    for (const event of LIFECYCLE_EVENTS) (this.client as unknown as Emitter).on(event, () => { invalidated(null) })
  }

  /** Whether the twin tracks through our cache: a client of another @redis/client copy (the `redis` package bundles one) does not. */
  get engaged (): boolean {
    return (this.client as { clientSideCache?: unknown }).clientSideCache === this.#cache
  }

  /** Before a read we mean to send to Redis: @redis/client must not answer it from its copy (ours decided it is stale). */
  drop (key: string): void {
    this.#echo = true
    try {
      this.#cache.invalidate(key)
    } finally {
      this.#echo = false
    }
  }
}
