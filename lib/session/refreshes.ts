/** An expiry refresh sent over `from`, the payload text its request loaded: the script's reply once it settles. */
interface Refresh {
  readonly from: string
  readonly reply: Promise<unknown>
}

// Past this many sessions, or this many characters of their texts, the oldest is forgotten: a request of it then sends
// its own refresh, as with none kept.
const MAX_KEPT = 1024
const MAX_CHARS = 1 << 20

/**
 * The last expiry refresh of each session this store sent, in flight or landed. Concurrent read-only requests of one
 * session load the same text, and once one refresh has been sent over it the key no longer holds that text for any
 * other: theirs would find it changed and write nothing. They wait for that one instead of sending their own.
 * A refresh that fails is forgotten at once: the next request sends its own.
 */
export class Refreshes {
  readonly #kept = new Map<string, Refresh>()
  #chars = 0

  /** The refresh already sent for session `id` over exactly `from`, or `undefined`. */
  over (id: string, from: string): Promise<unknown> | undefined {
    const refresh = this.#kept.get(id)
    return refresh !== undefined && refresh.from === from ? refresh.reply : undefined
  }

  /** Keeps `reply`, the refresh of session `id` over `from`, until a newer one replaces it or it fails. */
  keep (id: string, from: string, reply: Promise<unknown>): void {
    // Deleted, then set: Map order is insertion order, so the first key is the session refreshed longest ago.
    this.#forget(id)
    if (from.length > MAX_CHARS) return
    for (const oldest of this.#kept.keys()) {
      if (this.#kept.size < MAX_KEPT && this.#chars + from.length <= MAX_CHARS) break
      this.#forget(oldest)
    }
    const refresh: Refresh = { from, reply }
    this.#kept.set(id, refresh)
    this.#chars += from.length
    reply.catch(() => { if (this.#kept.get(id) === refresh) this.#forget(id) })
  }

  #forget (id: string): void {
    const refresh = this.#kept.get(id)
    if (refresh === undefined) return
    this.#kept.delete(id)
    this.#chars -= refresh.from.length
  }
}
