import type { RedisConnection } from '../../connection/connection.js'
import { EXTEND_OWNED, LOCK_RELEASE } from '../../connection/scripts.js'
import { lockTtl } from '../lock-options.js'

// A released lock's key keeps its last token this long, so the next token is last + 1 even if the Redis clock
// stepped back meanwhile; after that (or after clear()), tokens come from the clock in µs.
export const TOKEN_MEMORY_MS = 3_600_000
const TOKEN_MEMORY = String(TOKEN_MEMORY_MS)

/** A held lock: only this object can release or extend it (its owner id is compared in Redis, atomically). */
export class Lock {
  /** Fencing token: greater than the token of every earlier acquisition of this name. Pass it to the resource you guard. */
  readonly token: number
  readonly #connection: RedisConnection
  readonly #key: string
  readonly #owner: string
  readonly #ttlMs: number

  /** @internal Made by `RedisCache.lock()`. */
  constructor (readonly name: string, token: number, connection: RedisConnection, key: string, owner: string, ttlMs: number) {
    this.token = token
    this.#connection = connection
    this.#key = key
    this.#owner = owner
    this.#ttlMs = ttlMs
  }

  /** Frees the lock; `false` (and nothing touched) if it had expired, or was released or taken over. */
  async release (): Promise<boolean> {
    const args = [this.#owner, String(this.token), TOKEN_MEMORY]
    return await this.#connection.run((c) => LOCK_RELEASE.run(c, [this.#key], args)) === 1
  }

  /** Gives the lock `ttl` seconds from now (default: the ttl it was taken with); `false` if it is no longer held. */
  async extend (ttl?: number): Promise<boolean> {
    const ms = ttl === undefined ? this.#ttlMs : lockTtl(ttl)
    return await this.#connection.run((c) => EXTEND_OWNED.run(c, [this.#key], [this.#owner, String(ms)])) === 1
  }

  /** The ttl in ms it was taken with. @internal */
  get ttlMs (): number {
    return this.#ttlMs
  }
}
