import type { CommandClient, ManagedClient } from '../../connection/client-types.js'
import { RedisConnection } from '../../connection/connection.js'
import { nearInvalidateChannel } from '../../observe/channels.js'
import { TrackedTwin } from './invalidations.js'
import { NearCache, type ResolvedNearCacheOptions } from './near-cache.js'

/** How often the tracking connection proves it is alive (and its invalidations are flowing). */
const PING_INTERVAL_MS = 250
/** No local copy is served unless a PING sent within this many ms has been answered on the tracking connection. */
export const STALE_AFTER_MS = 1000
// A server that refuses tracking (Redis < 6, ACL) is asked again this often, not on every heartbeat.
const REOPEN_AFTER_MS = 2000

/** The near cache's tracking connection: it reads, receives invalidations, and is pinged so a silent partition stops local answers. */
export class Tracker {
  readonly near: NearCache
  /** Keys Redis told us to drop (a flush counts the copies it dropped). */
  invalidations = 0
  readonly #cache: string
  readonly #source: RedisConnection
  #link: RedisConnection | undefined
  #twin: TrackedTwin | undefined
  #opening: Promise<void> | undefined
  #pinging = false
  #verifiedAt = -Infinity
  #closed = false
  #openedAt = -Infinity
  readonly #timer: NodeJS.Timeout

  constructor (source: RedisConnection, options: ResolvedNearCacheOptions, cache: string) {
    this.near = new NearCache(options)
    this.#cache = cache
    this.#source = source
    // unref: the heartbeat never keeps a finished process alive.
    this.#timer = setInterval(() => this.#tick(), PING_INTERVAL_MS).unref()
  }

  /** Opens the tracking connection; resolves (never rejects) once it is up or has failed for now. */
  start (): Promise<void> {
    this.#opening ??= this.#open().finally(() => { this.#opening = undefined })
    return this.#opening
  }

  /** The local copy's text if one may be served now, without a round trip. */
  lookup (fullKey: string): string | undefined {
    if (this.near.size === 0) return undefined
    const now = performance.now()
    if (now - this.#verifiedAt > STALE_AFTER_MS) {
      // Silent for too long: what we hold may have missed invalidations.
      this.near.clear()
      return undefined
    }
    return this.near.get(fullKey, now)
  }

  /** Whether a live local copy exists (for `has`). */
  holds (fullKey: string): boolean {
    return this.near.size > 0 && performance.now() - this.#verifiedAt <= STALE_AFTER_MS && this.near.has(fullKey, performance.now())
  }

  /** Reads `fullKey` from Redis on the tracking connection and keeps the reply; the plain connection while it is down. */
  read (fullKey: string): Promise<string | null> {
    const link = this.#link
    const twin = this.#twin
    // The tracking connection down or unproven: read through the user's client (nothing is kept).
    if (link === undefined || twin === undefined || performance.now() - this.#verifiedAt > STALE_AFTER_MS || (link.client as { isReady?: boolean }).isReady === false) {
      return this.#source.run((c) => c.get(fullKey))
    }
    // Pipelined in one tick: one round trip for the value and the TTL the local copy must not outlive.
    return this.near.load(fullKey, () => link.run((c) => {
      // A miss here goes to Redis: @redis/client's copy of the key may be one ours already outlived.
      twin.drop(fullKey)
      return Promise.all([c.get(fullKey), c.pTTL(fullKey)])
    }))
  }

  /** After a write through this cache: the next read goes to Redis. */
  forget (fullKey: string): void {
    this.near.invalidate(fullKey)
  }

  clear (): void {
    this.near.clear()
  }

  async close (): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    this.near.clear()
    await this.#opening
    const link = this.#link
    this.#link = undefined
    await link?.close()
  }

  async #open (): Promise<void> {
    this.#openedAt = performance.now()
    const twin = new TrackedTwin(this.#source, this.near, (key) => { this.#invalidated(key) })
    const client = twin.client
    // The twin is ours: its errors are the user's client's errors again, already reported there.
    const link = new RedisConnection({ kind: 'client', client, closeClient: true, commandTimeout: this.#source.commandTimeout }, () => {}, false)
    try {
      await link.connect()
    } catch {
      return
    }
    // Not engaged: the near cache stays off rather than serve copies nothing invalidates.
    if (this.#closed || !twin.engaged) {
      if (!twin.engaged) this.#closed = true
      await link.close()
      return
    }
    // Like the heartbeat, the twin alone never keeps a finished process alive (a RedisCache the user never closes).
    ;(client as unknown as { unref?: () => void }).unref?.()
    this.#twin = twin
    this.#link = link
    await this.#ping(link)
  }

  /** Redis says `key` changed (`null`: anything may have). */
  #invalidated (key: string | null): void {
    const keys = key === null ? this.near.size : 1
    if (key === null) this.near.clear()
    else this.near.invalidate(key)
    if (keys === 0) return
    this.invalidations += keys
    if (nearInvalidateChannel.hasSubscribers) nearInvalidateChannel.publish({ cache: this.#cache, keys })
  }

  #tick (): void {
    if (this.#closed) return
    const link = this.#link
    if (link === undefined) {
      if (performance.now() - this.#openedAt < REOPEN_AFTER_MS) return
      this.start().catch(() => {})
      return
    }
    this.#ping(link).catch(() => {})
  }

  async #ping (link: RedisConnection): Promise<void> {
    if (this.#pinging) return
    this.#pinging = true
    const sentAt = performance.now()
    try {
      // Replies arrive in order: once PONG is in, every invalidation for writes before the PING has been handled.
      await link.run(async () => {
        const targets = await link.scanTargets()
        await Promise.all(targets.map((target) => (target as CommandClient & { ping (): Promise<string> }).ping()))
      })
      if (sentAt > this.#verifiedAt) this.#verifiedAt = sentAt
    } catch {
      this.#verifiedAt = -Infinity
      this.near.clear()
      // Unanswered while the socket looks fine (a silent partition): @redis/client will not notice, so reconnect.
      if ((link.client as unknown as ManagedClient & { isReady?: boolean }).isReady === true && this.#link === link) {
        this.#link = undefined
        link.close().catch(() => {})
      }
    } finally {
      this.#pinging = false
    }
  }
}
