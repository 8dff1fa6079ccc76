import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { adminClient, callsBetween, commandCalls, type AdminClient } from '../lib/redis.js'
import { BENCH_NODE_ARGS } from '../lib/node-args.js'
import { percentileOfSorted } from '../lib/stats.js'
import type { ChildConfig, ChildReport } from './child.js'
import { BENTOCACHE, CACHE_MANAGER, CODEX, CODEX_NEAR, DEDUPE, HOT_KEY_CONTESTANTS, type HotKeyContestantName } from './contestants.js'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const READY_TIMEOUT_MS = 120_000

export interface HotKeyBenchOptions {
  url: string
  processes: number
  concurrency: number
  /** Load per contestant, ms, split over `rounds`. */
  durationMs: number
  rounds: number
  factoryMs: number
  ttlSeconds: number
  contestants?: readonly HotKeyContestantName[]
  onRun?: (line: string) => void
}

export interface HotKeyRun {
  contestant: HotKeyContestantName
  factoryRuns: number
  /** Groups of factory runs that started within half a ttl of the group's first: one per expiry of the key. */
  expiries: number
  runsPerExpiry: number
  /** The most runs any single expiry caused. */
  maxRunsPerExpiry: number
  calls: number
  callsPerSec: number
  p50Us: number
  p99Us: number
  /** p99 of the calls a value computed before they began answered (steady-state hits). */
  hitP99Us: number
  /** Calls answered by a value computed after they began: they waited for an expiry's computation. */
  waited: number
  waitedP50Us: number
  waitedP99Us: number
  /** CPU time (user + system) of the processes per call answered, µs. */
  cpuUsPerCall: number
  /** Per process per second: ms its main thread was runnable but waiting for a CPU, and the time slices it got. */
  runqueueMsPerSec: number
  slicesPerSec: number
  /** Redis commands per 1000 calls, by command (`get`, `set`, `evalsha`…), most first. */
  commandsPer1000: Array<[string, number]>
  /** GC pauses per process per second, ms (mean over the processes), and the longest pause seen. */
  gcMsPerSec: number
  gcMaxMs: number
  /** The worst process's event-loop delay p99 and max, ms. */
  loopP99Ms: number
  loopMaxMs: number
  errors: number
  firstError?: string
}

export interface HotKeyBenchResult {
  options: Omit<HotKeyBenchOptions, 'url' | 'onRun' | 'contestants'>
  runs: HotKeyRun[]
}

interface Child {
  process: ChildProcess
  ready: Promise<void>
  report: Promise<ChildReport>
}

function startChild (name: HotKeyContestantName, url: string, config: ChildConfig): Child {
  const child = spawn(process.execPath, [...BENCH_NODE_ARGS, CHILD, name, url, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exitedEarly = new Promise<never>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`${name} process exited before reporting (${signal ?? `code ${String(code)}`})`)))
  })
  exitedEarly.catch(() => {})
  const messages: unknown[] = []
  const waiters: Array<(m: unknown) => void> = []
  child.on('message', (m) => { const w = waiters.shift(); if (w !== undefined) w(m); else messages.push(m) })
  const next = async (): Promise<unknown> => messages.length > 0 ? messages.shift() : await new Promise((resolve) => waiters.push(resolve))
  const ready = Promise.race([next(), exitedEarly]).then(() => {})
  const report = ready.then(async () => await Promise.race([next(), exitedEarly]) as ChildReport)
  // A stray child must not outlive the bench.
  const onExit = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') }
  process.on('exit', onExit)
  child.once('exit', () => process.off('exit', onExit))
  return { process: child, ready, report }
}

/** Factory starts, sorted, grouped into expiries: a group starts when a run begins half a ttl after the last group began. */
function expiriesOf (starts: number[], ttlMs: number): { expiries: number, max: number } {
  const sorted = [...starts].sort((a, b) => a - b)
  let expiries = 0
  let max = 0
  let groupStart = -Infinity
  let inGroup = 0
  for (const at of sorted) {
    if (at - groupStart > ttlMs / 2) {
      expiries++
      groupStart = at
      inGroup = 0
    }
    max = Math.max(max, ++inGroup)
  }
  return { expiries, max }
}

interface RoundResult {
  reports: ChildReport[]
  commands: Map<string, number>
  expiries: number
  maxRunsPerExpiry: number
}

/** One round of one contestant: fresh processes on a flushed Redis, a cold start, `durationMs / rounds` of load. */
async function runRound (name: HotKeyContestantName, options: HotKeyBenchOptions, admin: AdminClient, durationMs: number): Promise<RoundResult> {
  const config: ChildConfig = { concurrency: options.concurrency, factoryMs: options.factoryMs, ttlSeconds: options.ttlSeconds, key: 'hot' }
  await admin.flushDb()
  const children = Array.from({ length: options.processes }, () => startChild(name, options.url, config))
  try {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(children.map(async (c) => await c.ready)),
      new Promise((resolve, reject) => { timer = setTimeout(() => reject(new Error(`${name}: processes not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS) })
    ])
    clearTimeout(timer)
    const startAt = Date.now() + 500
    const endAt = startAt + durationMs
    const before = await commandCalls(admin)
    for (const c of children) c.process.send({ startAt, endAt })
    const reports = await Promise.all(children.map(async (c) => await c.report))
    const commands = callsBetween(before, await commandCalls(admin))
    const { expiries, max } = expiriesOf(reports.flatMap((r) => r.factoryStarts), options.ttlSeconds * 1000)
    return { reports, commands, expiries, maxRunsPerExpiry: max }
  } finally {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL')
  }
}

/** A contestant's rounds as one run: latencies pooled (every round weighs by its calls), expiries summed. */
function summarize (name: HotKeyContestantName, rounds: RoundResult[], durationMs: number): HotKeyRun {
  const reports = rounds.flatMap((r) => r.reports)
  const sorted = (pick: (r: ChildReport) => number[]): Float64Array => Float64Array.from(reports.flatMap(pick)).sort()
  const samples = sorted((r) => r.samplesUs)
  const hits = sorted((r) => r.hitUs)
  const waited = sorted((r) => r.waitedUs)
  const factoryRuns = reports.reduce((n, r) => n + r.factoryStarts.length, 0)
  const expiries = rounds.reduce((n, r) => n + r.expiries, 0)
  const calls = reports.reduce((n, r) => n + r.calls, 0)
  const commands = new Map<string, number>()
  for (const round of rounds) for (const [command, n] of round.commands) commands.set(command, (commands.get(command) ?? 0) + n)
  const processSeconds = reports.length * durationMs / rounds.length / 1000
  return {
    contestant: name,
    factoryRuns,
    expiries,
    runsPerExpiry: factoryRuns / Math.max(1, expiries),
    maxRunsPerExpiry: Math.max(...rounds.map((r) => r.maxRunsPerExpiry)),
    calls,
    callsPerSec: calls / (durationMs / 1000),
    p50Us: percentileOfSorted(samples, 50),
    p99Us: percentileOfSorted(samples, 99),
    hitP99Us: percentileOfSorted(hits, 99),
    waited: reports.reduce((n, r) => n + r.waited, 0),
    waitedP50Us: percentileOfSorted(waited, 50),
    waitedP99Us: percentileOfSorted(waited, 99),
    commandsPer1000: [...commands].map(([command, n]): [string, number] => [command, 1000 * n / Math.max(1, calls)]).sort((a, b) => b[1] - a[1]),
    runqueueMsPerSec: reports.reduce((n, r) => n + r.runqueueMs, 0) / processSeconds,
    slicesPerSec: reports.reduce((n, r) => n + r.slices, 0) / processSeconds,
    cpuUsPerCall: reports.reduce((n, r) => n + r.cpuUs, 0) / Math.max(1, calls),
    gcMsPerSec: reports.reduce((n, r) => n + r.gcMs, 0) / processSeconds,
    gcMaxMs: Math.max(...reports.map((r) => r.gcMaxMs)),
    loopP99Ms: Math.max(...reports.map((r) => r.loopP99Ms)),
    loopMaxMs: Math.max(...reports.map((r) => r.loopMaxMs)),
    errors: reports.reduce((n, r) => n + r.errors, 0),
    firstError: reports.find((r) => r.firstError !== undefined)?.firstError
  }
}

const ALIASES: Record<string, HotKeyContestantName> = { codex: CODEX, near: CODEX_NEAR, bentocache: BENTOCACHE, 'cache-manager': CACHE_MANAGER, dedupe: DEDUPE }

// BENCH_HOTKEY_ONLY=codex,near,bentocache,cache-manager,dedupe picks contestants.
function contestantsFromEnv (): HotKeyContestantName[] | undefined {
  const words = process.env.BENCH_HOTKEY_ONLY?.split(',').map((w) => w.trim()).filter((w) => w !== '')
  if (words === undefined || words.length === 0) return undefined
  return words.map((w) => {
    const name = ALIASES[w]
    if (name === undefined) throw new Error(`BENCH_HOTKEY_ONLY: unknown contestant ${w}; known: ${Object.keys(ALIASES).join(', ')}`)
    return name
  })
}

/**
 * The hot key expiring under load, `processes` × `concurrency` callers on one key: contestants take turns in `rounds`
 * rounds (the order rotating), so a noisy neighbour's bursts fall on all of them alike; `durationMs` per contestant.
 */
export async function runHotKeyBench (options: HotKeyBenchOptions): Promise<HotKeyBenchResult> {
  const admin = await adminClient(options.url)
  const names = options.contestants ?? contestantsFromEnv() ?? HOT_KEY_CONTESTANTS
  const rounds = new Map<HotKeyContestantName, RoundResult[]>(names.map((name) => [name, []]))
  const slice = options.durationMs / options.rounds
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length]!
        rounds.get(name)!.push(await runRound(name, options, admin, slice))
      }
      options.onRun?.(`hot key: round ${round + 1} of ${options.rounds} done`)
    }
  } finally {
    await admin.flushDb()
    await admin.close()
  }
  const runs = names.map((name) => summarize(name, rounds.get(name)!, options.durationMs))
  for (const run of runs) options.onRun?.(`hot key ${run.contestant}: ${run.runsPerExpiry.toFixed(2)} runs/expiry, p99 ${(run.p99Us / 1000).toFixed(1)} ms`)
  const { url, onRun, contestants, ...rest } = options
  return { options: rest, runs }
}
