import type { ResolvedConnectionOptions } from './options.js'

/** The Redis database a connection reaches, as options tell: plugins with equal targets share one keyspace. */
export type ConnectionTarget = object | string

export function connectionTarget (options: ResolvedConnectionOptions): ConnectionTarget {
  switch (options.kind) {
    case 'client':
      return options.client
    case 'single': {
      const { address } = options
      if (!('url' in address)) return `unix:${address.socketPath}/${address.database ?? 0}`
      const url = new URL(address.url)
      const database = url.pathname.length > 1 ? Number(decodeURIComponent(url.pathname.slice(1))) : 0
      return `tcp:${url.hostname}:${url.port === '' ? '6379' : url.port}/${database}`
    }
    case 'cluster':
      return `cluster:${describeNodes(options.cluster.rootNodes)}`
    case 'sentinel':
      return `sentinel:${options.sentinel.name}:${describeNodes(options.sentinel.sentinelRootNodes)}`
  }
}

// Root nodes are plain option objects; one that cannot be written as JSON only disables the check.
function describeNodes (nodes: unknown): string {
  try {
    return JSON.stringify(nodes)
  } catch {
    return String(Math.random())
  }
}
