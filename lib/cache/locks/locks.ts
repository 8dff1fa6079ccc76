import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RedisConnection } from '../../connection/connection.js'
import { LockBusyError, LockLostError, RedisUnavailableError } from '../../errors.js'
import { EXTEND_OWNED, LOCK_ACQUIRE, LOCK_RELEASE, RELEASE_OWNED } from '../../connection/scripts.js'
import { lockTtl, type ResolvedLockOptions } from '../options.js'
import { lockChannel, trace, type LockContext } from '../../observe/channels.js'

// A released lock keeps its last token this long (the next is last + 1 even if Redis's clock stepped back); then tokens come from the clock in µs.
export const TOKEN_MEMORY_MS = 3_600_000
const TOKEN_MEMORY = String(TOKEN_MEMORY_MS)

/** A held lock: only this object can release or extend it (its owner id is compared in Redis, atomically). */
export class Lock {
  /** Fencing token: greater than the token of every earlier acquisition of this name. Pass it to the resource you guard. */
  readonly token: number
  readonly #connection: RedisConnection
  readonly #key: string
  readonly #owner: string
  readonly #ttlMs: number
  readonly #cache: string

  /** @internal Made by `RedisCache.lock()`; `cache` is its keyPrefix (for `fastify-codex:lock`). */
  constructor (readonly name: string, token: number, connection: RedisConnection, key: string, owner: string, ttlMs: number, cache: string) {
    this.token = token
    this.#cache = cache
    this.#connection = connection
    this.#key = key
    this.#owner = owner
    this.#ttlMs = ttlMs
  }

  /** Frees the lock; `false` (and nothing touched) if it had expired, or was released or taken over. */
  release (): Promise<boolean> {
    return lockChannel.hasSubscribers ? traceLock(this.#cache, this.name, 'release', () => this.#release()) : this.#release()
  }

  async #release (): Promise<boolean> {
    const args = [this.#owner, String(this.token), TOKEN_MEMORY]
    return await this.#connection.run((c) => LOCK_RELEASE.run(c, [this.#key], args)) === 1
  }

  /** Gives the lock `ttl` seconds from now (default: the ttl it was taken with); `false` if it is no longer held. */
  extend (ttl?: number): Promise<boolean> {
    return lockChannel.hasSubscribers ? traceLock(this.#cache, this.name, 'extend', () => this.#extend(ttl)) : this.#extend(ttl)
  }

  async #extend (ttl: number | undefined): Promise<boolean> {
    const ms = ttl === undefined ? this.#ttlMs : lockTtl(ttl)
    return await this.#connection.run((c) => EXTEND_OWNED.run(c, [this.#key], [this.#owner, String(ms)])) === 1
  }

  /** The ttl in ms it was taken with. @internal */
  get ttlMs (): number {
    return this.#ttlMs
  }
}

const DEFAULT_RETRY_DELAY = 50

/** `fastify-codex:lock`: `outcome` from what `run` answered (a lock or null, a boolean). */
async function traceLock<T extends Lock | null | boolean> (cache: string, name: string, operation: LockContext['operation'], run: () => Promise<T>): Promise<T> {
  const ctx: LockContext = { cache, name, operation }
  return await trace(lockChannel, ctx, async () => {
    const result = await run()
    if (typeof result === 'boolean') ctx.outcome = result ? (operation === 'release' ? 'released' : 'extended') : 'lost'
    else if (result === null) ctx.outcome = 'busy'
    else {
      ctx.outcome = 'acquired'
      ctx.token = result.token
    }
    return result
  })
}

/** Tries until acquired or `wait` ms have passed: a Lock, or `null`. `cache`: the keyPrefix (for `fastify-codex:lock`). */
export function acquireLock (connection: RedisConnection, key: string, name: string, options: ResolvedLockOptions, cache: string): Promise<Lock | null> {
  if (!lockChannel.hasSubscribers) return tryLock(connection, key, name, options, cache)
  return traceLock(cache, name, 'acquire', () => tryLock(connection, key, name, options, cache))
}

async function tryLock (connection: RedisConnection, key: string, name: string, options: ResolvedLockOptions, cache: string): Promise<Lock | null> {
  const owner = randomUUID()
  const args = [owner, String(options.ttlMs)]
  // Read the clock only when there is a wait to time: a single attempt (the default) never needs it.
  const deadline = options.wait === 0 ? 0 : performance.now() + options.wait
  for (;;) {
    let token: number | null
    try {
      token = await connection.run((c) => LOCK_ACQUIRE.run(c, [key], args)) as number | null
    } catch (err) {
      // Queued right behind the attempt on the same connection: if Redis runs that late, this undoes it at once.
      // EVAL, not EVALSHA: a NOSCRIPT fallback would be sent after commands queued meanwhile.
      connection.run((c) => c.eval(RELEASE_OWNED.source, { keys: [key], arguments: [owner] })).catch(() => {})
      throw err
    }
    if (token !== null) return new Lock(name, token, connection, key, owner, options.ttlMs, cache)
    if (options.wait === 0) return null
    const left = deadline - performance.now()
    if (left <= 0) return null
    // Jitter: waiters that started together do not retry in lockstep. The last attempt lands at the deadline.
    await sleep(Math.min(left, options.retryDelay ?? DEFAULT_RETRY_DELAY * (0.5 + Math.random())))
  }
}

/** What `withLock`'s fn receives: the signal aborts (reason FST_CODEX_LOCK_LOST) if the lock could not be kept. */
export type LockedFunction<T> = (signal: AbortSignal, lock: Lock) => T | Promise<T>

/** Runs `fn` holding the lock, extended every third of its ttl, released when `fn` settles; `null` → FST_CODEX_LOCK_BUSY. */
export async function runLocked<T> (acquired: Lock | null, name: string, fn: LockedFunction<T>): Promise<T> {
  if (acquired === null) throw new LockBusyError(name)
  const lock = acquired
  const controller = new AbortController()
  const stop = keepExtending(lock, controller)
  try {
    return await fn(controller.signal, lock)
  } finally {
    stop()
    // A failed release is not fn's failure: the lock expires within its ttl on its own.
    await lock.release().catch(() => false)
  }
}

/** Extends `lock` until stopped; aborts `controller` when Redis says the lock is gone or no extension landed within a ttl. */
function keepExtending (lock: Lock, controller: AbortController): () => void {
  const ttlMs = lock.ttlMs
  const every = Math.max(1, Math.floor(ttlMs / 3))
  let stopped = false
  let lastError: unknown
  let extending = false
  let next: NodeJS.Timeout | undefined
  let expiry: NodeJS.Timeout | undefined
  const lost = (cause?: unknown): void => {
    if (stopped) return
    stop()
    controller.abort(cause === undefined ? new LockLostError(lock.name) : new LockLostError(lock.name, { cause }))
  }
  // An extension still unanswered at expiry is the reason, however late its own deadline would fire.
  const silent = (): Error => new RedisUnavailableError(
    `no reply to the lock's extension before its ttl (${ttlMs} ms) ran out (Redis slow or unreachable, or this process stalled)`)
  // The lock is surely ours until ttl after the last successful extension was sent; past that, it may not be.
  const heldFor = (ms: number): void => {
    clearTimeout(expiry)
    expiry = setTimeout(() => lost(lastError ?? (extending ? silent() : undefined)), ms)
    // fn keeps the process alive if it has work; these timers alone must not.
    expiry.unref()
  }
  const schedule = (delay: number): void => {
    next = setTimeout(tick, delay)
    next.unref()
  }
  const tick = (): void => {
    const sentAt = performance.now()
    extending = true
    lock.extend().then((extended) => {
      extending = false
      if (stopped) return
      if (!extended) return lost()
      lastError = undefined
      heldFor(sentAt + ttlMs - performance.now())
      schedule(every)
    }, (err: unknown) => {
      // Redis did not answer: keep trying until the expiry timer gives the lock up.
      extending = false
      lastError = err
      if (!stopped) schedule(every)
    })
  }
  function stop (): void {
    stopped = true
    clearTimeout(next)
    clearTimeout(expiry)
  }
  heldFor(ttlMs)
  schedule(every)
  return stop
}
