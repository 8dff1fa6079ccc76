import fp from 'fastify-plugin'
import type { FastifyCodexTypes, FastifyPluginAsync } from 'fastify'
import './redis.js'
// Its route config and reply.cacheTags declarations must reach the published types too (a side-effect import keeps them).
import './route-cache.js'
import { RedisCache } from '../lib/cache/cache.js'
import { CACHE_OPTION_NAMES, resolveCacheOptions, type CacheOptions } from '../lib/cache/options.js'
import type { ConnectionOptions } from '../lib/connection/options.js'
import { InvalidOptionsError } from '../lib/errors.js'
import { rejectUnknownOptions } from '../lib/known-options.js'
import { checkRouteCacheOptions, type RouteCacheOptions } from '../lib/route-cache/options.js'
import { acquireConnection, targetOf } from './connection.js'
import { claimNamespace } from './namespaces.js'
import { registerRouteCache } from './route-cache.js'

export interface CodexCacheOptions extends ConnectionOptions, CacheOptions {
  /** Name of the decorator holding the cache. Default `'cache'` (rename to live beside @fastify/caching). */
  decorator?: string
  /** Defaults for the routes cached with `config: { cache }` in this cache's scope. */
  routeCache?: RouteCacheOptions
}

/**
 * `fastify.cache`, declared unless your app sets `cache: false` in `FastifyCodexTypes` (another plugin, such as
 * @fastify/caching, declares a `cache` of its own type: two declarations of one property would not compile).
 */
export type CodexCacheDecoration = FastifyCodexTypes extends { cache: false } ? object : {
  /** The Redis cache registered by codexCache (under its default decorator name). */
  cache: RedisCache
}

declare module 'fastify' {
  interface FastifyInstance extends CodexCacheDecoration {}
}

const CONNECTION_OPTION_NAMES = ['url', 'client', 'closeClient', 'cluster', 'sentinel', 'commandTimeout'] satisfies Array<keyof ConnectionOptions>
const CODEX_CACHE_OPTION_NAMES: ReadonlySet<string> = new Set([...CONNECTION_OPTION_NAMES, ...CACHE_OPTION_NAMES, 'decorator', 'routeCache'])

const plugin: FastifyPluginAsync<CodexCacheOptions> = async (fastify, options) => {
  rejectUnknownOptions(options, CODEX_CACHE_OPTION_NAMES, 'codexCache')
  const { decorator = 'cache', routeCache, ...rest } = options
  if (typeof decorator !== 'string' || decorator === '') throw new InvalidOptionsError('decorator must be a non-empty string')
  // Options are checked before any connection is opened: bad options never leave a socket behind.
  const { keyPrefix } = resolveCacheOptions(rest)
  const routeDefaults = checkRouteCacheOptions(routeCache, 'codexCache routeCache')
  if (fastify.hasDecorator(decorator)) throw new InvalidOptionsError(`fastify.${decorator} already exists: pick another decorator name`)
  claimNamespace(fastify, targetOf(fastify, rest), { prefix: keyPrefix, owner: `codexCache (decorator '${decorator}', keyPrefix '${keyPrefix}')`, shareable: true })
  const connection = await acquireConnection(fastify, rest, 'codexCache')
  const cache = new RedisCache(connection, { logger: fastify.log, ...rest })
  // The near cache's tracking connection and getOrSet's subscriber are ours even when the client is shared.
  fastify.addHook('onClose', () => cache.close())
  await cache.nearCacheReady
  fastify.decorate(decorator, cache)
  registerRouteCache(fastify, cache, routeDefaults)
}

export const codexCache = fp(plugin, { fastify: '5.x', name: 'fastify-codex-cache' })
