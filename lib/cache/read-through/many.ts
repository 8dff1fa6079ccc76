import { NotSerializableError } from '../../errors.js'
import type { FactoryContext } from './factory.js'

/** What getOrSetMany's factory receives: the contexts of every key it computes, as one. */
export interface ManyFactoryContext<T> {
  /** Aborted when the call's `hardTimeout` passes: stop the work, its result will be ignored. */
  readonly signal: AbortSignal
  /** The stale values being refreshed (kept by `grace`), by key. */
  readonly stale: ReadonlyMap<string, T>
  /** Overrides the call's `ttl` for these results (seconds; `null` = no expiry; <= 0 = do not keep them). */
  setTtl (seconds: number | null): void
  /** Return the results without storing them: waiters in this process get them, other processes compute their own. */
  skip (): void
  /** Return the results to this caller only, store nothing: every waiting caller computes its own. */
  uncacheable (): void
  /** Adds tags to the values stored. */
  tag (...tags: string[]): void
}

/** The values of the keys asked for, as a Map or a plain object; a key left out is neither stored nor returned. */
export type ManyResult<T> = ReadonlyMap<string, T> | Readonly<Record<string, T>>
export type ManyFactory<T> = (keys: string[], ctx: ManyFactoryContext<T>) => ManyResult<T> | PromiseLike<ManyResult<T>>

/** What a key left out of the factory's result resolves to: getOrSetMany leaves it out of its answer. */
export const NOT_RETURNED = Symbol('not returned')

function toMap<T> (result: unknown): ReadonlyMap<string, T> {
  if (result instanceof Map) return result as ReadonlyMap<string, T>
  const proto = typeof result === 'object' && result !== null ? Object.getPrototypeOf(result) as unknown : undefined
  if (proto === Object.prototype || proto === null) return new Map(Object.entries(result as Record<string, T>))
  throw new NotSerializableError('getOrSetMany result', 'the factory must return a Map or a plain object of the values by key')
}

/** Gathers the keys whose single flight falls to this process within one turn of the event loop into one factory call. */
export class ManyBatch<T> {
  readonly #factory: ManyFactory<T>
  #pending: Array<{ key: string, ctx: FactoryContext<unknown>, resolve: (value: T | typeof NOT_RETURNED) => void, reject: (err: unknown) => void }> = []

  constructor (factory: ManyFactory<T>) {
    this.#factory = factory
  }

  /** One key's getOrSet factory: its share of the batch's result. */
  forKey (key: string): (ctx: FactoryContext<unknown>) => Promise<T | typeof NOT_RETURNED> {
    return (ctx) => new Promise((resolve, reject) => {
      // The keys whose turn came in this I/O phase (their lock replies arrive together) make one call.
      if (this.#pending.length === 0) setImmediate(() => { this.#flush().catch(() => {}) })
      this.#pending.push({ key, ctx, resolve, reject })
    })
  }

  async #flush (): Promise<void> {
    const batch = this.#pending
    this.#pending = []
    const controller = new AbortController()
    for (const { ctx } of batch) {
      // The keys share the call's options: the first deadline is everyone's.
      if (ctx.signal.aborted) controller.abort(ctx.signal.reason)
      else ctx.signal.addEventListener('abort', () => controller.abort(ctx.signal.reason), { once: true })
    }
    const stale = new Map<string, T>()
    for (const { key, ctx } of batch) if (ctx.stale !== undefined) stale.set(key, ctx.stale as T)
    const ctx: ManyFactoryContext<T> = {
      signal: controller.signal,
      stale,
      setTtl: (seconds) => { for (const p of batch) p.ctx.setTtl(seconds) },
      skip: () => { for (const p of batch) p.ctx.skip() },
      uncacheable: () => { for (const p of batch) p.ctx.uncacheable() },
      tag: (...tags) => { for (const p of batch) p.ctx.tag(...tags) }
    }
    try {
      const values = toMap<T>(await this.#factory(batch.map((p) => p.key), ctx))
      for (const p of batch) {
        if (values.has(p.key)) {
          p.resolve(values.get(p.key) as T)
        } else {
          // Nothing to store, and nothing another caller of this key may take as its value.
          p.ctx.uncacheable()
          p.resolve(NOT_RETURNED)
        }
      }
    } catch (err) {
      for (const p of batch) p.reject(err)
    }
  }
}
