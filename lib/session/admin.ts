import { InvalidKeyError, InvalidOptionsError, describe } from '../errors.js'
import type { RedisConnection } from '../connection/connection.js'
import { scanPrefix } from '../scan.js'
import type { SessionCore } from './core.js'
import { assertSessionId, isSessionKey } from './keys.js'
import type { ResolvedSessionOptions } from './options.js'
import { userIdOf } from './payload.js'
import type { UserIndex } from './user-index.js'

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
    const prefix = this.#options.prefix
    // Without a namespace every key of the database would be a candidate: refuse rather than guess.
    if (prefix === '') throw new InvalidOptionsError('count() needs a projectName or keyPrefix to tell sessions from other keys')
    let count = 0
    await scanPrefix(this.#connection, prefix, (keys) => {
      for (const key of keys) if (isSessionKey(prefix, key)) count++
    })
    return count
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
}
