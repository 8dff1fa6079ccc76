import { createClient, createCluster, createSentinel, SocketTimeoutError } from '@redis/client'
import type { RedisClientLike } from './client-types.js'
import type { ResolvedConnectionOptions } from './options.js'

// A cluster looks for a promoted replica on each reconnection attempt to a lost node (see createCluster below), so
// those attempts must come often: at most ~250 ms apart instead of @redis/client's backoff to 2 s.
function clusterNodeReconnect (retries: number, cause: Error): number | false {
  if (cause instanceof SocketTimeoutError) return false
  return Math.min(50 * 2 ** retries, 200) + Math.floor(Math.random() * 50)
}

/** Builds (but does not connect) the client the options describe; a passed-in client is returned as is. */
export function createRedisClient (options: ResolvedConnectionOptions): RedisClientLike {
  // disableOfflineQueue: while disconnected, fail at once (503) rather than queue writes that would land minutes later.
  // connectTimeout: a connection attempt never outlives the deadline its caller is held to.
  const defaults = { disableOfflineQueue: true, socket: { connectTimeout: options.commandTimeout } }
  // Applies only to commands users send through fastify.codexRedis: ours go through RedisConnection's timeout-0 view.
  const commandOptions = { timeout: options.commandTimeout }
  switch (options.kind) {
    case 'client':
      return options.client
    case 'single': {
      const { address } = options
      const common = { ...defaults, commandOptions }
      if ('url' in address) return createClient({ ...common, url: address.url }) as RedisClientLike
      const { socketPath, ...auth } = address
      return createClient({ ...common, ...auth, socket: { ...defaults.socket, path: socketPath } }) as RedisClientLike
    }
    case 'cluster': {
      const cluster = options.cluster
      return createCluster({
        // Refresh the topology on every reconnection attempt to a lost node (1 ms after the first; 0 would disable
        // it), not 5 s later: a promoted replica then takes over its slots within one attempt interval.
        topologyRefreshOnReconnectionAttemptStrategy: 1,
        ...cluster,
        commandOptions: { ...commandOptions, ...cluster.commandOptions },
        defaults: {
          ...defaults,
          ...cluster.defaults,
          socket: { ...defaults.socket, reconnectStrategy: clusterNodeReconnect, ...cluster.defaults?.socket }
        }
      }) as unknown as RedisClientLike
    }
    case 'sentinel': {
      const sentinel = options.sentinel
      return createSentinel({
        // Node clients' errors reach the sentinel's 'error' event (and so the log) only with this flag.
        passthroughClientErrorEvents: true,
        // No blind retry: a command whose connection dropped may have been applied, and the retry (after up to
        // 16 rediscoveries, 1 s apart) would apply it again, late; without retries a failed reconnect is not
        // followed by a 1 s pause either, so the next command or Sentinel event looks for the new master at once.
        maxCommandRediscovers: 0,
        ...sentinel,
        commandOptions: { ...commandOptions, ...sentinel.commandOptions },
        nodeClientOptions: {
          ...defaults,
          ...sentinel.nodeClientOptions,
          socket: { ...defaults.socket, ...sentinel.nodeClientOptions?.socket }
        },
        sentinelClientOptions: {
          ...sentinel.sentinelClientOptions,
          socket: { ...defaults.socket, ...sentinel.sentinelClientOptions?.socket }
        }
      }) as unknown as RedisClientLike
    }
  }
}
