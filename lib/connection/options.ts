import type { RedisClusterOptions, RedisSentinelOptions } from '@redis/client'
import { InvalidOptionsError, describe } from '../errors.js'
import { MAX_TIMER_MS } from '../ttl.js'
import type { RedisClientLike } from './client-types.js'
import { parseRedisUrl, redactUrl, type ClientAddress } from './url.js'

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/0'
export const DEFAULT_COMMAND_TIMEOUT = 2000

/** Connection options accepted by all three plugins. */
export interface ConnectionOptions {
  /** `redis://`, `rediss://`, `unix:///path` or `redis+unix:///path`. Default: `REDIS_URL`, else redis://127.0.0.1:6379/0. */
  url?: string
  /** An existing @redis/client client: used as is and left open unless `closeClient` is true. */
  client?: RedisClientLike
  /** Close a passed-in `client` when Fastify closes. */
  closeClient?: boolean
  /** Options for a Redis Cluster client (`rootNodes`, `defaults`, …). */
  cluster?: RedisClusterOptions
  /** Options for a Redis Sentinel client (`name`, `sentinelRootNodes`, …). */
  sentinel?: RedisSentinelOptions
  /** Milliseconds after which a command fails with FST_CODEX_REDIS_UNAVAILABLE. Default 2000. */
  commandTimeout?: number
}

export type ResolvedConnectionOptions = Readonly<
  | { kind: 'client', client: RedisClientLike, closeClient: boolean, commandTimeout: number }
  | { kind: 'single', address: ClientAddress, /** The url without its password, for messages. */ label: string, commandTimeout: number }
  | { kind: 'cluster', cluster: RedisClusterOptions, commandTimeout: number }
  | { kind: 'sentinel', sentinel: RedisSentinelOptions, commandTimeout: number }
>

/** Whether the caller named a connection at all (else the plugins reuse `fastify.codexRedis`). */
export function hasConnectionOption (options: ConnectionOptions): boolean {
  return options.url !== undefined || options.client !== undefined ||
    options.cluster !== undefined || options.sentinel !== undefined
}

export function resolveCommandTimeout (value: unknown): number {
  if (value === undefined) return DEFAULT_COMMAND_TIMEOUT
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new InvalidOptionsError(`commandTimeout must be a positive number of milliseconds up to ${MAX_TIMER_MS}, got ${typeof value === 'string' ? `the string '${value}'` : describe(value)}`)
  }
  return value
}

/** Validates once, at registration: exactly one way to reach Redis, and a sane timeout. */
export function resolveConnectionOptions (options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): ResolvedConnectionOptions {
  const commandTimeout = resolveCommandTimeout(options.commandTimeout)
  const named = (['url', 'client', 'cluster', 'sentinel'] as const).filter((name) => options[name] !== undefined)
  if (named.length > 1) throw new InvalidOptionsError(`give one of url, client, cluster, sentinel; got ${named.join(' and ')}`)
  if (options.closeClient !== undefined && typeof options.closeClient !== 'boolean') {
    throw new InvalidOptionsError('closeClient must be a boolean')
  }
  if (options.client !== undefined) {
    if (!isObject(options.client) || typeof (options.client as { connect?: unknown }).connect !== 'function') {
      throw new InvalidOptionsError('client must be a @redis/client client (createClient, createCluster or createSentinel)')
    }
    return Object.freeze({ kind: 'client', client: options.client, closeClient: options.closeClient === true, commandTimeout })
  }
  if (options.cluster !== undefined) {
    if (!isObject(options.cluster) || !Array.isArray(options.cluster.rootNodes) || options.cluster.rootNodes.length === 0) {
      throw new InvalidOptionsError('cluster.rootNodes must list at least one node')
    }
    return Object.freeze({ kind: 'cluster', cluster: options.cluster, commandTimeout })
  }
  if (options.sentinel !== undefined) {
    if (!isObject(options.sentinel) || typeof options.sentinel.name !== 'string' || options.sentinel.name === '' || !Array.isArray(options.sentinel.sentinelRootNodes) || options.sentinel.sentinelRootNodes.length === 0) {
      throw new InvalidOptionsError('sentinel needs a master name and at least one of sentinelRootNodes')
    }
    return Object.freeze({ kind: 'sentinel', sentinel: options.sentinel, commandTimeout })
  }
  // `url: null` is a mistake, not a request for the default; an empty REDIS_URL is as good as unset.
  const fromEnv = env.REDIS_URL === undefined || env.REDIS_URL === '' ? DEFAULT_REDIS_URL : env.REDIS_URL
  const url = options.url === undefined ? fromEnv : options.url
  if (typeof url !== 'string' || url === '') throw new InvalidOptionsError('url must be a non-empty string')
  return Object.freeze({ kind: 'single', address: parseRedisUrl(url), label: redactUrl(url), commandTimeout })
}

function isObject (value: unknown): value is object {
  return typeof value === 'object' && value !== null
}
