import { startRedis, type RedisServer, type TestWithTeardown } from './redis-server.js'

export interface StartSentinelOptions {
  /** Master name the sentinel monitors. Default 'mymaster'. */
  name?: string
}

export interface RedisSentinel {
  /** Ready for `createSentinel({ name, sentinelRootNodes })`. */
  sentinelRootNodes: Array<{ host: string, port: number }>
  name: string
  master: RedisServer
  sentinel: RedisServer
  stop (): Promise<void>
}

const READY_TIMEOUT_MS = 5000

export async function startSentinel (opts: StartSentinelOptions = {}): Promise<RedisSentinel> {
  const name = opts.name ?? 'mymaster'
  const master = await startRedis()
  let sentinel: RedisServer | undefined
  const stop = async (): Promise<void> => {
    await Promise.all([master.stop(), sentinel?.stop()])
  }
  try {
    sentinel = await startRedis({
      // Sentinel rewrites its config file at runtime, so it must be a real file; quorum 1 with a single sentinel.
      config: [
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 2000`
      ].join('\n') + '\n',
      args: ['--sentinel']
    })
    await waitForMasterLink(sentinel, name)
    return { sentinelRootNodes: [{ host: '127.0.0.1', port: sentinel.port }], name, master, sentinel, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Starts a master and a sentinel and stops both in the test's teardown. */
export async function sentinelForTest (t: TestWithTeardown, opts?: StartSentinelOptions): Promise<RedisSentinel> {
  const sentinel = await startSentinel(opts)
  t.teardown(() => sentinel.stop())
  return sentinel
}

/** Sentinel answers PING before it has connected to the master; wait until its flags are plain "master". */
async function waitForMasterLink (sentinel: RedisServer, name: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let last = ''
  while (Date.now() < deadline) {
    last = await sentinel.cli('SENTINEL', 'MASTER', name)
    const lines = last.split('\n').map(line => line.trim())
    const flags = lines[lines.indexOf('flags') + 1]
    if (lines.includes('flags') && flags === 'master') return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`sentinel did not connect to master ${name} within ${READY_TIMEOUT_MS} ms:\n${last}`)
}
