import { createHmac, randomBytes } from 'node:crypto'
import type { RedisConnection } from '../connection/connection.js'
import { sessionKey } from './keys.js'

/**
 * Device handles: an HMAC of the session id under a random key kept in Redis, so every process of the app gives a
 * session the same handle, and a handle (shown in a page) reveals nothing that names the session, even for
 * guessable ids. The key sits two segments below the prefix, where no session id can be.
 */
export class DeviceHandles {
  readonly #connection: RedisConnection
  readonly #key: string
  #secret: Promise<string> | undefined

  constructor (connection: RedisConnection, prefix: string) {
    this.#connection = connection
    this.#key = sessionKey(prefix, 'handles:key')
  }

  /** A function from session id to its handle. */
  async handler (): Promise<(id: string) => string> {
    this.#secret ??= this.#fetch().catch((err: unknown) => {
      // Not cached: the next call asks Redis again.
      this.#secret = undefined
      throw err
    })
    const secret = await this.#secret
    return (id) => createHmac('sha256', secret).update(id).digest('base64url').slice(0, 22)
  }

  async #fetch (): Promise<string> {
    const key = this.#key
    // NX: the first process to ask picks the key; every other one reads that one.
    await this.#connection.run((c) => c.set(key, randomBytes(32).toString('base64url'), { condition: 'NX' }))
    const secret = await this.#connection.run((c) => c.get(key))
    if (secret === null) return await this.#fetch()
    return secret
  }
}
