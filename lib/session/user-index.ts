import type { RedisConnection } from '../connection/connection.js'
import { LuaScript } from '../connection/scripts.js'
import { unlinkKeys } from '../connection/unlink.js'
import { isSessionId, sessionKey, userIndexKey } from './keys.js'
import { pastAbsoluteTimeout, readablePayload, storedStamps, userIdOf, type SessionData } from './payload.js'
import type { ResolvedSessionOptions } from './options.js'

// The index must outlive its longest-lived session, never shorten it: PEXPIRE only moves the expiry out.
const INDEX_ADD = new LuaScript(`
redis.call('SADD', KEYS[1], ARGV[1])
local want = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < want then redis.call('PEXPIRE', KEYS[1], want) end
return 1`)

/**
 * The per-user index: a Redis set of session ids per user id. Sessions expire on their own and may be
 * destroyed by id, so members go stale; every read checks each member against its session payload and
 * prunes what no longer belongs, which keeps `live` and `revoke` right without keyspace notifications.
 */
export class UserIndex {
  readonly #connection: RedisConnection
  readonly #options: ResolvedSessionOptions
  readonly #userKey: string

  constructor (connection: RedisConnection, options: ResolvedSessionOptions, userKey: string) {
    this.#connection = connection
    this.#options = options
    this.#userKey = userKey
  }

  /** Records that session `id` belongs to `userId` for at least `ttlMs`. */
  async add (userId: string, id: string, ttlMs: number): Promise<void> {
    const key = userIndexKey(this.#options.prefix, userId)
    await this.#connection.run((c) => INDEX_ADD.run(c, [key], [id, String(Math.ceil(ttlMs))]))
  }

  async remove (userId: string, ids: string | string[]): Promise<void> {
    const key = userIndexKey(this.#options.prefix, userId)
    await this.#connection.run((c) => c.sRem(key, ids))
  }

  /** The user's live sessions with their payloads; stale members are removed from the index. */
  async live (userId: string): Promise<LiveSession[]> {
    const members = await this.#connection.run((c) => c.sMembers(userIndexKey(this.#options.prefix, userId)))
    const candidates = members.filter(isSessionId)
    // One GET per member, all sent at once: one round trip, and each routed to its own slot on a cluster.
    const payloads = await Promise.all(candidates.map((id) =>
      this.#connection.run((c) => c.get(sessionKey(this.#options.prefix, id)))))
    const live: LiveSession[] = []
    const stale: string[] = members.filter((id) => !isSessionId(id))
    for (const [i, id] of candidates.entries()) {
      const data = await this.#belongsTo(payloads[i] ?? null, userId)
      if (data !== undefined) live.push({ id, data })
      else stale.push(id)
    }
    if (stale.length > 0) await this.remove(userId, stale)
    return live
  }

  /** Destroys the user's live sessions that `which` picks: the number destroyed. */
  async revoke (userId: string, which: (session: LiveSession) => boolean): Promise<number> {
    const ids = (await this.live(userId)).filter(which).map((session) => session.id)
    if (ids.length === 0) return 0
    const destroyed = await unlinkKeys(this.#connection, ids.map((id) => sessionKey(this.#options.prefix, id)))
    await this.remove(userId, ids)
    return destroyed
  }

  /** The payload, when it is a session of this user's. */
  async #belongsTo (text: string | null, userId: string): Promise<SessionData | undefined> {
    // Unreadable: it loads as no session, so it is no session of this user's.
    const data = text === null ? undefined : await readablePayload(this.#options.serializer, text)
    if (data === undefined || userIdOf(data[this.#userKey]) !== userId) return undefined
    // Past its absoluteTimeout: it loads as no session either.
    return pastAbsoluteTimeout(data, this.#options.absoluteTimeoutMs, Date.now()) ? undefined : data
  }
}

/** A live session of a user: its id and stored payload. */
export interface LiveSession {
  readonly id: string
  readonly data: SessionData
}

/** What a device page shows of a session (times as epoch ms; `null` for a session stored before they were kept). */
export interface DeviceSession {
  /** Opaque, stable for the session's life: not its id, and no cookie can name a session with it. */
  handle: string
  createdAt: number | null
  /** The last write or expiry refresh: accurate to the rolling refresh interval. */
  lastSeenAt: number | null
  expiresAt: number | null
  userAgent?: string
  ip?: string
}

/** A live session as a device page shows it. */
export function deviceSession (handle: string, data: SessionData): DeviceSession {
  const { seenAt, storeExpires, meta: { createdAt, userAgent, ip } } = storedStamps(data)
  const device: DeviceSession = {
    handle,
    createdAt: createdAt ?? null,
    lastSeenAt: seenAt ?? createdAt ?? null,
    expiresAt: storeExpires ?? null
  }
  if (userAgent !== undefined) device.userAgent = userAgent
  if (ip !== undefined) device.ip = ip
  return device
}
