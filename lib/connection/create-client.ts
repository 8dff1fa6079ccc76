import { createClient, createCluster, createSentinel } from '@redis/client'
import type { RedisClientLike } from './client-types.js'
import type { ResolvedConnectionOptions } from './options.js'

// timeout 0: our DeadlineQueue bounds every command, and @redis/client's per-command AbortSignal costs ~3x throughput.
// disableOfflineQueue: while disconnected, fail at once (503) rather than queue writes that would land minutes later.
function nodeDefaults (commandTimeout: number) {
  return {
    disableOfflineQueue: true,
    commandOptions: { timeout: 0 },
    socket: { connectTimeout: commandTimeout }
  }
}

/** Builds (but does not connect) the client the options describe; a passed-in client is returned as is. */
export function createRedisClient (options: ResolvedConnectionOptions): RedisClientLike {
  const defaults = nodeDefaults(options.commandTimeout)
  switch (options.kind) {
    case 'client':
      return options.client
    case 'single': {
      const { address } = options
      if ('url' in address) return createClient({ ...defaults, url: address.url }) as RedisClientLike
      const { socketPath, ...auth } = address
      return createClient({ ...defaults, ...auth, socket: { ...defaults.socket, path: socketPath } }) as RedisClientLike
    }
    case 'cluster': {
      const cluster = options.cluster
      return createCluster({
        ...cluster,
        commandOptions: { ...cluster.commandOptions, timeout: 0 },
        defaults: { ...defaults, ...cluster.defaults, socket: { ...defaults.socket, ...cluster.defaults?.socket } }
      }) as unknown as RedisClientLike
    }
    case 'sentinel': {
      const sentinel = options.sentinel
      return createSentinel({
        ...sentinel,
        commandOptions: { ...sentinel.commandOptions, timeout: 0 },
        nodeClientOptions: { ...defaults, ...sentinel.nodeClientOptions },
        sentinelClientOptions: { socket: defaults.socket, ...sentinel.sentinelClientOptions }
      }) as unknown as RedisClientLike
    }
  }
}
