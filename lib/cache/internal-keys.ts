/** Bookkeeping keys under `{keyPrefix}:~codex:`: clear() removes them, `get` never sees them (only a version `~codex` could collide). */
export class InternalKeys {
  readonly #base: string
  /** Pub/sub channel on which a finished (or abandoned) computation is announced; the message is the full key. */
  readonly channel: string

  constructor (keyPrefix: string) {
    this.#base = `${keyPrefix}:~codex:`
    this.channel = `${this.#base}landed`
  }

  /** The copy kept for `grace` after the value's ttl; read only by getOrSet. */
  stale (fullKey: string): string {
    return `${this.#base}stale:${fullKey}`
  }

  /** The cross-process compute lock of one key. */
  computeLock (fullKey: string): string {
    return `${this.#base}compute:${fullKey}`
  }

  /** Set for a while after a computation of the key said uncacheable(): callers compute without waiting. */
  uncacheable (fullKey: string): string {
    return `${this.#base}alone:${fullKey}`
  }

  /** A user lock taken with `lock()` / `withLock()`: outside every key version, so a version bump keeps it. */
  lock (name: string): string {
    return `${this.#base}lock:${name}`
  }

  /** ZSET of the full keys written with `tag`, scored by their expiry (ms, server clock). */
  tag (tag: string): string {
    return `${this.#base}tag:${tag}`
  }

  /** Counter bumped by every invalidation of `tag`: a computation that saw another value drops its write. */
  tagEpoch (tag: string): string {
    return `${this.#base}tagv:${tag}`
  }
}
