import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { BENCH_NODE_ARGS } from '../lib/node-args.js'
import { adminClient, redisCpuUs } from '../lib/redis.js'
import { medianRatio, type EntrantResult, type RoundRobinResult } from '../lib/runner.js'
import { LatencySampler } from '../lib/stats.js'
import type { ChildReply, ChildRequest } from './child.js'
import { CONTESTANTS, type LockContestantId } from './contestants.js'
import { measureScriptCosts, type ScriptCost } from './script-cost.js'

export { CODEX_LOCK, CODEX_NO_DEADLINE, FENCED_RAW, RAW_LOCK, REDLOCK } from './contestants.js'

export interface LockBenchOptions {
  url: string
  rounds: number
  sliceMs: number
  warmupMs: number
  concurrencies?: readonly number[]
  /** Milliseconds per contestant and repetition of the CPU-cost measurement (0: none). */
  costMs?: number
}

/** CPU spent per acquire + release cycle, each contestant running alone at the cost concurrency. */
export interface LockCost {
  name: string
  concurrency: number
  /** The contestant's process (user + sys, process.cpuUsage): client library and our code. */
  clientUs: number
  /** redis-server (used_cpu_user + used_cpu_sys), housekeeping included. */
  redisUs: number
  /** Wall time per cycle ÷ concurrency: what the two CPU figures add up to when client and server take turns. */
  wallUs: number
}

export interface LockBenchResult {
  scenarios: RoundRobinResult[]
  costs: LockCost[]
  scriptCosts: ScriptCost[]
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))

interface Child {
  name: string
  ask: <T extends ChildReply['type']>(request: ChildRequest, type: T) => Promise<Extract<ChildReply, { type: T }>>
  process: ChildProcess
}

async function startChild (id: LockContestantId, url: string): Promise<Child> {
  const child = spawn(process.execPath, [...BENCH_NODE_ARGS, CHILD, id, url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  // A stray child must not outlive the bench.
  const onExit = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') }
  process.on('exit', onExit)
  child.once('exit', () => process.off('exit', onExit))
  let waiter: { resolve: (m: ChildReply) => void, reject: (err: Error) => void } | undefined
  child.on('message', (m: ChildReply) => { waiter?.resolve(m) })
  child.once('exit', (code, signal) => waiter?.reject(new Error(`lock contestant ${id} exited (${signal ?? `code ${String(code)}`})`)))
  const next = async (): Promise<ChildReply> => await new Promise((resolve, reject) => { waiter = { resolve, reject } })
  const ready = await next()
  if (ready.type !== 'ready') throw new Error(`lock contestant ${id}: unexpected ${ready.type}`)
  return {
    name: ready.name,
    process: child,
    ask: async (request, type) => {
      const answer = next()
      child.send(request)
      const reply = await answer
      if (reply.type !== type) throw new Error(`lock contestant ${id}: expected ${type}, got ${reply.type}`)
      return reply as Extract<ChildReply, { type: typeof type }>
    }
  }
}

/** Asks the child to close its client and exit; kills it if it has not within 5 s. */
async function stopChild (child: Child): Promise<void> {
  const proc = child.process
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const exited = new Promise<void>((resolve) => proc.once('exit', () => { resolve() }))
  proc.send({ type: 'close' } satisfies ChildRequest)
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** The runner's alternation (A B C … then B C … A), each slice run in its contestant's own process. */
async function roundRobinChildren (children: Child[], concurrency: number, options: LockBenchOptions): Promise<RoundRobinResult> {
  const results: EntrantResult[] = children.map((c) => ({
    name: c.name, available: true, rates: [], p50Us: Number.NaN, p99Us: Number.NaN, ops: 0, errors: 0, firstError: undefined
  }))
  const samplers = children.map(() => new LatencySampler())
  for (const child of children) await child.ask({ type: 'slice', concurrency, ms: options.warmupMs, sample: false }, 'slice')
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < children.length; k++) {
      const i = (round + k) % children.length
      const slice = await children[i]!.ask({ type: 'slice', concurrency, ms: options.sliceMs, sample: true }, 'slice')
      const result = results[i]!
      result.rates.push(slice.ops / slice.seconds)
      result.ops += slice.ops
      if (slice.errors > 0 && result.errors === 0) result.firstError = slice.firstError
      result.errors += slice.errors
      for (const ns of slice.samples) samplers[i]!.add(ns)
    }
  }
  results.forEach((result, i) => {
    const { p50, p99 } = samplers[i]!.summary()
    result.p50Us = p50
    result.p99Us = p99
  })
  return { concurrency, rounds: options.rounds, entrants: results }
}

/** Lock acquire + release at each concurrency, every contestant in its own process; every in-flight cycle uses its own lock name. */
export async function runLockBench (options: LockBenchOptions): Promise<LockBenchResult> {
  const admin = await adminClient(options.url)
  const children: Child[] = []
  try {
    for (const id of Object.keys(CONTESTANTS) as LockContestantId[]) children.push(await startChild(id, options.url))
    const scenarios: RoundRobinResult[] = []
    const concurrencies = options.concurrencies ?? [1, 64]
    for (const concurrency of concurrencies) {
      await admin.flushDb()
      scenarios.push(await roundRobinChildren(children, concurrency, options))
    }
    // Three alternating repetitions, the median of each: one CPU reading is as noisy as the machine.
    const costs: LockCost[] = []
    const costMs = options.costMs ?? 0
    if (costMs > 0) {
      const concurrency = Math.max(...concurrencies)
      const runs = children.map(() => [] as LockCost[])
      for (let rep = 0; rep < 3; rep++) {
        for (const [i, child] of children.entries()) {
          const before = await redisCpuUs(admin)
          const cost = await child.ask({ type: 'cost', concurrency, ms: costMs }, 'cost')
          const redisUs = await redisCpuUs(admin) - before
          runs[i]!.push({ name: child.name, concurrency, clientUs: cost.cpuUs / cost.cycles, redisUs: redisUs / cost.cycles, wallUs: cost.wallMs * 1000 / cost.cycles })
        }
      }
      for (const list of runs) {
        const mid = (key: 'clientUs' | 'redisUs' | 'wallUs'): number => list.map((r) => r[key]).sort((a, b) => a - b)[1]!
        costs.push({ name: list[0]!.name, concurrency, clientUs: mid('clientUs'), redisUs: mid('redisUs'), wallUs: mid('wallUs') })
      }
    }
    const scriptCosts = costMs > 0 ? await measureScriptCosts(options.url, admin) : []
    return { scenarios, costs, scriptCosts }
  } finally {
    await Promise.all(children.map(stopChild))
    await admin.flushDb()
    await admin.close()
  }
}

export function lockRatio (result: LockBenchResult, concurrency: number, name: string, baseline: string): number {
  const scenario = result.scenarios.find((s) => s.concurrency === concurrency)
  return scenario === undefined ? Number.NaN : medianRatio(scenario, name, baseline)
}
