import { cloneJson } from '../json-clone.js'
import { jsonSerializer, type Serializer } from '../serializer.js'
import { decodeValue } from '../value-codec.js'

/**
 * One in-flight read of a key, shared by the getOrSet callers that came while it was on the wire; each caller gets a
 * value of its own to mutate. Callers are counted as they join, and nobody joins once the first of them resumed, so
 * a lone caller just parses. With the default serializer, several callers cost at most two parses (the first caller's
 * value, then a kept original) and a deep copy of the original each, several times cheaper than parsing; a custom
 * serializer's values may be anything, so it parses for every caller.
 */
export class SharedRead {
  readonly writes: number
  readonly text: Promise<string | null>
  callers = 1
  readonly #serializer: Serializer
  readonly #reads: Map<string, SharedRead> | undefined
  readonly #fullKey: string
  #taken = 0
  #original: { readonly value: unknown } | undefined

  constructor (serializer: Serializer, writes: number, text: Promise<string | null>, reads?: Map<string, SharedRead>, fullKey = '') {
    this.#serializer = serializer
    this.writes = writes
    this.text = text
    this.#reads = reads
    this.#fullKey = fullKey
  }

  /**
   * Called by each caller as soon as `text` settled, before anything else: the first one closes the read to newcomers
   * (cheaper than a settle callback per read). A newer read may have replaced it (a write came between): only our own entry goes.
   */
  settled (): void {
    const reads = this.#reads
    if (reads !== undefined && reads.get(this.#fullKey) === this) reads.delete(this.#fullKey)
  }

  /** A value nobody else holds, from `text` (what `this.text` resolved to); unreadable: FST_CODEX_CORRUPT_VALUE for every caller. */
  take (text: string): unknown {
    const serializer = this.#serializer
    if (this.callers === 1 || serializer !== jsonSerializer || this.#taken++ === 0) return decodeValue(serializer, text)
    this.#original ??= { value: decodeValue(serializer, text) }
    return cloneJson(this.#original.value)
  }
}

/**
 * Shares one in-flight read of a key among concurrent getOrSet callers in this process. Read-your-writes: every
 * write through the cache bumps `writes` first, and a caller joins a read only if no write began since it was issued.
 */
export class ReadCoalescer {
  #writes = 0
  readonly #reads = new Map<string, SharedRead>()
  readonly #serializer: Serializer
  readonly #issue: (fullKey: string) => Promise<string | null>

  /** `issue(fullKey)` reads the stored text (near cache first when there is one). */
  constructor (serializer: Serializer, issue: (fullKey: string) => Promise<string | null>) {
    this.#serializer = serializer
    this.#issue = issue
  }

  /** A write through the cache begins: later reads must not join one issued before it. */
  writing (): void {
    this.#writes++
  }

  /** The read to await (`.text`), then call `.settled()` and `.take(text)`: a joined one, or a new one. */
  read (fullKey: string): SharedRead {
    const current = this.#reads.get(fullKey)
    if (current !== undefined && current.writes === this.#writes) {
      current.callers++
      return current
    }
    const read = new SharedRead(this.#serializer, this.#writes, this.#issue(fullKey), this.#reads, fullKey)
    this.#reads.set(fullKey, read)
    return read
  }
}
