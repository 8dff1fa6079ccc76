import type { RedisConnection } from '../../connection/connection.js'
import type { ComputeLock } from './compute-lock.js'
import type { Notifier } from './notify.js'
import { MAX_UNCACHEABLE_MS } from './uncacheable.js'

/** What a computation hands its callers: the stored text (each decodes its own copy), or an unstored value. */
export type Outcome =
  | { readonly text: string }
  | { readonly value: unknown, readonly uncacheable?: true }
  // Nobody computed: the key is marked uncacheable (by another process), every caller computes its own.
  | { readonly alone: true }

/** How a flight got its answer: the value landed meanwhile, or this process computes (holding the lock or not). */
type Turn =
  | { readonly how: 'landed', readonly text: string }
  | { readonly how: 'owner' }
  | { readonly how: 'forced' }
  /** The key's uncacheable mark, with `ms` left to live: nobody waits for another's computation. */
  | { readonly how: 'alone', readonly ms: number }

// With notifications, a re-check at least this often also covers a message lost while the subscriber reconnected.
const MAX_WAIT_MS = 1000
// Without them (subscriber not connected), waiters re-check this often.
const POLL_MS = 25

/** One computation of one key in this process; every caller of getOrSet for that key joins it. */
export class Flight {
  result!: Promise<Outcome>
  /** Aborts the computation (ctx.signal) when the caller that started it passes its hardTimeout. */
  readonly controller = new AbortController()
  /** This process ran the factory (its value did not land from another process meanwhile). */
  computed = false
  /** The grace copy read on the first round trip (`null`: none), known before the computation starts. */
  readonly staleText: Promise<string | null>
  #setStale!: (text: string | null) => void
  #forced = false
  #wake: (() => void) | undefined

  constructor () {
    this.staleText = new Promise((resolve) => { this.#setStale = resolve })
  }

  setStale (text: string | null): void {
    this.#setStale(text)
  }

  get forced (): boolean {
    return this.#forced
  }

  /** A caller waited its lockTimeout: stop waiting for another process and compute here. */
  stopWaiting (): void {
    this.#forced = true
    this.#wake?.()
  }

  /** Resolves at the first of: `ms` passed, `wake` called (a notification), or stopWaiting(). */
  sleep (ms: number, watch: (wake: () => void) => () => void): Promise<void> {
    if (this.#forced) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        unwatch()
        this.#wake = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      const unwatch = watch(done)
      this.#wake = done
    })
  }
}

/** Until this process may compute `fullKey` or its value lands: each round pipelines the lock attempt with reads of the value and the lock's PTTL. */
export async function awaitTurn (connection: RedisConnection, notifier: Notifier, flight: Flight, fullKey: string, staleKey: string, lock: ComputeLock, aloneKey: string): Promise<Turn> {
  let subscribed = false
  let woken = false
  const unwatch = notifier.watch(fullKey, () => { woken = true })
  try {
    for (let round = 0; ; round++) {
      woken = false
      const [acquired, text, staleText, pttl, alone] = await connection.run((c) => Promise.all([
        lock.tryAcquire(c), c.get(fullKey), round === 0 ? c.get(staleKey) : null, c.pTTL(lock.key), c.pTTL(aloneKey)
      ]))
      if (round === 0) flight.setStale(staleText)
      if (text !== null) {
        if (acquired) await lock.release()
        return { how: 'landed', text }
      }
      // The last computation could not be stored: nobody waits or holds the lock (-1, impossible for PX, is the longest mark).
      if (alone > 0 || alone === -1) {
        // Not awaited: this process's callers compute now; the release only frees the key for after the mark.
        if (acquired) lock.release().catch(() => {})
        return { how: 'alone', ms: alone === -1 ? MAX_UNCACHEABLE_MS : alone }
      }
      if (acquired) return { how: 'owner' }
      if (flight.forced) return { how: 'forced' }
      if (round === 0) {
        // Subscribed only once a wait is due (else no subscriber is opened); the next round re-checks what landed meanwhile.
        subscribed = await notifier.ready()
        continue
      }
      if (woken) continue
      // -2: the lock is gone (retry at once); -1 cannot happen for a PX lock, but must not spin.
      const untilExpiry = pttl === -1 ? MAX_WAIT_MS : Math.max(0, pttl) + 2
      await flight.sleep(Math.min(untilExpiry, subscribed ? MAX_WAIT_MS : POLL_MS), (wake) => notifier.watch(fullKey, wake))
      if (flight.forced) return { how: 'forced' }
    }
  } finally {
    unwatch()
  }
}
