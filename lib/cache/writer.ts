import type { CommandClient } from '../connection/client-types.js'
import type { RedisConnection } from '../connection/connection.js'
import { assertValueSize, encodeValue } from '../value-codec.js'
import type { Tracker } from './near/tracking.js'
import type { ResolvedCacheOptions } from './options.js'
import type { Reader } from './reader.js'

/** Every write: shared reads are detached first, and local copies go once Redis answered (or failed: it may have applied it). */
export class Writer {
  readonly #connection: RedisConnection
  readonly #reader: Reader

  constructor (connection: RedisConnection, reader: Reader) {
    this.#connection = connection
    this.#reader = reader
  }

  /** One command (or pipelined batch) writing `keys`; `discard`: resolves `undefined`, not the reply. */
  write<T> (keys: string | readonly string[], command: (c: CommandClient) => Promise<T>): Promise<T>
  write (keys: string | readonly string[], command: (c: CommandClient) => Promise<unknown>, discard: true): Promise<void>
  write<T> (keys: string | readonly string[], command: (c: CommandClient) => Promise<T>, discard?: true): Promise<T | void> {
    this.#reader.detach()
    const near = this.#reader.near
    const reply: Promise<T | void> = discard === true ? this.#connection.run(command, true) : this.#connection.run(command)
    // Not async: without a near cache a write is the command's own promise, no frame around it.
    if (near === undefined) return reply
    return this.#forgetAfter(keys, reply, near)
  }

  /** A write whose keys are not known up front (clear, invalidateTags): every local copy goes. */
  async writeAll<T> (operation: () => Promise<T>): Promise<T> {
    this.#reader.detach()
    try {
      return await operation()
    } finally {
      this.#reader.near?.clear()
    }
  }

  async #forgetAfter<T> (keys: string | readonly string[], reply: Promise<T>, near: Tracker): Promise<T> {
    try {
      return await reply
    } finally {
      if (typeof keys === 'string') near.forget(keys)
      else for (const key of keys) near.forget(key)
    }
  }
}

/** The payload of `key`'s value as every write checks it: strict JSON within maxValueBytes, else an error and nothing sent. */
export function encodePayload (options: ResolvedCacheOptions, key: string, value: unknown, root?: string): string {
  const text = encodeValue(options.serializer, value, root)
  assertValueSize(text, options.maxValueBytes, key)
  return text
}
