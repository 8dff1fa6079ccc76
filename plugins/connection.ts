import type { FastifyInstance } from 'fastify'
import { RedisConnection } from '../lib/connection/connection.js'
import { hasConnectionOption, resolveCommandTimeout, resolveConnectionOptions, type ConnectionOptions } from '../lib/connection/options.js'

/** Where codexRedis leaves its connection for codexCache and codexSession to reuse. */
export const kCodexConnection = Symbol.for('fastify-codex.connection')

declare module 'fastify' {
  interface FastifyInstance {
    [kCodexConnection]?: RedisConnection
  }
}

// One line per distinct failure, not one per reconnect attempt (every ~500 ms during an outage).
const REPEAT_LOG_AFTER_MS = 10_000

function errorLogger (fastify: FastifyInstance): (err: Error) => void {
  let last = ''
  let lastAt = 0
  return (err) => {
    const now = Date.now()
    if (err.message === last && now - lastAt < REPEAT_LOG_AFTER_MS) return
    last = err.message
    lastAt = now
    fastify.log.error({ err }, 'fastify-codex: Redis client error')
  }
}

/**
 * The connection a plugin should use: its own when it names one (connected now, closed in onClose),
 * else the one codexRedis registered, else a new one to the default URL.
 */
export async function acquireConnection (fastify: FastifyInstance, options: ConnectionOptions): Promise<RedisConnection> {
  const shared = fastify[kCodexConnection]
  if (shared !== undefined && !hasConnectionOption(options)) {
    if (options.commandTimeout === undefined || options.commandTimeout === shared.commandTimeout) return shared
    // Same client, another deadline: nothing to open or close, and codexRedis already logs its errors.
    return new RedisConnection({ kind: 'client', client: shared.client, closeClient: false, commandTimeout: resolveCommandTimeout(options.commandTimeout) })
  }
  return openConnection(fastify, options)
}

/** Opens the connection `options` describe: connected before registration ends, closed once in onClose. */
export async function openConnection (fastify: FastifyInstance, options: ConnectionOptions): Promise<RedisConnection> {
  // The deadline counts from here: building a client can itself take tens of ms on a cold start.
  const startedAt = performance.now()
  const connection = new RedisConnection(resolveConnectionOptions(options), errorLogger(fastify))
  fastify.addHook('onClose', () => connection.close())
  await connection.connect(startedAt)
  return connection
}
