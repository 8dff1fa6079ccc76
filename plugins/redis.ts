import fp from 'fastify-plugin'
import type { FastifyCodexTypes, FastifyPluginAsync } from 'fastify'
import type { RedisClientLike } from '../lib/connection/client-types.js'
import type { ConnectionOptions } from '../lib/connection/options.js'
import { rejectUnknownOptions } from '../lib/known-options.js'
import { checkHealth, runUserCommand, type RedisHealth } from '../lib/connection/user-commands.js'
import { assertNoFallback, kCodexConnection, openConnection } from './connection.js'

export type CodexRedisOptions = ConnectionOptions

/**
 * The type of `fastify.codexRedis`: any @redis/client client until you name yours in `FastifyCodexTypes`,
 * e.g. `client: RedisClientType` for a single node, which brings `sendCommand`, `scanIterator`, …
 */
export type CodexRedisClient = FastifyCodexTypes extends { client: infer C } ? C : RedisClientLike

/** Runs your own commands under `commandTimeout`, with errors translated (503 / 500) as fastify-codex's own. */
export type CodexRedisCommand = <T>(command: (client: CodexRedisClient) => Promise<T> | T) => Promise<T>

declare module 'fastify' {
  /**
   * Type-only settings, filled in by your app (like @fastify/session's `Session`):
   * `client: RedisClientType` types `fastify.codexRedis` as that client (single node: `sendCommand`, `scanIterator`…);
   * `cache: false` leaves `fastify.cache` undeclared, for @fastify/caching's decorator of that name.
   */
  interface FastifyCodexTypes {}

  interface FastifyInstance {
    /** The @redis/client client opened by codexRedis, shared with codexCache and codexSession. */
    codexRedis: CodexRedisClient
    /** `await fastify.codexRedisCommand((client) => client.hGetAll(key))`: bounded by `commandTimeout`, errors translated. */
    codexRedisCommand: CodexRedisCommand
    /** PING within `commandTimeout`: `{ status: 'ok', latencyMs }`, or rejects with FST_CODEX_REDIS_UNAVAILABLE (503). */
    codexRedisHealth: () => Promise<RedisHealth>
  }
}

// ConnectionOptions' names, plus those Fastify's register() itself reads and leaves in the options object.
const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['url', 'client', 'closeClient', 'cluster', 'sentinel', 'commandTimeout', 'prefix', 'logLevel', 'logSerializers'])

const plugin: FastifyPluginAsync<CodexRedisOptions> = async (fastify, options) => {
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'codexRedis')
  assertNoFallback(fastify)
  const connection = await openConnection(fastify, options)
  fastify.decorate<RedisClientLike>('codexRedis', connection.client)
  const command: CodexRedisCommand = (run) => runUserCommand(connection, run)
  fastify.decorate<CodexRedisCommand>('codexRedisCommand', command)
  fastify.decorate<() => Promise<RedisHealth>>('codexRedisHealth', () => checkHealth(connection))
  fastify.decorate(kCodexConnection, connection)
}

export const codexRedis = fp(plugin, { fastify: '5.x', name: 'fastify-codex-redis' })
