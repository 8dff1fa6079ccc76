import { RedisUnavailableError } from '../../errors.js'
import { EXPIRED, type Ttl } from '../../ttl.js'
import { encodePayload } from '../writer.js'
import type { FactoryRun } from './factory.js'
import type { Outcome } from './single-flight.js'
import { uncacheableMs, type UncacheableKeys } from './uncacheable.js'
import { readEpochs, recordTags, resolveTags, sameEpochs } from '../tags.js'
import type { Plan, ResolvedCacheOptions } from '../options.js'
import type { ReadThroughParts } from './read-through.js'

/** Whether getOrSet goes on without Redis after `err`: it is unreachable and the cache was made with failOpen. */
export function failsOpen (options: ResolvedCacheOptions, err: unknown): boolean {
  return options.failOpen && err instanceof RedisUnavailableError
}

/** getOrSet's write side: what becomes of a computation's result (stored, marked uncacheable, or handed back). */
export class Keeper {
  readonly #host: ReadThroughParts
  readonly #alone: UncacheableKeys

  constructor (host: ReadThroughParts, alone: UncacheableKeys) {
    this.#host = host
    this.#alone = alone
  }

  /** Stores a result, marks it uncacheable or hands it back; a failure after uncacheable() marks the key first, so nobody queues behind it. */
  async keep (key: string, fullKey: string, staleKey: string, run: FactoryRun, plan: Plan, epochs: Array<string | null> | undefined): Promise<Exclude<Outcome, { alone: true }>> {
    const { connection, keys, options } = this.#host
    const ttl = run.ttl === undefined ? plan.ttl : run.ttl
    if (run.uncacheable) {
      const ms = uncacheableMs(ttl)
      this.#alone.mark(fullKey, ms)
      try {
        // Before the lock is released and waiters are woken: they must find the mark.
        if (ms > 0) await connection.run((c) => c.set(keys.uncacheable(fullKey), '1', { expiration: { type: 'PX', value: ms } }))
      } catch (err) {
        if (!failsOpen(options, err) && run.failure === undefined) throw err
      }
      if (run.failure !== undefined) throw run.failure.error
      return { value: run.value, uncacheable: true }
    }
    if (run.failure !== undefined) throw run.failure.error
    if (run.skipped) return { value: run.value }
    const text = encodePayload(this.#host.options, key, run.value)
    let tags = plan.tags
    try {
      if (run.tags !== undefined) {
        // Tags the factory added count from when it returned: an invalidation after that undoes the write.
        const added = resolveTags(run.tags)!.filter((tag) => !(plan.tags ?? []).includes(tag))
        if (added.length > 0) {
          tags = [...(plan.tags ?? []), ...added]
          epochs = [...(epochs ?? []), ...await readEpochs(connection, keys, added)]
        }
      }
      // A storable value: the key makes callers wait for computations again, here and (its mark gone) elsewhere.
      this.#alone.clear(fullKey)
      await Promise.all([
        this.#store(fullKey, staleKey, text, ttl, { ...plan, tags }, epochs),
        connection.run((c) => c.unlink(keys.uncacheable(fullKey)))
      ])
    } catch (err) {
      if (failsOpen(options, err)) return { text }
      throw err
    }
    return { text }
  }

  /** Writes as `set` would (plus the grace copy and tags); a tag invalidated since `epochs` were read undoes it. */
  async #store (fullKey: string, staleKey: string, text: string, ttl: Ttl, plan: Plan, epochs: Array<string | null> | undefined): Promise<void> {
    const { connection, keys, writer } = this.#host
    if (ttl === EXPIRED) {
      // Not kept: neither may an older grace copy be, or a later failed refresh would serve what this one replaced.
      await writer.write(fullKey, (c) => Promise.all([c.unlink(fullKey), c.unlink(staleKey)]))
      return
    }
    const withGrace = plan.graceMs > 0 && ttl !== null
    const lifetime = ttl === null ? null : ttl + (withGrace ? plan.graceMs : 0)
    await Promise.all([
      writer.write(fullKey, (c) => Promise.all([
        c.set(fullKey, text, ttl === null ? undefined : { expiration: { type: 'PX', value: ttl } }),
        // A write without grace drops an older grace copy: it must never outlive a newer value.
        withGrace ? c.set(staleKey, text, { expiration: { type: 'PX', value: lifetime! } }) : c.unlink(staleKey)
      ])),
      plan.tags === undefined ? undefined : recordTags(connection, keys, plan.tags, [{ fullKey, lifetime }])
    ])
    if (epochs === undefined || plan.tags === undefined) return
    // Write, then check: an invalidation that began before our write ends with our value deleted, either here
    // (its epoch bump is visible now) or by itself (its member scan, after the bump, sees our tag entry).
    if (!sameEpochs(epochs, await readEpochs(connection, keys, plan.tags))) {
      await writer.write(fullKey, (c) => Promise.all([c.unlink(fullKey), c.unlink(staleKey)]))
    }
  }
}
