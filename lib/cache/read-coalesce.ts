/**
 * Shares one in-flight read of a key among concurrent getOrSet callers in this process. Read-your-writes: every
 * write through the cache bumps `writes` first, and a caller joins a read only if no write began since it was issued.
 */
export class ReadCoalescer {
  #writes = 0
  readonly #reads = new Map<string, { writes: number, text: Promise<string | null> }>()

  /** A write through the cache begins: later reads must not join one issued before it. */
  writing (): void {
    this.#writes++
  }

  read (fullKey: string, issue: () => Promise<string | null>): Promise<string | null> {
    const current = this.#reads.get(fullKey)
    if (current !== undefined && current.writes === this.#writes) return current.text
    const entry = { writes: this.#writes, text: issue() }
    this.#reads.set(fullKey, entry)
    // A newer read may have replaced this one (a write came between): only our own entry goes.
    const settle = (): void => { if (this.#reads.get(fullKey) === entry) this.#reads.delete(fullKey) }
    entry.text.then(settle, settle)
    return entry.text
  }
}
