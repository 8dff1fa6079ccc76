import { InvalidKeyError, InvalidOptionsError, describe } from '../errors.js'
import type { RedisConnection } from '../connection/connection.js'
import { scanPrefix, scanPrefixBatches } from '../connection/scan.js'
import { unlinkKeys } from '../connection/unlink.js'
import type { SessionCore } from './core.js'
import { SessionCursor } from './cursor.js'
import { assertSessionId, isSessionKey, redactSessionId, sessionKey } from './keys.js'
import type { ResolvedSessionOptions } from './options.js'
import { decodePayload, pastAbsoluteTimeout, restoredCookie, userIdOf, type SessionData } from './payload.js'
import { DeviceHandles } from './handles.js'
import { deviceSession, type DeviceSession, type UserIndex } from './user-index.js'
import type { SessionStats } from '../observe/stats.js'

/** One entry of `all()`: the id beside the session, so no session field can collide with it. */
export interface StoredSession {
  id: string
  /** The payload as stored: `cookie` and fields (a rolling session's `cookie.expires` may lag its Redis TTL). */
  session: SessionData
}

/** Sessions by id and by user, outside any request: `fastify.sessions`. */
export class SessionAdmin {
  readonly #connection: RedisConnection
  readonly #options: ResolvedSessionOptions
  readonly #core: SessionCore
  readonly #users: UserIndex | undefined
  readonly #handles: DeviceHandles

  constructor (connection: RedisConnection, options: ResolvedSessionOptions, core: SessionCore, users: UserIndex | undefined) {
    this.#connection = connection
    this.#options = options
    this.#core = core
    this.#users = users
    this.#handles = new DeviceHandles(connection, options.prefix)
  }

  /** Destroys one session by id: whether it existed. A request still holding it cannot save it back. */
  async destroy (sessionId: string): Promise<boolean> {
    assertSessionId(sessionId)
    return await this.#core.destroy(sessionId)
  }

  /** The number of stored sessions (SCAN on every master; the per-user indexes are not counted). */
  async count (): Promise<number> {
    const prefix = this.#prefix('count()')
    let count = 0
    await scanPrefix(this.#connection, prefix, (keys) => {
      for (const key of keys) if (isSessionKey(prefix, key)) count++
    })
    return count
  }

  /** The same as `count()`, connect-redis's name. */
  async length (): Promise<number> {
    return await this.count()
  }

  /**
   * Ids of the stored sessions, one SCAN batch at a time on every master (bounded memory). As with any SCAN,
   * a session that exists throughout is listed at least once (rarely twice); one created or removed meanwhile may or may not be.
   */
  ids (): SessionCursor<string> {
    return new SessionCursor(() => this.#idBatches('ids()'))
  }

  /** Stored sessions with their ids, batch by batch: one pipelined round of GETs per SCAN batch; unreadable ones are logged and skipped. */
  all (): SessionCursor<StoredSession> {
    return new SessionCursor(() => this.#sessionBatches())
  }

  /**
   * Deletes every session of this namespace, and the per-user indexes with them; other keys under the prefix are
   * left alone. Batch by batch on every master (SCAN + UNLINK per slot). Returns the number of sessions deleted.
   */
  async clear (): Promise<number> {
    const prefix = this.#prefix('clear()')
    const indexPrefix = sessionKey(prefix, 'user:')
    let sessions = 0
    await scanPrefix(this.#connection, prefix, async (keys) => {
      const ours = keys.filter((key) => isSessionKey(prefix, key))
      const indexes = keys.filter((key) => key.startsWith(indexPrefix))
      const [removed] = await Promise.all([unlinkKeys(this.#connection, ours), unlinkKeys(this.#connection, indexes)])
      sessions += removed
    })
    return sessions
  }

  /**
   * The ids of the user's live sessions; with `{ details: true }`, one entry per device instead (most recently
   * seen first), with an opaque `handle` for `revoke()` in place of the id. Needs the `userKey` option.
   */
  async listUser (userId: string | number): Promise<string[]>
  async listUser (userId: string | number, options: { details: true }): Promise<DeviceSession[]>
  async listUser (userId: string | number, options?: { details?: boolean }): Promise<string[] | DeviceSession[]>
  async listUser (userId: string | number, options?: { details?: boolean }): Promise<string[] | DeviceSession[]> {
    const index = this.#index()
    const user = this.#userId(userId)
    if (options?.details !== true) return (await index.live(user)).map((session) => session.id).sort()
    const [live, handleOf] = await Promise.all([index.live(user), this.#handles.handler()])
    return live.map(({ id, data }) => deviceSession(handleOf(id), data))
      .sort((a, b) => (b.lastSeenAt ?? 0) - (a.lastSeenAt ?? 0) || (a.handle < b.handle ? -1 : 1))
  }

  /**
   * Log out everywhere: destroys every session of the user, or every one but `except` (the current device's session
   * id), and returns how many. Needs the `userKey` option.
   */
  async revokeUser (userId: string | number, options?: { except?: string }): Promise<number> {
    const except = options?.except
    return await this.#core.observer.revokeUser(async () => await this.#index().revoke(this.#userId(userId), (session) => session.id !== except))
  }

  /** Counters since the store was made: `{ loads, found, creates, updates, refreshes, destroys, errors }`. */
  stats (): SessionStats {
    return this.#core.observer.stats()
  }

  /** Ends one device's session, named by the `handle` of `listUser(userId, { details: true })`: whether it did. */
  async revoke (userId: string | number, handle: string): Promise<boolean> {
    const index = this.#index()
    const user = this.#userId(userId)
    if (typeof handle !== 'string' || handle === '') return false
    // Counted and traced as a destroy, as revokeUser is.
    return await this.#core.observer.write('destroy', async () => {
      const handleOf = await this.#handles.handler()
      return await index.revoke(user, (session) => handleOf(session.id) === handle) > 0
    })
  }

  // Without a namespace every key of the database would be a candidate: refuse rather than guess.
  #prefix (what: string): string {
    const prefix = this.#options.prefix
    if (prefix === '') throw new InvalidOptionsError(`${what} needs a projectName or keyPrefix to tell sessions from other keys`)
    return prefix
  }

  async * #idBatches (what: string): AsyncGenerator<string[]> {
    const prefix = this.#prefix(what)
    for await (const keys of scanPrefixBatches(this.#connection, prefix)) {
      const ids = keys.filter((key) => isSessionKey(prefix, key)).map((key) => key.slice(prefix.length + 1))
      if (ids.length > 0) yield ids
    }
  }

  /** Each session as get() loads it: none past its absoluteTimeout, the cookie without the store's own stamps. */
  async * #sessionBatches (): AsyncGenerator<StoredSession[]> {
    const { prefix, serializer, logger, absoluteTimeoutMs } = this.#options
    for await (const ids of this.#idBatches('all()')) {
      // One GET per id, all sent at once: one round trip, each routed to its own slot on a cluster.
      const texts = await this.#connection.run((c) => Promise.all(ids.map((id) => c.get(sessionKey(prefix, id)))))
      const now = Date.now()
      const batch: StoredSession[] = []
      for (const [i, id] of ids.entries()) {
        const text = texts[i]
        if (text === null || text === undefined) continue
        try {
          const decoded = decodePayload(serializer, text)
          const session = decoded instanceof Promise ? await decoded : decoded
          if (pastAbsoluteTimeout(session, absoluteTimeoutMs, now)) continue
          if (session.cookie !== undefined) session.cookie = restoredCookie(session.cookie)
          batch.push({ id, session })
        } catch (err) {
          logger.warn({ err, session: redactSessionId(id) }, 'fastify-codex: unreadable session payload skipped by all()')
        }
      }
      if (batch.length > 0) yield batch
    }
  }

  #index (): UserIndex {
    if (this.#users === undefined) throw new InvalidOptionsError('listUser, revoke and revokeUser need the userKey option')
    return this.#users
  }

  #userId (userId: unknown): string {
    const id = userIdOf(userId)
    if (id === undefined) throw new InvalidKeyError(`user id ${describe(userId)}`)
    return id
  }
}
