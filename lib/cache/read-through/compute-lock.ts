import { randomUUID } from 'node:crypto'
import type { CommandClient } from '../../connection/client-types.js'
import type { RedisConnection } from '../../connection/connection.js'
import { EXTEND_OWNED, RELEASE_OWNED } from '../../connection/scripts.js'

/** How long a computation's lock outlives its holder: the bound on taking over from a process that died. */
const COMPUTE_LOCK_TTL_MS = 5000
// Extended three times per TTL: a holder survives two missed extensions (a busy event loop) before losing it.
const EXTEND_EVERY_MS = Math.floor(COMPUTE_LOCK_TTL_MS / 3)

/** getOrSet's cross-process lock, apart from `lock()`: it needs no fencing token and must cost one pipelined SET NX PX. */
export class ComputeLock {
  readonly key: string
  readonly #owner = randomUUID()
  readonly #connection: RedisConnection
  #timer: NodeJS.Timeout | undefined

  constructor (connection: RedisConnection, key: string) {
    this.#connection = connection
    this.key = key
  }

  /** For use inside a pipelined batch: whether this owner now holds the lock. */
  async tryAcquire (c: CommandClient): Promise<boolean> {
    return await c.set(this.key, this.#owner, { condition: 'NX', expiration: { type: 'PX', value: COMPUTE_LOCK_TTL_MS } }) !== null
  }

  /** Keeps the lock while the factory runs (it may run longer than the lock's TTL). */
  keepAlive (): void {
    this.#timer ??= setInterval(() => {
      this.#connection.run((c) => EXTEND_OWNED.run(c, [this.key], [this.#owner, String(COMPUTE_LOCK_TTL_MS)])).catch(() => {})
    }, EXTEND_EVERY_MS).unref()
  }

  /** Stops extending and deletes the lock if this owner still holds it. */
  async release (): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#connection.run((c) => RELEASE_OWNED.run(c, [this.key], [this.#owner]))
  }
}
