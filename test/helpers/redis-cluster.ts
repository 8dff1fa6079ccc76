import { freePort, redisCli, startRedis, type RedisServer, type TestWithTeardown } from './redis-server.js'

export interface StartClusterOptions {
  /** Number of masters; `redis-cli --cluster create` needs at least 3. Default 3. */
  masters?: number
  /** Replicas per master. Default 0. */
  replicas?: number
  /** Extra redis-server arguments for every node, e.g. `['--cluster-node-timeout', '1000']`. */
  args?: string[]
}

export interface RedisCluster {
  /** Ready for `createCluster({ rootNodes })`. */
  rootNodes: Array<{ url: string }>
  ports: number[]
  /** The node servers, in `ports` order, to break one (`nodes[0].kill()`) or inspect it (`nodes[1].cli('INFO')`). */
  nodes: RedisServer[]
  /** The masters at start-up, and each one's replicas (empty without `replicas`). */
  masters: RedisServer[]
  replicasOf (master: RedisServer): RedisServer[]
  stop (): Promise<void>
}

const READY_TIMEOUT_MS = 10_000

export async function startCluster (opts: StartClusterOptions = {}): Promise<RedisCluster> {
  const masters = opts.masters ?? 3
  if (!Number.isInteger(masters) || masters < 3) {
    throw new Error(`startCluster needs masters >= 3 (redis-cli --cluster create refuses fewer), got ${masters}`)
  }
  const replicas = opts.replicas ?? 0
  const count = masters * (1 + replicas)
  const started = await Promise.allSettled(Array.from({ length: count }, async () => await startNode(opts.args ?? [])))
  const nodes = started.flatMap(r => r.status === 'fulfilled' ? [r.value] : [])
  const stop = async (): Promise<void> => { await Promise.all(nodes.map(async node => await node.stop())) }
  try {
    const failed = started.find(r => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    const ports = nodes.map(node => node.port)
    await redisCli([], [
      '--cluster', 'create', ...ports.map(port => `127.0.0.1:${port}`),
      '--cluster-replicas', String(replicas), '--cluster-yes'
    // It polls once a second until every node agrees: seconds on a loaded machine, not a hang.
    ], 30_000)
    await waitForClusterOk(nodes)
    const roles = await waitForReplicas(nodes, replicas)
    const masterNodes = nodes.filter(node => roles.get(node) === undefined)
    const replicasOf = (master: RedisServer): RedisServer[] => nodes.filter(node => roles.get(node) === master)
    return { rootNodes: nodes.map(node => ({ url: node.url })), ports, nodes, masters: masterNodes, replicasOf, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Starts a cluster and stops it in the test's teardown. */
export async function clusterForTest (t: TestWithTeardown, opts?: StartClusterOptions): Promise<RedisCluster> {
  const cluster = await startCluster(opts)
  t.teardown(() => cluster.stop())
  return cluster
}

async function startNode (args: string[]): Promise<RedisServer> {
  // The bus port defaults to port + 10000, which overflows 65535 for much of Linux's ephemeral range
  // (32768–60999), so ask the OS for a second free port.
  const busPort = await freePort()
  return await startRedis({
    args: [
      '--cluster-enabled', 'yes',
      // Relative to --dir, which is private to each node; a restarted node rejoins from it.
      '--cluster-config-file', 'nodes.conf',
      '--cluster-port', String(busPort),
      ...args
    ]
  })
}

async function waitForClusterOk (nodes: RedisServer[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let last = ''
  while (Date.now() < deadline) {
    const infos = await Promise.all(nodes.map(async node => await node.cli('CLUSTER', 'INFO')))
    if (infos.every(info => info.includes('cluster_state:ok'))) return
    last = infos.join('\n')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`cluster did not reach cluster_state:ok on every node within ${READY_TIMEOUT_MS} ms:\n${last}`)
}

/**
 * Every replica linked to its master and known as such to every node (a failover needs both);
 * returns each replica's master (masters map to undefined).
 */
async function waitForReplicas (nodes: RedisServer[], perMaster: number): Promise<Map<RedisServer, RedisServer | undefined>> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let last = ''
  while (true) {
    const views = await Promise.all(nodes.map(async node => await node.cli('CLUSTER', 'NODES')))
    const infos = await Promise.all(nodes.map(async node => await node.cli('INFO', 'replication')))
    const agreed = views.every(view => view.split('\n').filter(line => line.split(' ')[2]?.includes('slave') === true).length === nodes.length - nodes.length / (1 + perMaster))
    if (agreed && infos.every(info => info.includes('role:master') || info.includes('master_link_status:up'))) {
      const byId = new Map<string, RedisServer>()
      const lines = views[0]!.split('\n').filter(Boolean).map(line => line.split(' '))
      for (const [id, address] of lines) {
        const port = Number(/:(\d+)@/.exec(address ?? '')?.[1])
        const node = nodes.find(n => n.port === port)
        if (node !== undefined && id !== undefined) byId.set(id, node)
      }
      const roles = new Map<RedisServer, RedisServer | undefined>()
      for (const [id, , flags, masterId] of lines) {
        const node = byId.get(id ?? '')
        if (node !== undefined) roles.set(node, flags?.includes('slave') === true ? byId.get(masterId ?? '') : undefined)
      }
      return roles
    }
    last = views.join('\n') + infos.join('\n')
    if (Date.now() > deadline) throw new Error(`cluster replicas did not link within ${READY_TIMEOUT_MS} ms:\n${last}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
