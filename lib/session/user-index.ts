import type { RedisConnection } from '../connection/connection.js'
import { LuaScript } from '../connection/scripts.js'
import { unlinkKeys } from '../connection/unlink.js'
import { isSessionId, sessionKey, userIndexKey } from './keys.js'
import { decodePayload, userIdOf } from './payload.js'
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
 * prunes what no longer belongs, which keeps `list` and `revoke` right without keyspace notifications.
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

  /** The ids of the user's live sessions, sorted; stale members are removed from the index. */
  async list (userId: string): Promise<string[]> {
    const members = await this.#connection.run((c) => c.sMembers(userIndexKey(this.#options.prefix, userId)))
    const candidates = members.filter(isSessionId)
    // One GET per member, all sent at once: one round trip, and each routed to its own slot on a cluster.
    const payloads = await Promise.all(candidates.map((id) =>
      this.#connection.run((c) => c.get(sessionKey(this.#options.prefix, id)))))
    const live: string[] = []
    const stale: string[] = members.filter((id) => !isSessionId(id))
    for (const [i, id] of candidates.entries()) {
      if (await this.#belongsTo(payloads[i] ?? null, userId)) live.push(id)
      else stale.push(id)
    }
    if (stale.length > 0) await this.remove(userId, stale)
    return live.sort()
  }

  /** Destroys every live session of the user: the number destroyed. */
  async revoke (userId: string): Promise<number> {
    const ids = await this.list(userId)
    if (ids.length === 0) return 0
    const destroyed = await unlinkKeys(this.#connection, ids.map((id) => sessionKey(this.#options.prefix, id)))
    await this.remove(userId, ids)
    return destroyed
  }

  async #belongsTo (text: string | null, userId: string): Promise<boolean> {
    if (text === null) return false
    try {
      const decoded = decodePayload(this.#options.serializer, text)
      return userIdOf((decoded instanceof Promise ? await decoded : decoded)[this.#userKey]) === userId
    } catch {
      // Unreadable: it loads as no session, so it is no session of this user's.
      return false
    }
  }
}
