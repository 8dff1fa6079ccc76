import type { FastifyRequest } from 'fastify'
import { InvalidOptionsError, describe } from '../errors.js'
import { rejectUnknownOptions } from '../known-options.js'
import { MAX_TIMER_MS } from '../ttl.js'

/** How one route's responses are cached: `config: { cache: true | RouteCacheOptions }`. */
export interface RouteCacheOptions {
  /** Seconds a stored response is fresh; `null` = no expiry. Default: the cache's `ttl`. */
  ttl?: number | null
  /** Seconds a stored response is kept past its ttl, served when the handler throws or answers 5xx. Default 0. */
  grace?: number
  /** Ms: with a stale response at hand, waiting requests are answered with it after this long (as getOrSet). */
  timeout?: number
  /** Ms: requests waiting for another's computation stop waiting after this long (as getOrSet). */
  hardTimeout?: number
  /** Tags to invalidate the route's responses by (`fastify.cache.invalidateTags`). */
  tags?: (request: FastifyRequest) => string[]
  /** Query parameter names that make a different entry; others are ignored. Default: every parameter. */
  query?: string[]
  /** Request header names that make a different entry. Default none. */
  vary?: string[]
  /** Part of the key (a user or tenant id): requests with credentials are then cached, one entry per value. */
  varyBy?: (request: FastifyRequest) => string
  /** The response is the same for every caller, credentials or not. Default false. */
  shared?: boolean
  /** Statuses that may be stored (206, 304, 1xx and 5xx never are, even when listed). Default [200]. */
  statuses?: number[]
  /** Larger bodies are not stored. Default 1048576. */
  maxBytes?: number
}

/** A route's options merged with the defaults, checked once. */
export interface ResolvedRouteCache {
  readonly ttl: number | null | undefined
  readonly grace: number
  readonly timeout: number | undefined
  readonly hardTimeout: number | undefined
  readonly tags: ((request: FastifyRequest) => string[]) | undefined
  readonly query: ReadonlySet<string> | undefined
  readonly vary: readonly string[]
  readonly varyBy: ((request: FastifyRequest) => string) | undefined
  readonly shared: boolean
  readonly statuses: ReadonlySet<number>
  readonly maxBytes: number
}

const NAMES: ReadonlySet<string> = new Set([
  'ttl', 'grace', 'timeout', 'hardTimeout', 'tags', 'query', 'vary', 'varyBy', 'shared', 'statuses', 'maxBytes'
] satisfies Array<keyof RouteCacheOptions>)

const DEFAULT_MAX_BYTES = 1_048_576
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/

function fail (where: string, message: string): never {
  throw new InvalidOptionsError(`${where}: ${message}`)
}

function seconds (where: string, name: string, value: unknown, nullable: boolean): void {
  if (value === undefined || (nullable && value === null)) return
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(where, `${name} must be a finite number of seconds >= 0${nullable ? ' or null' : ''}, got ${describe(value)}`)
}

function ms (where: string, name: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_TIMER_MS)) fail(where, `${name} must be a number of ms >= 0 and <= ${MAX_TIMER_MS}, got ${describe(value)}`)
}

function fn (where: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') fail(where, `${name} must be a function of the request, got ${describe(value)}`)
}

function names (where: string, name: string, value: unknown, header: boolean): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) fail(where, `${name} must be an array of non-empty strings`)
  const list = (value as string[]).map((v) => header ? v.toLowerCase() : v)
  if (header && !list.every((v) => HEADER_NAME.test(v))) fail(where, `${name} must list header names`)
  return [...new Set(list)].sort()
}

function statuses (where: string, value: unknown): number[] | undefined {
  if (value === undefined) return undefined
  const ok = Array.isArray(value) && value.length > 0 && value.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)
  if (!ok) fail(where, 'statuses must be a non-empty array of HTTP statuses (integers from 100 to 599)')
  return value as number[]
}

/** 206, 304, 1xx and 5xx are never stored even when listed: a 304 has no body of its own, a 5xx is a failure. */
export function isNeverStored (status: number): boolean {
  return status < 200 || status === 206 || status === 304 || status >= 500
}

/** Checks one options object (the plugin's defaults or a route's own) without merging anything. */
export function checkRouteCacheOptions (options: unknown, where: string): RouteCacheOptions {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object' || Array.isArray(options)) fail(where, `must be an object, got ${describe(options)}`)
  rejectUnknownOptions(options, NAMES, where)
  const o = options as RouteCacheOptions
  seconds(where, 'ttl', o.ttl, true)
  seconds(where, 'grace', o.grace, false)
  ms(where, 'timeout', o.timeout)
  ms(where, 'hardTimeout', o.hardTimeout)
  fn(where, 'tags', o.tags)
  fn(where, 'varyBy', o.varyBy)
  if (o.shared !== undefined && typeof o.shared !== 'boolean') fail(where, `shared must be a boolean, got ${describe(o.shared)}`)
  if (o.maxBytes !== undefined && !(Number.isSafeInteger(o.maxBytes) && o.maxBytes >= 0)) fail(where, `maxBytes must be an integer >= 0, got ${describe(o.maxBytes)}`)
  return {
    ...o,
    query: names(where, 'query', o.query, false),
    vary: names(where, 'vary', o.vary, true),
    statuses: statuses(where, o.statuses)
  }
}

/** A route's `config.cache` (`true` or options) over the plugin's checked defaults → the frozen options it runs with. */
export function resolveRouteCache (config: unknown, defaults: RouteCacheOptions, where: string): ResolvedRouteCache {
  const own = config === true ? {} : checkRouteCacheOptions(config, where)
  const merged = { ...defaults }
  for (const [name, value] of Object.entries(own)) if (value !== undefined) (merged as Record<string, unknown>)[name] = value
  return Object.freeze({
    ttl: merged.ttl,
    grace: merged.grace ?? 0,
    timeout: merged.timeout,
    hardTimeout: merged.hardTimeout,
    tags: merged.tags,
    query: merged.query === undefined ? undefined : new Set(merged.query),
    vary: merged.vary ?? [],
    varyBy: merged.varyBy,
    shared: merged.shared ?? false,
    statuses: new Set((merged.statuses ?? [200]).filter((status) => !isNeverStored(status))),
    maxBytes: merged.maxBytes ?? DEFAULT_MAX_BYTES
  })
}
