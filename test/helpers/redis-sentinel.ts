import { startRedis, type RedisServer, type TestWithTeardown } from './redis-server.js'

export interface StartSentinelOptions {
  /** Master name the sentinels monitor. Default 'mymaster'. */
  name?: string
  /** Replicas of the master, each a `--replicaof` redis-server. Default 0. */
  replicas?: number
  /** Sentinel processes. Default 1. */
  sentinels?: number
  /** Sentinels that must agree the master is down. Default: a majority of `sentinels`. */
  quorum?: number
  /** `sentinel down-after-milliseconds`. Default 1000. */
  downAfterMs?: number
  /** `sentinel failover-timeout`. Default 2000. */
  failoverTimeoutMs?: number
}

export interface RedisSentinel {
  /** Ready for `createSentinel({ name, sentinelRootNodes })`: every sentinel. */
  sentinelRootNodes: Array<{ host: string, port: number }>
  name: string
  /** The master at start-up (after a failover it may be a dead process or a replica). */
  master: RedisServer
  replicas: RedisServer[]
  /** The first sentinel, for tests that need only one. */
  sentinel: RedisServer
  sentinels: RedisServer[]
  stop (): Promise<void>
}

const READY_TIMEOUT_MS = 10_000

export async function startSentinel (opts: StartSentinelOptions = {}): Promise<RedisSentinel> {
  const name = opts.name ?? 'mymaster'
  const sentinelCount = opts.sentinels ?? 1
  const quorum = opts.quorum ?? Math.floor(sentinelCount / 2) + 1
  const servers: RedisServer[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map(async (server) => await server.stop()))
  }
  try {
    const master = await startRedis()
    servers.push(master)
    const replicas = await Promise.all(Array.from({ length: opts.replicas ?? 0 }, async () => {
      const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] })
      servers.push(replica)
      return replica
    }))
    await Promise.all(replicas.map(async (replica) => await waitForSync(replica)))
    const sentinels = await Promise.all(Array.from({ length: sentinelCount }, async () => {
      const sentinel = await startRedis({
        // Sentinel rewrites its config file at runtime, so it must be a real file.
        config: [
          `sentinel monitor ${name} 127.0.0.1 ${master.port} ${quorum}`,
          `sentinel down-after-milliseconds ${name} ${opts.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${name} ${opts.failoverTimeoutMs ?? 2000}`
        ].join('\n') + '\n',
        args: ['--sentinel']
      })
      servers.push(sentinel)
      return sentinel
    }))
    await Promise.all(sentinels.map(async (sentinel) => await waitForMasterLink(sentinel, name, replicas.length, sentinelCount - 1)))
    return {
      sentinelRootNodes: sentinels.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port })),
      name,
      master,
      replicas,
      sentinel: sentinels[0]!,
      sentinels,
      stop
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Starts a master (and any replicas and sentinels asked for) and stops them all in the test's teardown. */
export async function sentinelForTest (t: TestWithTeardown, opts?: StartSentinelOptions): Promise<RedisSentinel> {
  const sentinel = await startSentinel(opts)
  t.teardown(() => sentinel.stop())
  return sentinel
}

/** `SENTINEL MASTER`'s reply (a flat field/value list in raw redis-cli output) as a record. */
export async function sentinelMaster (sentinel: RedisServer, name: string): Promise<Record<string, string>> {
  const lines = (await sentinel.cli('SENTINEL', 'MASTER', name)).split('\n').map((line) => line.trim())
  const fields: Record<string, string> = {}
  for (let i = 0; i + 1 < lines.length; i += 2) fields[lines[i]!] = lines[i + 1]!
  return fields
}

/**
 * Sentinel answers PING before it has connected to the master, and learns replicas and other sentinels
 * over the next seconds: a failover needs all three, so wait until its flags are plain "master" and it counts both.
 */
async function waitForMasterLink (sentinel: RedisServer, name: string, replicas: number, otherSentinels: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let last: Record<string, string> = {}
  while (Date.now() < deadline) {
    last = await sentinelMaster(sentinel, name)
    if (last.flags === 'master' && Number(last['num-slaves']) >= replicas && Number(last['num-other-sentinels']) >= otherSentinels) return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`sentinel did not see master ${name} with ${replicas} replicas and ${otherSentinels} other sentinels within ${READY_TIMEOUT_MS} ms:\n${JSON.stringify(last)}`)
}

async function waitForSync (replica: RedisServer): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let last = ''
  while (Date.now() < deadline) {
    last = await replica.cli('INFO', 'replication')
    if (last.includes('master_link_status:up')) return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`replica on port ${replica.port} did not sync within ${READY_TIMEOUT_MS} ms:\n${last}`)
}
