import type { FastifyInstance } from 'fastify'
import { RedisConnection } from '../lib/connection/connection.js'
import { hasConnectionOption, resolveCommandTimeout, resolveConnectionOptions, type ConnectionOptions } from '../lib/connection/options.js'
import { connectionTarget, type ConnectionTarget } from '../lib/connection/target.js'
import { InvalidOptionsError } from '../lib/errors.js'
import { ConnectionLog } from './connection-log.js'

/** Where codexRedis leaves its connection for codexCache and codexSession to reuse. */
export const kCodexConnection = Symbol.for('fastify-codex.connection')

declare module 'fastify' {
  interface FastifyInstance {
    [kCodexConnection]?: RedisConnection
  }
}

// Instances (fastify-plugin hands a plugin its registering instance) where a plugin fell back to the default
// URL because no codexRedis was there yet: a codexRedis registered after it would silently not be shared.
const fellBack = new WeakMap<FastifyInstance, string>()

/** The Redis database `options` reach from this scope, for namespace checks; validates them (nothing is opened). */
export function targetOf (fastify: FastifyInstance, options: ConnectionOptions): ConnectionTarget {
  const shared = fastify[kCodexConnection]
  if (shared !== undefined && !hasConnectionOption(options)) return shared.client
  return connectionTarget(resolveConnectionOptions(options))
}

/**
 * The connection a plugin (`by`, for messages) should use: its own when it names one (connected now, closed in
 * onClose), else the one codexRedis registered, else a new one to the default URL.
 */
export async function acquireConnection (fastify: FastifyInstance, options: ConnectionOptions, by: string): Promise<RedisConnection> {
  const shared = fastify[kCodexConnection]
  if (!hasConnectionOption(options)) {
    if (shared === undefined) {
      fellBack.set(fastify, by)
      fastify.log.debug(`fastify-codex: ${by} found no codexRedis and opens its own connection`)
      return openConnection(fastify, options)
    }
    if (options.commandTimeout === undefined || options.commandTimeout === shared.commandTimeout) return shared
    // Same client, another deadline: nothing to open or close, and codexRedis already logs its errors.
    return new RedisConnection({ kind: 'client', client: shared.client, closeClient: false, commandTimeout: resolveCommandTimeout(options.commandTimeout) })
  }
  return openConnection(fastify, options)
}

/** Refuses codexRedis in a scope where codexCache or codexSession already opened their own default connection. */
export function assertNoFallback (fastify: FastifyInstance): void {
  const by = fellBack.get(fastify)
  if (by === undefined) return
  throw new InvalidOptionsError(`${by} was registered before codexRedis and opened its own connection to REDIS_URL ` +
    '(or the default): register codexRedis first, so that they share its connection')
}

/** Opens the connection `options` describe: connected before registration ends, closed once in onClose. */
export async function openConnection (fastify: FastifyInstance, options: ConnectionOptions): Promise<RedisConnection> {
  // The deadline counts from here: building a client can itself take tens of ms on a cold start.
  const startedAt = performance.now()
  const log = new ConnectionLog(fastify)
  const connection = new RedisConnection(resolveConnectionOptions(options), log.onError)
  fastify.addHook('onClose', () => connection.close())
  await connection.connect(startedAt)
  log.watch(connection)
  return connection
}
