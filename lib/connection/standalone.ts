import { InvalidOptionsError } from '../errors.js'
import type { RedisClientLike } from './client-types.js'
import { RedisConnection } from './connection.js'
import { resolveConnectionOptions } from './options.js'

/**
 * The connection of a RedisCache or RedisSessionStore built by hand around the caller's client. Their constructors
 * cannot await a connect, and an unconnected client would otherwise surface as 503s on every command.
 */
export function standaloneConnection (client: RedisClientLike, commandTimeout: number | undefined): RedisConnection {
  const options = resolveConnectionOptions({ client, commandTimeout })
  if ((client as { isOpen?: unknown }).isOpen !== true) {
    throw new InvalidOptionsError('the client is not connected: call `await client.connect()` first (the plugins connect a passed-in client for you)')
  }
  // No error listener: a passed-in client's error events stay its owner's; failed commands still reject.
  return new RedisConnection(options)
}
