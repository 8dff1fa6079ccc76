/** `nearCache` as resolved at registration. */
export interface ResolvedNearCacheOptions {
  readonly maxEntries: number
  /** Milliseconds a local copy may live at most; `null` = only its Redis TTL bounds it. */
  readonly ttl: number | null
}

interface Entry {
  // The payload text, parsed on every hit: each caller gets its own copy to mutate.
  readonly text: string
  /** performance.now() after which the copy is dead (its Redis TTL or the near `ttl`). */
  readonly expiresAt: number
}

/** An LRU of payload texts; every outdating event advances `#seq`, so a GET reply sent before it is never kept. */
export class NearCache {
  readonly maxEntries: number
  readonly ttl: number | null
  readonly #entries = new Map<string, Entry>()
  /** In-flight loads per key: a promise shared by concurrent readers, and how many there are. */
  readonly #loads = new Map<string, Promise<string | null>>()
  readonly #loading = new Map<string, number>()
  /** The `#seq` at which an in-flight key was last outdated. */
  readonly #outdated = new Map<string, number>()
  #seq = 0
  #flushedAt = 0

  constructor (options: ResolvedNearCacheOptions) {
    this.maxEntries = options.maxEntries
    this.ttl = options.ttl
  }

  get size (): number {
    return this.#entries.size
  }

  /** The live copy's text, refreshed as most recently used; `undefined` if none. */
  get (key: string, now: number): string | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    if (entry.expiresAt <= now) return undefined
    this.#entries.set(key, entry)
    return entry.text
  }

  /** Whether a live copy exists (no LRU refresh). */
  has (key: string, now: number): boolean {
    const entry = this.#entries.get(key)
    return entry !== undefined && entry.expiresAt > now
  }

  /** Runs `fetch` (text, PTTL) once for concurrent readers; the PTTL counts from `sentAt`, so the copy dies no later than the key. */
  load (key: string, fetch: () => Promise<readonly [string | null, number]>): Promise<string | null> {
    const shared = this.#loads.get(key)
    if (shared !== undefined) return shared
    const startedAt = this.#seq
    const sentAt = performance.now()
    this.#loading.set(key, (this.#loading.get(key) ?? 0) + 1)
    const promise = fetch().then(([text, pttl]) => {
      if (text !== null && pttl !== -2 && this.#current(key, startedAt)) this.#store(key, text, sentAt, pttl)
      return text
    }).finally(() => {
      this.#finish(key, promise)
    })
    this.#loads.set(key, promise)
    return promise
  }

  /** The key changed in Redis (or is about to, through us): drop the copy and any reply still on the wire. */
  invalidate (key: string): void {
    this.#entries.delete(key)
    if (!this.#loading.has(key)) return
    this.#outdated.set(key, ++this.#seq)
    this.#loads.delete(key)
  }

  /** Drops everything, including replies still on the wire. */
  clear (): void {
    this.#entries.clear()
    this.#loads.clear()
    this.#flushedAt = ++this.#seq
  }

  #current (key: string, startedAt: number): boolean {
    return this.#flushedAt <= startedAt && (this.#outdated.get(key) ?? 0) <= startedAt
  }

  #store (key: string, text: string, sentAt: number, pttl: number): void {
    const lifetime = pttl === -1 ? this.ttl ?? Infinity : Math.min(pttl, this.ttl ?? Infinity)
    if (lifetime <= 0) return
    this.#entries.delete(key)
    // Evict before inserting: the map never holds more than maxEntries, whatever the churn.
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done === true) break
      this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { text, expiresAt: sentAt + lifetime })
  }

  #finish (key: string, promise: Promise<string | null>): void {
    if (this.#loads.get(key) === promise) this.#loads.delete(key)
    const left = (this.#loading.get(key) ?? 1) - 1
    if (left > 0) {
      this.#loading.set(key, left)
    } else {
      this.#loading.delete(key)
      this.#outdated.delete(key)
    }
  }
}
