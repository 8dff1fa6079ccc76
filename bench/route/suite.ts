import autocannon from 'autocannon'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { adminClient } from '../lib/redis.js'
import { BENCH_NODE_ARGS } from '../lib/node-args.js'
import { median } from '../lib/stats.js'
import { RUNS_KEY, type RouteVariant } from './variants.js'

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url))

export interface RouteBenchOptions {
  url: string
  rounds: number
  durationSec: number
  connections: number
  cold: { processes: number, connections: number, durationSec: number, ttlSeconds: number }
  onRun?: (line: string) => void
}

export interface RouteThroughput {
  variant: RouteVariant
  /** Requests per second, one figure per round. */
  rates: number[]
  p99Ms: number[]
  errors: number
}

export interface RouteBenchResult {
  options: Omit<RouteBenchOptions, 'url' | 'onRun'>
  throughput: RouteThroughput[]
  /** Per-round ratios to the ceiling / the uncached route (medians taken by the report). */
  ratios: { hitVsCeiling: number[], nearVsCeiling: number[], hitVsUncached: number[] }
  cold: { requests: number, runs: number, expiries: number, maxRunsPerExpiry: number, errors: number, non2xx: number }
}

interface Server { process: ChildProcess, url: string }

async function startServer (variant: RouteVariant, redisUrl: string): Promise<Server> {
  const child = spawn(process.execPath, [...BENCH_NODE_ARGS, SERVER, variant, redisUrl], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const onExit = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') }
  process.on('exit', onExit)
  child.once('exit', () => process.off('exit', onExit))
  const [message] = await Promise.race([
    once(child, 'message') as Promise<[{ port: number }]>,
    once(child, 'exit').then(() => { throw new Error(`route bench server ${variant} exited before listening`) })
  ])
  return { process: child, url: `http://127.0.0.1:${message.port}/r` }
}

async function stop (server: Server): Promise<void> {
  if (server.process.exitCode !== null) return
  const exited = once(server.process, 'exit')
  server.process.kill('SIGTERM')
  await exited
}

async function fire (url: string, connections: number, durationSec: number): Promise<autocannon.Result> {
  return await autocannon({ url, connections, duration: durationSec })
}

/** Start times of handler runs → expiries (a group starts half a ttl after the previous group began). */
function expiriesOf (starts: number[], ttlMs: number): { expiries: number, max: number } {
  let expiries = 0
  let max = 0
  let groupStart = -Infinity
  let inGroup = 0
  for (const at of [...starts].sort((a, b) => a - b)) {
    if (at - groupStart > ttlMs / 2) {
      expiries++
      groupStart = at
      inGroup = 0
    }
    max = Math.max(max, ++inGroup)
  }
  return { expiries, max }
}

/** Hit, near-cache hit, ceiling and uncached servers side by side (rounds alternate, order rotating), then the cold race. */
export async function runRouteBench (options: RouteBenchOptions): Promise<RouteBenchResult> {
  const admin = await adminClient(options.url)
  const variants: RouteVariant[] = ['ceiling', 'hit', 'hit-near', 'uncached']
  const servers = new Map<RouteVariant, Server>()
  const throughput = new Map<RouteVariant, RouteThroughput>(variants.map((variant) => [variant, { variant, rates: [], p99Ms: [], errors: 0 }]))
  try {
    await admin.flushDb()
    for (const variant of variants) servers.set(variant, await startServer(variant, options.url))
    // Warm-up: JIT, connections, and the cached entry stored.
    for (const variant of variants) await fire(servers.get(variant)!.url, options.connections, 1)
    for (let round = 0; round < options.rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!)
      for (const variant of order) {
        const result = await fire(servers.get(variant)!.url, options.connections, options.durationSec)
        const t = throughput.get(variant)!
        t.rates.push(result.requests.average)
        t.p99Ms.push(result.latency.p99)
        t.errors += result.errors + result.non2xx
        options.onRun?.(`route ${variant} round ${round + 1}: ${Math.round(result.requests.average)} req/s`)
      }
    }
  } finally {
    await Promise.all([...servers.values()].map(stop))
  }
  const rate = (variant: RouteVariant, round: number): number => throughput.get(variant)!.rates[round]!
  const rounds = Array.from({ length: options.rounds }, (_, i) => i)
  const ratios = {
    hitVsCeiling: rounds.map((r) => rate('hit', r) / rate('ceiling', r)),
    nearVsCeiling: rounds.map((r) => rate('hit-near', r) / rate('ceiling', r)),
    hitVsUncached: rounds.map((r) => rate('hit', r) / rate('uncached', r))
  }

  const cold = options.cold
  await admin.flushDb()
  const coldServers = await Promise.all(Array.from({ length: cold.processes }, async () => await startServer('cold', options.url)))
  let requests = 0
  let errors = 0
  let non2xx = 0
  try {
    const results = await Promise.all(coldServers.map(async (server) => await fire(server.url, cold.connections, cold.durationSec)))
    for (const r of results) {
      requests += r.requests.total
      errors += r.errors
      non2xx += r.non2xx
    }
  } finally {
    await Promise.all(coldServers.map(stop))
  }
  const starts = (await admin.lRange(RUNS_KEY, 0, -1)).map(Number)
  await admin.close()
  const { expiries, max } = expiriesOf(starts, cold.ttlSeconds * 1000)
  options.onRun?.(`route cold: ${starts.length} handler runs over ${expiries} expiries`)
  return {
    options: { rounds: options.rounds, durationSec: options.durationSec, connections: options.connections, cold },
    throughput: [...throughput.values()],
    ratios,
    cold: { requests, runs: starts.length, expiries, maxRunsPerExpiry: max, errors, non2xx }
  }
}

export function routeRatio (result: RouteBenchResult, which: keyof RouteBenchResult['ratios']): number {
  return median(result.ratios[which])
}
