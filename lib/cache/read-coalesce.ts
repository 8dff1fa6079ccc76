import { cloneJson } from '../json-clone.js'
import { jsonSerializer, type Serializer } from '../serializer.js'
import { decodeValue } from '../value-codec.js'

/**
 * One stored payload read for several callers, each of whom gets a value of their own to mutate. With the default
 * serializer the text is parsed at most twice (the first caller's copy, then a kept original) and later callers get
 * deep copies of the original, several times cheaper than parsing; a custom serializer parses for every caller.
 */
export class SharedValue {
  readonly text: string
  readonly #serializer: Serializer
  #taken = 0
  #original: { readonly value: unknown } | undefined

  constructor (serializer: Serializer, text: string) {
    this.#serializer = serializer
    this.text = text
  }

  /** A value nobody else holds: FST_CODEX_CORRUPT_VALUE (for every caller) if the text cannot be read. */
  take (): unknown {
    if (this.#serializer !== jsonSerializer || this.#taken++ === 0) return decodeValue(this.#serializer, this.text)
    // Parsed only once a second caller comes (a lone caller pays for one parse and no copy); unreadable, it throws again.
    this.#original ??= { value: decodeValue(this.#serializer, this.text) }
    return cloneJson(this.#original.value)
  }
}

/**
 * Shares one in-flight read of a key among concurrent getOrSet callers in this process. Read-your-writes: every
 * write through the cache bumps `writes` first, and a caller joins a read only if no write began since it was issued.
 */
export class ReadCoalescer {
  #writes = 0
  readonly #reads = new Map<string, { writes: number, value: Promise<SharedValue | null> }>()
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

  read (fullKey: string): Promise<SharedValue | null> {
    const current = this.#reads.get(fullKey)
    if (current !== undefined && current.writes === this.#writes) return current.value
    const serializer = this.#serializer
    const entry = { writes: this.#writes, value: this.#issue(fullKey).then((text) => text === null ? null : new SharedValue(serializer, text)) }
    this.#reads.set(fullKey, entry)
    // A newer read may have replaced this one (a write came between): only our own entry goes.
    // Attached before any caller's continuation: a caller that resumes and calls again starts a new read.
    const settle = (): void => { if (this.#reads.get(fullKey) === entry) this.#reads.delete(fullKey) }
    entry.value.then(settle, settle)
    return entry.value
  }
}
