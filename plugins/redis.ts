import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import type { RedisClientLike } from '../lib/connection/client-types.js'
import type { ConnectionOptions } from '../lib/connection/options.js'
import { assertNoFallback, kCodexConnection, openConnection } from './connection.js'

export type CodexRedisOptions = ConnectionOptions

declare module 'fastify' {
  interface FastifyInstance {
    /** The @redis/client client opened by codexRedis, shared with codexCache and codexSession. */
    codexRedis: RedisClientLike
  }
}

const plugin: FastifyPluginAsync<CodexRedisOptions> = async (fastify, options) => {
  assertNoFallback(fastify)
  const connection = await openConnection(fastify, options)
  fastify.decorate<RedisClientLike>('codexRedis', connection.client)
  fastify.decorate(kCodexConnection, connection)
}

export const codexRedis = fp(plugin, { fastify: '5.x', name: 'fastify-codex-redis' })
