import { RedisUnavailableError } from '../errors.js'
import type { Availability } from './availability.js'
import { translateRedisError } from './translate-error.js'

/** One pending command: settled by its reply or, failing that, by the shared timer. */
class Pending<T> {
  done = false
  constructor (
    readonly expiresAt: number,
    readonly resolve: (value: T) => void,
    readonly reject: (err: Error) => void
  ) {}
}

/**
 * Gives every command a deadline with one shared timer. @redis/client's own timeout builds an
 * AbortSignal per command and stops applying once the command is on the wire, so a hung server
 * would still hang the caller; a FIFO queue works because every command gets the same timeout.
 * Deadlines use the monotonic clock: a wall-clock step (NTP) must not expire or extend them.
 */
export class DeadlineQueue {
  readonly #timeoutMs: number
  readonly #queue: Array<Pending<never>> = []
  #head = 0
  #timer: NodeJS.Timeout | undefined
  readonly #beforeExpiry: ((now: number) => void) | undefined
  readonly #availability: Availability | undefined

  /**
   * `beforeExpiry(now)` runs before commands due by `now` are rejected (DeadlineSignals aborts their sends);
   * `availability` learns of every failure for want of Redis and of the first answer after one.
   */
  constructor (timeoutMs: number, beforeExpiry?: (now: number) => void, availability?: Availability) {
    this.#timeoutMs = timeoutMs
    this.#beforeExpiry = beforeExpiry
    this.#availability = availability
  }

  /** `discard`: resolves with `undefined`, not the reply (a write whose caller gets nothing back needs no frame to drop it). */
  track<T> (command: Promise<T>): Promise<T>
  track (command: Promise<unknown>, discard: true): Promise<void>
  track<T> (command: Promise<T>, discard = false): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const now = performance.now()
      // Whole milliseconds: commands started within the same millisecond expire on the same timer tick.
      const pending = new Pending<T | undefined>(Math.ceil(now + this.#timeoutMs), resolve, reject)
      this.#queue.push(pending as Pending<never>)
      if (this.#timer === undefined) this.#arm(pending.expiresAt - now)
      command.then((value) => {
        if (this.#availability?.isDown === true) this.#availability.answered()
        if (pending.done) return
        pending.done = true
        resolve(discard ? undefined : value)
        this.#dropSettled()
      }, (err: unknown) => {
        if (pending.done) return
        pending.done = true
        const translated = translateRedisError(err)
        if (this.#availability !== undefined) this.#observe(this.#availability, translated)
        reject(translated)
        this.#dropSettled()
      })
    })
  }

  #observe (availability: Availability, err: Error): void {
    if (err instanceof RedisUnavailableError) availability.failed(err)
    else availability.answered()
  }

  #dropSettled (): void {
    const queue = this.#queue
    while (this.#head < queue.length && queue[this.#head]!.done) this.#head++
    if (this.#head === queue.length) {
      queue.length = 0
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > queue.length) {
      queue.splice(0, this.#head)
      this.#head = 0
    }
  }

  #arm (delayMs: number): void {
    // unref: a deadline must never be what keeps a finished process alive.
    this.#timer = setTimeout(() => this.#expire(), delayMs).unref()
  }

  #expire (): void {
    this.#timer = undefined
    const now = performance.now()
    this.#beforeExpiry?.(now)
    const queue = this.#queue
    while (this.#head < queue.length) {
      const pending = queue[this.#head]!
      if (!pending.done) {
        if (pending.expiresAt > now) break
        pending.done = true
        const err = new RedisUnavailableError(`no reply within commandTimeout (${this.#timeoutMs} ms)`)
        this.#availability?.failed(err)
        pending.reject(err)
      }
      this.#head++
    }
    this.#dropSettled()
    const next = queue[this.#head]
    if (next !== undefined) this.#arm(Math.max(1, next.expiresAt - now))
  }
}
