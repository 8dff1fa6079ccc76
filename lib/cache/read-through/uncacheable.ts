import { EXPIRED, type Ttl } from '../../ttl.js'

/** How long a key whose computation said `uncacheable()` stops making callers wait: its ttl, at most 10 s. */
export const MAX_UNCACHEABLE_MS = 10_000

export function uncacheableMs (ttl: Ttl): number {
  if (ttl === null) return MAX_UNCACHEABLE_MS
  if (ttl === EXPIRED) return 0
  return Math.min(ttl, MAX_UNCACHEABLE_MS)
}

// Past this many marks, expired ones are swept on the next mark (the map never grows without bound).
const SWEEP_AT = 1000

/** This process's memory of such keys (other processes learn it from the key's mark in Redis). */
export class UncacheableKeys {
  readonly #until = new Map<string, number>()

  mark (fullKey: string, ms: number): void {
    if (ms <= 0) return
    const now = Date.now()
    if (this.#until.size >= SWEEP_AT) {
      for (const [key, until] of this.#until) if (until <= now) this.#until.delete(key)
    }
    this.#until.set(fullKey, now + ms)
  }

  has (fullKey: string): boolean {
    const until = this.#until.get(fullKey)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.#until.delete(fullKey)
    return false
  }

  /** A value was stored for the key: callers wait for computations again. */
  clear (fullKey: string): void {
    this.#until.delete(fullKey)
  }
}
