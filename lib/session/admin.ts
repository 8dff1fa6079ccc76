import { InvalidKeyError, InvalidOptionsError, describe } from '../errors.js'
import type { CommandClient } from '../connection/client-types.js'
import type { RedisConnection } from '../connection/connection.js'
import { prefixPattern } from '../keys.js'
import type { SessionCore } from './core.js'
import { assertSessionId, isSessionKey } from './keys.js'
import type { ResolvedSessionOptions } from './options.js'
import { userIdOf } from './payload.js'
import type { UserIndex } from './user-index.js'

// Large enough to keep round trips few, small enough that no single SCAN blocks Redis noticeably.
const SCAN_BATCH = 1000

/** Sessions by id and by user, outside any request: `fastify.sessions`. */
export class SessionAdmin {
  readonly #connection: RedisConnection
  readonly #options: ResolvedSessionOptions
  readonly #core: SessionCore
  readonly #users: UserIndex | undefined

  constructor (connection: RedisConnection, options: ResolvedSessionOptions, core: SessionCore, users: UserIndex | undefined) {
    this.#connection = connection
    this.#options = options
    this.#core = core
    this.#users = users
  }

  /** Destroys one session by id: whether it existed. A request still holding it cannot save it back. */
  async destroy (sessionId: string): Promise<boolean> {
    assertSessionId(sessionId)
    return await this.#core.destroy(sessionId)
  }

  /** The number of stored sessions (SCAN on every master; the per-user indexes are not counted). */
  async count (): Promise<number> {
    // Without a namespace every key of the database would be a candidate: refuse rather than guess.
    if (this.#options.prefix === '') throw new InvalidOptionsError('count() needs a projectName or keyPrefix to tell sessions from other keys')
    const pattern = prefixPattern(this.#options.prefix)
    const targets = await this.#connection.scanTargets()
    const counts = await Promise.all(targets.map((node) => this.#countNode(node, pattern)))
    return counts.reduce((sum, n) => sum + n, 0)
  }

  /** The ids of the user's live sessions. Needs the `userKey` option. */
  async listUser (userId: string | number): Promise<string[]> {
    return await this.#index().list(this.#userId(userId))
  }

  /** Log out everywhere: destroys every session of the user, returns how many. Needs the `userKey` option. */
  async revokeUser (userId: string | number): Promise<number> {
    return await this.#index().revoke(this.#userId(userId))
  }

  #index (): UserIndex {
    if (this.#users === undefined) throw new InvalidOptionsError('listUser and revokeUser need the userKey option')
    return this.#users
  }

  #userId (userId: unknown): string {
    const id = userIdOf(userId)
    if (id === undefined) throw new InvalidKeyError(`user id ${describe(userId)}`)
    return id
  }

  async #countNode (node: CommandClient, pattern: string): Promise<number> {
    const prefix = this.#options.prefix
    let count = 0
    let cursor = '0'
    do {
      const reply = await this.#connection.run(() => node.scan(cursor, { MATCH: pattern, COUNT: SCAN_BATCH }))
      cursor = String(reply.cursor)
      for (const key of reply.keys) if (isSessionKey(prefix, key)) count++
    } while (cursor !== '0')
    return count
  }
}
