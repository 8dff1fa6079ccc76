import { FactoryTimeoutError, InvalidOptionsError } from '../../errors.js'
import { ComputeLock } from './compute-lock.js'
import { runFactory, type Factory } from './factory.js'
import { failsOpen, Keeper } from './keep.js'
import type { Notifier } from './notify.js'
import { awaitTurn, Flight, type Outcome } from './single-flight.js'
import { ManyBatch, NOT_RETURNED, type ManyFactory } from './many.js'
import { UncacheableKeys } from './uncacheable.js'
import { readEpochs } from '../tags.js'
import { encodePayload } from '../writer.js'
import { resolvePlan, type GetOrSetOptions, type Plan } from '../options.js'
import type { CacheContext } from '../../observe/channels.js'
import type { BatchParts } from '../batch.js'

/** What getOrSet uses of its RedisCache: the multi-key methods' parts, plus the notifier that wakes waiters. */
export interface ReadThroughParts extends BatchParts {
  readonly notifier: Notifier
}

/** How a getOrSet miss was answered, counted once per caller. */
type MissOutcome = 'stale' | 'computed' | 'collapsed'

/** getOrSet: a hit is one GET; a miss joins this process's flight for the key (single-flight.ts). Grace copies live under a key `get` never reads. */
export class ReadThrough {
  readonly #host: ReadThroughParts
  readonly #flights = new Map<string, Flight>()
  readonly #alone = new UncacheableKeys()
  readonly #keeper: Keeper

  constructor (host: ReadThroughParts) {
    this.#host = host
    this.#keeper = new Keeper(host, this.#alone)
  }

  /** `ctx`: the traced call's context (`fastify-codex:cache`), when someone listens. */
  async getOrSet<T> (key: string, factory: Factory<T>, opts: GetOrSetOptions | undefined, ctx: CacheContext | undefined): Promise<T> {
    try {
      const plan = resolvePlan(opts, this.#host.options)
      if (typeof factory !== 'function') throw new InvalidOptionsError('getOrSet needs a factory function')
      const fullKey = this.#host.makeKey(key, plan.version)
      // A flight whose computation just marked the key (it is still writing the mark) is no longer to be joined.
      const flight = this.#alone.has(fullKey) ? undefined : this.#flights.get(fullKey)
      if (flight === undefined) {
        let text: string | null = null
        let offline = false
        const read = this.#host.reader.share(fullKey)
        try {
          text = await read.text
        } catch (err) {
          if (!failsOpen(this.#host.options, err)) throw err
          offline = true
        } finally {
          read.settled()
        }
        if (text !== null) {
          this.#host.counters.hits++
          if (ctx !== undefined) {
            ctx.outcome = 'hit'
            ctx.layer = read.near ? 'near' : 'redis'
          }
          return read.take(text) as T
        }
        return await this.#afterMiss(key, fullKey, factory as Factory<unknown>, plan, offline, ctx) as T
      }
      return await this.#wait(flight, key, fullKey, factory as Factory<unknown>, plan, false, ctx) as T
    } catch (err) {
      this.#host.counters.errors++
      throw err
    }
  }

  /** Counts a miss's answer once: `computed` by this caller, `collapsed` onto another's computation, or `stale`. */
  #answered (ctx: CacheContext | undefined, outcome: MissOutcome): void {
    this.#host.counters[outcome]++
    if (ctx !== undefined) ctx.outcome = outcome
  }

  /** One read of every key; each missing key takes getOrSet's miss path, and this process's computations make one factory call. */
  async getOrSetMany<T> (keys: Iterable<string>, factory: ManyFactory<T>, opts: GetOrSetOptions | undefined, ctx: CacheContext | undefined): Promise<Map<string, T>> {
    try {
      const plan = resolvePlan(opts, this.#host.options)
      if (typeof factory !== 'function') throw new InvalidOptionsError('getOrSetMany needs a factory function')
      const list = [...new Set(keys)]
      if (ctx !== undefined) ctx.keys = list.length
      const fullKeys = list.map((key) => this.#host.makeKey(key, plan.version))
      const { reader } = this.#host
      let found = new Map<string, unknown>()
      let offline = false
      try {
        if (list.length > 0) found = reader.found(list, await reader.texts(fullKeys))
      } catch (err) {
        if (!failsOpen(this.#host.options, err)) throw err
        offline = true
      }
      const batch = new ManyBatch<T>(factory)
      this.#host.counters.hits += found.size
      const computed = await Promise.all(list.map(async (key, i) => found.has(key)
        ? found.get(key)
        : await this.#afterMiss(key, fullKeys[i]!, batch.forKey(key) as Factory<unknown>, plan, offline, undefined)))
      const values = new Map<string, T>()
      list.forEach((key, i) => { if (computed[i] !== NOT_RETURNED) values.set(key, computed[i] as T) })
      return values
    } catch (err) {
      this.#host.counters.errors++
      throw err
    }
  }

  /** A miss: compute alone (the key's last computation could not be stored), or join / start this process's flight. */
  async #afterMiss (key: string, fullKey: string, factory: Factory<unknown>, plan: Plan, offline: boolean, ctx: CacheContext | undefined): Promise<unknown> {
    if (!offline && this.#alone.has(fullKey)) return await this.#computeAlone(key, fullKey, factory, plan, ctx)
    const joined = this.#flights.get(fullKey)
    if (joined !== undefined) return await this.#wait(joined, key, fullKey, factory, plan, false, ctx)
    return await this.#wait(this.#start(key, fullKey, factory, plan, offline), key, fullKey, factory, plan, true, ctx)
  }

  #start (key: string, fullKey: string, factory: Factory<unknown>, plan: Plan, offline: boolean): Flight {
    const flight = new Flight()
    this.#flights.set(fullKey, flight)
    const flying = offline ? this.#computeOffline(flight, key, factory, plan) : this.#fly(flight, key, fullKey, factory, plan)
    flight.result = flying.finally(() => {
      flight.setStale(null)
      this.#flights.delete(fullKey)
    })
    // Callers that returned a stale value early no longer listen: the background refresh must not crash the process.
    flight.result.catch(() => {})
    return flight
  }

  async #fly (flight: Flight, key: string, fullKey: string, factory: Factory<unknown>, plan: Plan): Promise<Outcome> {
    const staleKey = this.#host.keys.stale(fullKey)
    const lock = new ComputeLock(this.#host.connection, this.#host.keys.computeLock(fullKey))
    let turn
    try {
      turn = await awaitTurn(this.#host.connection, this.#host.notifier, flight, fullKey, staleKey, lock, this.#host.keys.uncacheable(fullKey))
    } catch (err) {
      if (!failsOpen(this.#host.options, err)) throw err
      return await this.#computeOffline(flight, key, factory, plan)
    }
    if (turn.how === 'landed') return { text: turn.text }
    if (turn.how === 'alone') {
      // Learnt from another process's mark: this process's later callers compute alone too, as do this flight's.
      this.#alone.mark(fullKey, turn.ms)
      return { alone: true }
    }
    flight.computed = true
    const owned = turn.how === 'owner'
    let stored = false
    try {
      if (owned) lock.keepAlive()
      const outcome = await this.#compute(flight, key, fullKey, staleKey, factory, plan)
      stored = 'text' in outcome
      return outcome
    } finally {
      // Announced in every case. Stored: release and announce in one round trip (waiters will find the value).
      // Otherwise the lock must be gone before waiters wake, or they would sleep until it expires.
      const released = owned ? lock.release() : Promise.resolve()
      const announced = stored ? this.#host.notifier.publish(fullKey) : released.then(() => this.#host.notifier.publish(fullKey))
      Promise.all([released, announced]).catch(() => {})
    }
  }

  /** Fail open: compute here (this flight is the once per process), store nothing. */
  async #computeOffline (flight: Flight, key: string, factory: Factory<unknown>, plan: Plan): Promise<Outcome> {
    flight.setStale(null)
    flight.computed = true
    const run = await runFactory(factory, undefined, plan.hardTimeout, flight.controller, true)
    if (run.failure !== undefined) throw run.failure.error
    if (run.uncacheable) return { value: run.value, uncacheable: true }
    return run.skipped ? { value: run.value } : { text: encodePayload(this.#host.options, key, run.value) }
  }

  async #compute (flight: Flight, key: string, fullKey: string, staleKey: string, factory: Factory<unknown>, plan: Plan): Promise<Outcome> {
    let epochs: Array<string | null> | undefined
    try {
      epochs = plan.tags === undefined ? undefined : await readEpochs(this.#host.connection, this.#host.keys, plan.tags)
    } catch (err) {
      if (failsOpen(this.#host.options, err)) return await this.#computeOffline(flight, key, factory, plan)
      throw err
    }
    const staleText = await flight.staleText
    const run = await runFactory(factory, this.#parseStale(staleText), plan.hardTimeout, flight.controller, false,
      async () => staleText !== null && await this.#graceHolds(fullKey, staleText))
    return await this.#keeper.keep(key, fullKey, staleKey, run, plan, epochs)
  }

  #parseStale (text: string | null): unknown {
    try {
      return text === null ? undefined : this.#host.reader.parse(text)
    } catch {
      // An unreadable stale copy is no stale value: refresh as if there were none.
      return undefined
    }
  }

  /** The key's last computation could not be stored: compute on a flight nobody joins (`staleText`: the grace copy already read). */
  async #computeAlone (key: string, fullKey: string, factory: Factory<unknown>, plan: Plan, ctx: CacheContext | undefined, staleText?: string | null): Promise<unknown> {
    const staleKey = this.#host.keys.stale(fullKey)
    const flight = new Flight()
    flight.computed = true
    if (staleText !== undefined || plan.graceMs <= 0) flight.setStale(staleText ?? null)
    // Read beside the tags' epochs (#compute awaits it after them); a failed read only costs the stale value.
    else this.#host.connection.run((c) => c.get(staleKey)).then((text) => flight.setStale(text), () => flight.setStale(null))
    flight.result = this.#compute(flight, key, fullKey, staleKey, factory, plan)
    // A caller that answered the stale value early no longer listens.
    flight.result.catch(() => {})
    return await this.#wait(flight, key, fullKey, factory, plan, true, ctx)
  }

  /** Whether the grace copy is still there just before serving it: an invalidated value must never be served. */
  async #graceHolds (fullKey: string, text: string): Promise<boolean> {
    try {
      return await this.#host.connection.run((c) => c.get(this.#host.keys.stale(fullKey))) === text
    } catch {
      // Unverifiable (Redis unreachable): the caller gets the refresh's error rather than a maybe-invalidated value.
      return false
    }
  }

  /** One caller's wait on a flight, under its own lockTimeout, hardTimeout, timeout and grace. */
  async #wait (flight: Flight, key: string, fullKey: string, factory: Factory<unknown>, plan: Plan, started: boolean, ctx: CacheContext | undefined): Promise<unknown> {
    const { logger } = this.#host.options
    const { reader } = this.#host
    const timers: NodeJS.Timeout[] = []
    const after = <R>(ms: number, value: () => R | Promise<R>): Promise<R> =>
      new Promise((resolve) => { timers.push(setTimeout(() => resolve(value()), ms)) })
    const STALE = Symbol('stale')
    const HARD = Symbol('hard')
    const racers: Array<Promise<Outcome | typeof STALE | typeof HARD>> = [flight.result]
    timers.push(setTimeout(() => flight.stopWaiting(), plan.lockTimeout))
    racers.push(after(plan.hardTimeout, () => HARD))
    const graceful = plan.graceMs > 0
    if (graceful && plan.timeout !== undefined) {
      // Only a stale value at hand ends the wait early; without one, this racer never settles.
      racers.push(after(plan.timeout, () => flight.staleText)
        .then(async (text): Promise<typeof STALE> => text !== null && await this.#graceHolds(fullKey, text) ? STALE : await new Promise<never>(() => {})))
    }
    const serveStale = async (err: unknown): Promise<unknown> => {
      const text = graceful ? await flight.staleText : null
      if (text === null || !await this.#graceHolds(fullKey, text)) throw err
      logger.warn({ err, key: fullKey }, 'fastify-codex: getOrSet answered a stale value, the refresh failed')
      const value = reader.parse(text)
      this.#answered(ctx, 'stale')
      return value
    }
    try {
      const outcome = await Promise.race(racers)
      if (outcome === STALE) {
        const value = reader.parse((await flight.staleText)!)
        this.#answered(ctx, 'stale')
        return value
      }
      if (outcome === HARD) {
        const err = new FactoryTimeoutError(plan.hardTimeout)
        // The computation runs under the options of the call that started it: that call's deadline abandons it.
        if (started) flight.controller.abort(err)
        return await serveStale(err)
      }
      // Nobody computed (uncacheable mark), or another caller's uncacheable value is its own: compute here.
      if ('alone' in outcome || (!('text' in outcome) && outcome.uncacheable === true && !started)) {
        return await this.#computeAlone(key, fullKey, factory, plan, ctx, await flight.staleText)
      }
      const value = 'text' in outcome ? reader.parse(outcome.text) : outcome.value
      this.#answered(ctx, started && flight.computed ? 'computed' : 'collapsed')
      return value
    } catch (err) {
      return await serveStale(err)
    } finally {
      for (const timer of timers) clearTimeout(timer)
    }
  }
}
