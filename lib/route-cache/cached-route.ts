import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RouteCacheHost, RouteFactoryContext, RouteGetOrSetOptions } from './backend.js'
import { GRACE_HOLDS, OFFLINE } from '../cache/read-through/factory.js'
import { FactoryTimeoutError } from '../errors.js'
import { hasCredentials } from './credentials.js'
import { REPLAYED_HEADERS, ageOf, bodyOf, etagMatches, freshnessLeft, isStoredResponse, toEntry, unstorableReason, varyNames, type StoredResponse } from './entry.js'
import { canonicalPath, pathTag, routeKey, searchOf } from './key.js'
import type { ResolvedRouteCache } from './options.js'
import { forwardStatus, hitStatus, type ForwardReason } from './status.js'
import { RouteVary } from './vary.js'

/** One request's dealings with the cache, from lookup to onSend. */
interface RequestState {
  /** The lookup answered from the cache: onSend only labels it. */
  served?: string
  /** Not served and not computing: why (`bypass`, or `miss` for HEAD and for a request that runs its own handler). */
  reason?: ForwardReason
  /** This request computes the entry: onSend settles it. */
  computing?: Computation
  /** Tags a handler added with reply.cacheTags. */
  tags?: string[]
}

interface Computation {
  readonly ctx: RouteFactoryContext
  readonly varyNames: readonly string[]
  resolve (value: unknown): void
  reject (err: Error): void
  settled: boolean
}

/** Tells in-process waiters on a failed computation to run their own handler (and getOrSet to serve grace). */
class HandlerFailed extends Error {}

const COMPUTE = Symbol('compute')
// What a computation that may not be stored hands back (to its own caller only: waiters compute their own).
const UNSTORED = null
// What reaches the response of a 304, beside the status (RFC 9110 §15.4.5).
const NOT_MODIFIED_HEADERS = ['cache-control', 'content-location', 'etag', 'expires', 'vary']

/** Epoch ms with sub-millisecond precision: an entry stored just before a lookup began is a hit, not collapsed. */
function preciseNow (): number {
  return performance.timeOrigin + performance.now()
}

const states = new WeakMap<FastifyRequest, RequestState>()

// One RouteVary per cache and pattern: the HEAD route Fastify adds for a GET learns what the GET's responses vary on.
const varies = new WeakMap<RouteCacheHost, Map<string, RouteVary>>()

function sharedVary (host: RouteCacheHost, pattern: string, configured: readonly string[]): RouteVary {
  let byPattern = varies.get(host)
  if (byPattern === undefined) varies.set(host, byPattern = new Map())
  const id = JSON.stringify([pattern, configured])
  let vary = byPattern.get(id)
  if (vary === undefined) byPattern.set(id, vary = new RouteVary(host, pattern, configured))
  return vary
}

/** A handler adds tags to the entry it computes (no effect on a request that does not store). */
export function addCacheTags (request: FastifyRequest, tags: string[]): void {
  const state = states.get(request)
  if (state !== undefined) (state.tags ??= []).push(...tags)
}

/** One cached route: the lookup, after the app's hooks (preHandler), and onSend, which labels every response. */
export class CachedRoute {
  readonly #host: RouteCacheHost
  readonly #pattern: string
  readonly #options: ResolvedRouteCache
  readonly #sessionCookie: (request: FastifyRequest) => string | undefined
  readonly #vary: RouteVary

  constructor (host: RouteCacheHost, pattern: string, options: ResolvedRouteCache, sessionCookie: (request: FastifyRequest) => string | undefined) {
    this.#host = host
    this.#pattern = pattern
    this.#options = options
    this.#sessionCookie = sessionCookie
    this.#vary = sharedVary(host, pattern, options.vary)
  }

  async lookup (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const method = request.method
    if (method !== 'GET' && method !== 'HEAD') return undefined
    const state: RequestState = {}
    states.set(request, state)
    const options = this.#options
    if (!options.shared && options.varyBy === undefined && hasCredentials(request.headers, this.#sessionCookie(request))) {
      state.reason = 'bypass'
      return undefined
    }
    let key: string
    let names: readonly string[]
    let plan: RouteGetOrSetOptions
    try {
      plan = this.#plan(request)
      names = this.#vary.known ?? await this.#vary.load()
      key = routeKey({
        pattern: this.#pattern,
        params: (request.params ?? {}) as Record<string, unknown>,
        search: searchOf(request.url),
        query: options.query,
        vary: names,
        headers: request.headers,
        varyBy: options.varyBy === undefined ? undefined : String(options.varyBy(request))
      })
    } catch (err) {
      this.#bypass(state, err)
      return undefined
    }
    if (method === 'HEAD') return await this.#head(request, reply, state, key)
    return await this.#getOrSet(request, reply, state, key, names, plan)
  }

  async #head (request: FastifyRequest, reply: FastifyReply, state: RequestState, key: string): Promise<FastifyReply | undefined> {
    let value: unknown
    const startedAt = performance.now()
    try {
      value = await this.#host.backend.get(key)
      this.#host.up(startedAt)
    } catch (err) {
      this.#bypass(state, err)
      return undefined
    }
    if (isStoredResponse(value)) return this.#serve(request, reply, state, value, 'hit')
    state.reason = 'miss'
    return undefined
  }

  async #getOrSet (request: FastifyRequest, reply: FastifyReply, state: RequestState, key: string, names: readonly string[], plan: RouteGetOrSetOptions): Promise<FastifyReply | undefined> {
    const startedAt = performance.now()
    // Settled by whichever comes first: this request's turn to compute, or getOrSet's answer.
    let answer!: (value: unknown) => void
    let fail!: (err: unknown) => void
    const first$ = new Promise<unknown>((resolve, reject) => { answer = resolve; fail = reject })
    const done = this.#host.backend.getOrSet(key, (ctx) => new Promise((resolve, reject) => {
      // Abandoned (hardTimeout): as after a failed handler, nobody anywhere waits for this one, unless a grace copy
      // answers them (checked now: the mark must be set as the abort fails the computation).
      ctx.signal.addEventListener('abort', () => { if (!isStoredResponse(ctx.stale)) ctx.uncacheable() }, { once: true })
      state.computing = { ctx, varyNames: names, resolve, reject, settled: false }
      answer(COMPUTE)
    }), plan)
    // Once this request computes, what getOrSet answers it no longer matters (its store failing included).
    done.then((value) => {
      const computation = state.computing
      if (computation?.ctx[OFFLINE] !== true) this.#host.up(startedAt)
      // Answered from grace after its hardTimeout: the abandoned handler's late response can no longer be stored.
      if (computation !== undefined && !computation.settled && computation.ctx.signal.aborted) computation.settled = true
      answer(value)
    }, (err: unknown) => {
      const computation = state.computing
      if (computation !== undefined) {
        // getOrSet gave up on this computation (its hardTimeout): onSend only labels it, nothing will be stored.
        if (err instanceof FactoryTimeoutError) computation.settled = true
        else if (!(err instanceof HandlerFailed)) this.#host.failed(err, this.#pattern)
      }
      fail(err)
    })
    let first: unknown
    try {
      first = await first$
    } catch (err) {
      // Another request's computation failed (its handler, or its deadline): this one runs its own handler.
      if (err instanceof HandlerFailed || err instanceof FactoryTimeoutError) state.reason = 'miss'
      else this.#bypass(state, err)
      return undefined
    }
    if (first === COMPUTE) return undefined
    if (!isStoredResponse(first)) {
      // Not a response (a value another caller of this key stored): this request runs its own handler.
      state.reason = 'miss'
      return undefined
    }
    const now = Date.now()
    if (first.x !== null && now - first.t > first.x * 1000) return this.#serve(request, reply, state, first, 'stale')
    return this.#serve(request, reply, state, first, first.t >= performance.timeOrigin + startedAt ? 'collapsed' : 'hit')
  }

  #plan (request: FastifyRequest): RouteGetOrSetOptions {
    const { ttl, grace, timeout, hardTimeout, tags } = this.#options
    const all = [pathTag(canonicalPath(request.url, this.#host.pathRules))]
    if (tags !== undefined) all.push(...tags(request))
    return { ttl, grace, timeout, hardTimeout, tags: all }
  }

  #serve (request: FastifyRequest, reply: FastifyReply, state: RequestState, entry: StoredResponse, outcome: 'hit' | 'collapsed' | 'stale'): FastifyReply {
    const now = Date.now()
    state.served = outcome === 'hit'
      ? hitStatus(freshnessLeft(entry, now))
      : forwardStatus(outcome === 'stale' ? 'stale' : 'miss', { collapsed: outcome === 'collapsed' })
    reply.header('age', String(ageOf(entry, now)))
    if (etagMatches(request.headers['if-none-match'], entry.h.etag)) {
      for (const name of NOT_MODIFIED_HEADERS) if (entry.h[name] !== undefined) reply.header(name, entry.h[name])
      return reply.code(304).send()
    }
    reply.code(entry.s)
    for (const name in entry.h) reply.header(name, entry.h[name])
    return reply.send(bodyOf(entry))
  }

  #bypass (state: RequestState, err: unknown): void {
    state.reason = 'bypass'
    this.#host.failed(err, this.#pattern)
  }

  /** Labels the response; a computing request hands it to getOrSet (or, when it failed, serves the grace copy once checked). */
  onSend (request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
    const state = states.get(request)
    if (state === undefined) {
      // Answered before the lookup (an app hook's 401, a validation 400): the cache was not consulted.
      if (request.method === 'GET' || request.method === 'HEAD') reply.header('cache-status', forwardStatus('bypass'))
      return payload
    }
    const computation = state.computing
    if (state.served !== undefined || computation === undefined || computation.settled) {
      reply.header('cache-status', state.served ?? forwardStatus(state.reason ?? 'miss'))
      return payload
    }
    computation.settled = true
    if (computation.ctx[OFFLINE] !== true && reply.statusCode >= 500) return this.#failedResponse(reply, computation, payload)
    reply.header('cache-status', this.#store(reply, state, computation, payload))
    return payload
  }

  /** Hands a computed response to getOrSet, stored or declared unstorable (its waiters then run their own handler): its cache-status. */
  #store (reply: FastifyReply, state: RequestState, computation: Computation, payload: unknown): string {
    if (computation.ctx[OFFLINE] === true) {
      // getOrSet failed open: nothing is stored, the route ran as if it were not cached.
      computation.resolve(UNSTORED)
      this.#host.offline(this.#pattern)
      return forwardStatus('bypass')
    }
    const status = reply.statusCode
    const headers = reply.getHeaders()
    const names = varyNames(headers.vary)
    this.#vary.learn(names)
    let reason = unstorableReason(status, headers, payload, this.#options.statuses, this.#options.maxBytes)
    // Stored under a key that ignores a header the response varies on, it would be served to the wrong clients.
    if (reason === undefined && !names.every((name) => computation.varyNames.includes(name))) reason = 'vary'
    const entry = reason === undefined ? toEntry(status, headers, payload as string | Buffer | null | undefined, this.#options.ttl === undefined ? this.#host.defaultTtl : this.#options.ttl, preciseNow()) : undefined
    if (entry === undefined || !this.#host.fits(entry)) {
      computation.ctx.uncacheable()
      computation.resolve(UNSTORED)
      return forwardStatus('miss')
    }
    if (headers.etag === undefined && entry.h.etag !== undefined) reply.header('etag', entry.h.etag)
    if (state.tags !== undefined) computation.ctx.tag(...state.tags)
    computation.resolve(entry)
    return forwardStatus('miss', { stored: true })
  }

  /**
   * The handler threw or answered 5xx: nothing is stored; a grace copy still valid answers instead (waiting requests
   * get it too). Without one, waiting requests, here and in other processes, run their own handler at once rather
   * than queue behind the failure one by one.
   */
  async #failedResponse (reply: FastifyReply, computation: Computation, payload: unknown): Promise<unknown> {
    const stale = await this.#fail(computation, `status ${reply.statusCode}`)
    if (stale === undefined) {
      reply.header('cache-status', forwardStatus('miss'))
      return payload
    }
    // The failed response's own description goes; headers the app's onSend hooks set (CORS, security) stay.
    for (const name of [...REPLAYED_HEADERS, 'content-length']) reply.removeHeader(name)
    for (const name in stale.h) reply.header(name, stale.h[name])
    reply.code(stale.s)
    reply.header('age', String(ageOf(stale, Date.now())))
    reply.header('cache-status', forwardStatus('stale'))
    return bodyOf(stale)
  }

  /** The request ended without onSend (aborted, hijacked): its waiters must not wait for it. */
  abandon (request: FastifyRequest): void {
    const computation = states.get(request)?.computing
    if (computation === undefined || computation.settled) return
    computation.settled = true
    this.#fail(computation, 'the request ended before its response').catch(() => {})
  }

  /**
   * Fails a computation. Its grace copy, if still there (an invalidation since removed it: never served), is what
   * its waiters get and what it answers; the key stays collapsed. Without one, the key is marked uncacheable first.
   */
  async #fail (computation: Computation, why: string): Promise<StoredResponse | undefined> {
    const { ctx } = computation
    const stale = isStoredResponse(ctx.stale) && await ctx[GRACE_HOLDS]?.() === true ? ctx.stale : undefined
    if (stale === undefined) ctx.uncacheable()
    computation.reject(new HandlerFailed(why))
    return stale
  }
}
