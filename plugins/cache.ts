import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { RedisCache } from '../lib/cache/cache.js'
import { resolveCacheOptions, type CacheOptions } from '../lib/cache/options.js'
import type { ConnectionOptions } from '../lib/connection/options.js'
import { InvalidOptionsError } from '../lib/errors.js'
import { acquireConnection } from './connection.js'

export interface CodexCacheOptions extends ConnectionOptions, CacheOptions {
  /** Name of the decorator holding the cache. Default `'cache'` (rename to live beside @fastify/caching). */
  decorator?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The Redis cache registered by codexCache (under its default decorator name). */
    cache: RedisCache
  }
}

const plugin: FastifyPluginAsync<CodexCacheOptions> = async (fastify, options) => {
  const { decorator = 'cache', ...rest } = options
  if (typeof decorator !== 'string' || decorator === '') throw new InvalidOptionsError('decorator must be a non-empty string')
  // Options are checked before any connection is opened: bad options never leave a socket behind.
  resolveCacheOptions(rest)
  if (fastify.hasDecorator(decorator)) throw new InvalidOptionsError(`fastify.${decorator} already exists: pick another decorator name`)
  const connection = await acquireConnection(fastify, rest)
  const cache = new RedisCache(connection, { logger: fastify.log, ...rest })
  // The cache's own pub/sub subscriber (getOrSet's notifications) closes with the app.
  fastify.addHook('onClose', () => cache.close())
  fastify.decorate(decorator, cache)
}

export const codexCache = fp(plugin, { fastify: '5.x', name: 'fastify-codex-cache' })
