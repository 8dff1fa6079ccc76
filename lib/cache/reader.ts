import type { RedisConnection } from '../connection/connection.js'
import { groupBySlot } from '../connection/slots.js'
import { jsonSerializer, type Serializer } from '../serializer.js'
import { decodeValue } from '../value-codec.js'
import type { ResolvedNearCacheOptions } from './near/near-cache.js'
import { Tracker } from './near/tracking.js'

/** Every read of a value: a near copy or a GET; getOrSet's callers share one in-flight read, which a write detaches. */
export class Reader {
  /** The near cache's tracking side, or `undefined` when the cache has none. */
  readonly near: Tracker | undefined
  /** Resolves once the tracking connection is up (or has failed for now: it keeps retrying). */
  readonly ready: Promise<void>
  readonly #connection: RedisConnection
  readonly #serializer: Serializer
  readonly #shared = new Map<string, SharedRead>()
  /** Values parsed from near copies (default serializer): a near hit deep-copies one instead of parsing again. */
  readonly #parsed: ParsedCopies | undefined
  #writes = 0
  /** Reads the near cache answered (stats, and `layer` of a traced hit: read before and after a call). */
  nearHits = 0

  /** `cache`: the keyPrefix, for the near cache's invalidation events. */
  constructor (connection: RedisConnection, serializer: Serializer, near: ResolvedNearCacheOptions | undefined, cache: string) {
    this.#connection = connection
    this.#serializer = serializer
    this.near = near === undefined ? undefined : new Tracker(connection, near, cache)
    this.#parsed = near === undefined || serializer !== jsonSerializer ? undefined : new ParsedCopies(near.maxEntries)
    this.ready = this.near?.start() ?? Promise.resolve()
  }

  /** The stored text of one key, `null` if missing. Not async: a near hit costs no round trip and no extra promise. */
  text (fullKey: string): Promise<string | null> {
    const near = this.near
    if (near === undefined) return this.#connection.run((c) => c.get(fullKey))
    const copy = near.lookup(fullKey)
    if (copy === undefined) return near.read(fullKey)
    this.nearHits++
    return Promise.resolve(copy)
  }

  /** The stored texts of many keys: near copies and pipelined GETs, else one MGET (per hash slot on a cluster). */
  texts (fullKeys: readonly string[]): Promise<Array<string | null>> {
    if (this.near !== undefined) return Promise.all(fullKeys.map((fullKey) => this.text(fullKey)))
    const connection = this.#connection
    // Not async: one MGET is the command's own promise, no frame around it.
    if (connection.topology !== 'cluster') return connection.run((c) => c.mGet(fullKeys as string[]))
    return this.#slotTexts(fullKeys)
  }

  async #slotTexts (fullKeys: readonly string[]): Promise<Array<string | null>> {
    const connection = this.#connection
    const groups = groupBySlot(fullKeys.map((_, i) => i), (i) => fullKeys[i]!)
    const replies = await connection.run((c) => Promise.all(groups.map((group) => c.mGet(group.map((i) => fullKeys[i]!)))))
    const texts = new Array<string | null>(fullKeys.length).fill(null)
    groups.forEach((group, g) => { group.forEach((i, j) => { texts[i] = replies[g]![j] ?? null }) })
    return texts
  }

  /** The values of `texts` (read for `keys`) that were found, by key. */
  found<T> (keys: readonly string[], texts: ReadonlyArray<string | null | undefined>): Map<string, T> {
    const found = new Map<string, T>()
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]
      if (text !== null && text !== undefined) found.set(keys[i]!, this.parse(text) as T)
    }
    return found
  }

  /** A value from stored text; unreadable: FST_CODEX_CORRUPT_VALUE. */
  parse (text: string): unknown {
    return decodeValue(this.#serializer, text)
  }

  /** The read to await (`.text`), then call `.settled()` and `.take(text)`: joined if no write began since it was issued. */
  share (fullKey: string): SharedRead {
    const current = this.#shared.get(fullKey)
    if (current !== undefined && current.writes === this.#writes) {
      current.callers++
      return current
    }
    const copy = this.near?.lookup(fullKey)
    const read = copy === undefined
      ? new SharedRead(this.#serializer, this.#writes, this.text(fullKey), this.#shared, fullKey)
      : new SharedRead(this.#serializer, this.#writes, Promise.resolve(copy), this.#shared, fullKey, this.#parsed)
    if (copy !== undefined) {
      this.nearHits++
      read.near = true
    }
    this.#shared.set(fullKey, read)
    return read
  }

  /** Whether a live local copy exists (for `has`). */
  holds (fullKey: string): boolean {
    if (this.near?.holds(fullKey) !== true) return false
    this.nearHits++
    return true
  }

  /** Writer only, before a write's first command: later reads must not join a read issued before it. */
  detach (): void {
    this.#writes++
  }

  async close (): Promise<void> {
    this.#parsed?.clear()
    await this.near?.close()
  }
}

/** One in-flight read shared by getOrSet callers, each given its own value: JSON is deep-copied (cheaper than parsing), a custom serializer parses per caller. */
export class SharedRead {
  readonly writes: number
  readonly text: Promise<string | null>
  callers = 1
  /** Answered by the near cache. */
  near = false
  readonly #serializer: Serializer
  readonly #reads: Map<string, SharedRead>
  readonly #fullKey: string
  readonly #parsed: ParsedCopies | undefined
  #taken = 0
  #original: { readonly value: unknown } | undefined

  /** `parsed`: `text` is a near copy's, whose parsed value may be kept (see ParsedCopies). */
  constructor (serializer: Serializer, writes: number, text: Promise<string | null>, reads: Map<string, SharedRead>, fullKey: string, parsed?: ParsedCopies) {
    this.#serializer = serializer
    this.writes = writes
    this.text = text
    this.#reads = reads
    this.#fullKey = fullKey
    this.#parsed = parsed
  }

  /** Each caller's first call once `text` settled: closes the read to newcomers (only our own entry: a newer read may have replaced it). */
  settled (): void {
    if (this.#reads.get(this.#fullKey) === this) this.#reads.delete(this.#fullKey)
  }

  /** A value nobody else holds, from `text` (what `this.text` resolved to); unreadable: FST_CODEX_CORRUPT_VALUE for every caller. */
  take (text: string): unknown {
    if (this.#parsed !== undefined) return this.#parsed.take(this.#fullKey, text)
    const serializer = this.#serializer
    if (this.callers === 1 || serializer !== jsonSerializer || this.#taken++ === 0) return decodeValue(serializer, text)
    this.#original ??= { value: decodeValue(serializer, text) }
    return cloneJson(this.#original.value)
  }
}

/** Values parsed from near copies, kept while the text is the same: near hits rarely share a read, so each would parse again. */
class ParsedCopies {
  readonly #max: number
  readonly #values = new Map<string, { readonly text: string, readonly value: unknown }>()

  constructor (max: number) {
    this.#max = max
  }

  take (fullKey: string, text: string): unknown {
    const kept = this.#values.get(fullKey)
    if (kept !== undefined && kept.text === text) return cloneJson(kept.value)
    const value = decodeValue(jsonSerializer, text)
    this.#values.delete(fullKey)
    while (this.#values.size >= this.#max) {
      const oldest = this.#values.keys().next()
      if (oldest.done === true) break
      this.#values.delete(oldest.value)
    }
    this.#values.set(fullKey, { text, value })
    return cloneJson(value)
  }

  clear (): void {
    this.#values.clear()
  }
}

/** A deep copy of a JSON.parse result, as JSON.parse would give again: own keys only (nothing inherited from Object.prototype). */
export function cloneJson<T> (value: T): T {
  return typeof value === 'object' && value !== null ? copyContainer(value) as T : value
}

function copyContainer (value: object): object {
  if (Array.isArray(value)) {
    const length = value.length
    const out = new Array<unknown>(length)
    for (let i = 0; i < length; i++) {
      const item: unknown = value[i]
      out[i] = typeof item === 'object' && item !== null ? copyContainer(item) : item
    }
    return out
  }
  const source = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  const names = Object.keys(source)
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!
    const item = source[name]
    const copy = typeof item === 'object' && item !== null ? copyContainer(item) : item
    // Assigning "__proto__" would set the prototype: JSON.parse makes it an own property.
    if (name === '__proto__') Object.defineProperty(out, name, { value: copy, writable: true, enumerable: true, configurable: true })
    else out[name] = copy
  }
  return out
}
