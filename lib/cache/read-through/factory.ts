import { FactoryTimeoutError } from '../../errors.js'
import { resolveTtl, type Ttl } from '../../ttl.js'

/** What a getOrSet factory receives. */
export interface FactoryContext<T> {
  /** Aborted when the call's `hardTimeout` passes: stop the work, its result will be ignored. */
  readonly signal: AbortSignal
  /** The stale value being refreshed (kept by `grace`), or `undefined`. */
  readonly stale: T | undefined
  /** Overrides the call's `ttl` for this result (seconds; `null` = no expiry; <= 0 = do not keep it). */
  setTtl (seconds: number | null): void
  /** Return the result without storing it: waiters in this process get it, other processes compute their own. */
  skip (): void
  /**
   * Return the result to this caller only and store nothing: every caller waiting on this computation, in any
   * process, runs its own factory, and for the next `ttl` seconds (at most 10) the key makes no caller wait.
   */
  uncacheable (): void
  /** Adds tags to the value stored (as the call's `tags`). */
  tag (...tags: string[]): void
}

/** Set on the context of a computation run with Redis unreachable (failOpen): nothing will be stored. Internal. */
export const OFFLINE = Symbol('fastify-codex.offline')

/** On a context with a stale value: whether that grace copy is still in Redis, for the route cache about to serve it. Internal. */
export const GRACE_HOLDS = Symbol('fastify-codex.grace-holds')

export type Factory<T> = (ctx: FactoryContext<T>) => T | PromiseLike<T>

export interface FactoryRun {
  readonly value: unknown
  readonly skipped: boolean
  readonly uncacheable: boolean
  /** Tags added with ctx.tag(). */
  readonly tags: readonly string[] | undefined
  /** The TTL chosen with setTtl, resolved; `undefined` = the call's. */
  readonly ttl: Ttl | undefined
  /** The factory threw, rejected or was abandoned (hardTimeout): what it failed with. `value` is then `undefined`. */
  readonly failure?: { readonly error: unknown }
}

/** Runs `factory` once, abandoned at `hardTimeout` or when `controller` aborts; a failure is returned with what the factory said before it. */
export async function runFactory<T> (factory: Factory<T>, stale: NoInfer<T> | undefined, hardTimeout: number, controller = new AbortController(), offline = false, graceHolds?: () => Promise<boolean>): Promise<FactoryRun> {
  let skipped = false
  let uncacheable = false
  let tags: string[] | undefined
  let ttl: Ttl | undefined
  // Abandoned before it began (its starter's hardTimeout passed while the flight waited its turn): not run at all.
  if (controller.signal.aborted) return { value: undefined, skipped, uncacheable, tags, ttl, failure: { error: controller.signal.reason } }
  const ctx: FactoryContext<T> & { readonly [OFFLINE]?: true, readonly [GRACE_HOLDS]?: () => Promise<boolean> } = {
    ...(offline ? { [OFFLINE]: true as const } : {}),
    ...(graceHolds === undefined || stale === undefined ? {} : { [GRACE_HOLDS]: graceHolds }),
    signal: controller.signal,
    stale,
    setTtl (seconds) { ttl = resolveTtl(seconds, null) },
    skip () { skipped = true },
    uncacheable () { uncacheable = true },
    tag (...added) { (tags ??= []).push(...added) }
  }
  // A sync throw becomes a rejection like an async one: one error path for every caller.
  const running = (async () => await factory(ctx))()
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((resolve, reject) => {
    const { signal } = controller
    if (signal.aborted) reject(signal.reason)
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
    timer = setTimeout(() => controller.abort(new FactoryTimeoutError(hardTimeout)), hardTimeout)
  })
  try {
    const value = await Promise.race([running, expired])
    return { value, skipped, uncacheable, tags, ttl }
  } catch (err) {
    return { value: undefined, skipped, uncacheable, tags, ttl, failure: { error: err } }
  } finally {
    clearTimeout(timer)
    // An abandoned factory may still reject later: nobody is listening any more.
    running.catch(() => {})
  }
}
