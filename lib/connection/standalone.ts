import { InvalidOptionsError } from '../errors.js'
import type { RedisClientLike } from './client-types.js'
import { RedisConnection } from './connection.js'
import { resolveConnectionOptions } from './options.js'

/** A hand-built RedisCache's or RedisSessionStore's connection: a constructor cannot connect, so the client must be open. */
export function standaloneConnection (client: RedisClientLike, commandTimeout: number | undefined): RedisConnection {
  const options = resolveConnectionOptions({ client, commandTimeout })
  if ((client as { isOpen?: unknown }).isOpen !== true) {
    throw new InvalidOptionsError('the client is not connected: call `await client.connect()` first (the plugins connect a passed-in client for you)')
  }
  // No error listener: a passed-in client's error events stay its owner's; failed commands still reject.
  return new RedisConnection(options)
}
