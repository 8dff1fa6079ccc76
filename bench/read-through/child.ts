/**
 * One process of the hot-key benchmark (`node --import tsx bench/read-through/child.ts <contestant> <url> <json>`):
 * opens its contestant, says ready over IPC, and at the agreed time runs `concurrency` callers asking for one key
 * until the end time. Reports every factory start (wall clock, shared by the processes), sampled latencies of hits
 * and of calls that waited for a computation (told apart by the value's `computedAt`), GC pauses and event-loop delay.
 */
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { LatencySampler } from '../lib/stats.js'
import { openHotKeyContestant, type HotKeyContestantName } from './contestants.js'

export interface ChildConfig {
  concurrency: number
  factoryMs: number
  ttlSeconds: number
  key: string
}

export interface ChildReport {
  factoryStarts: number[]
  /** Latency samples in microseconds (a reservoir of every call). */
  samplesUs: number[]
  /** The same, for calls answered by a value computed before they began (hits)… */
  hitUs: number[]
  /** …and for calls answered by a value computed after they began (they waited for a factory). */
  waitedUs: number[]
  calls: number
  waited: number
  errors: number
  firstError?: string
  /** CPU time (user + system) of this process during the run, µs. */
  cpuUs: number
  /** ms the main thread was runnable but waiting for a CPU (/proc/self/schedstat; NaN where unavailable), and its time slices. */
  runqueueMs: number
  slices: number
  /** Sum and longest of the GC pauses during the run, ms. */
  gcMs: number
  gcMaxMs: number
  /** Event-loop delay during the run (10 ms resolution timer), ms. */
  loopP99Ms: number
  loopMaxMs: number
}

const [name, url, json] = process.argv.slice(2) as [HotKeyContestantName, string, string]
const config = JSON.parse(json) as ChildConfig
const contestant = await openHotKeyContestant(name, url, config.ttlSeconds)
const factoryStarts: number[] = []
const factory = async (): Promise<{ computedAt: number, pid: number }> => {
  factoryStarts.push(Date.now())
  await sleep(config.factoryMs)
  return { computedAt: Date.now(), pid: process.pid }
}

process.send!({ ready: true })
const { startAt, endAt } = await new Promise<{ startAt: number, endAt: number }>((resolve) => process.once('message', resolve))
await sleep(Math.max(0, startAt - Date.now()))

let gcMs = 0
let gcMaxMs = 0
const gc = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcMs += entry.duration
    gcMaxMs = Math.max(gcMaxMs, entry.duration)
  }
})
gc.observe({ entryTypes: ['gc'] })
const loop = monitorEventLoopDelay({ resolution: 10 })
loop.enable()

// BENCH_HOTKEY_CPU_PROF=<dir>: a V8 CPU profile of the measured window only (summarise with bench/profile.ts --summarize).
const profileDir = process.env.BENCH_HOTKEY_CPU_PROF
const inspector = profileDir === undefined || profileDir === '' ? undefined : new Session()
if (inspector !== undefined) {
  inspector.connect()
  await inspector.post('Profiler.enable')
  await inspector.post('Profiler.start')
}
// Linux: ns on a CPU, ns runnable but waiting for one, time slices; the wait is what the scheduler adds to latency.
const schedstat = (): number[] => {
  try {
    return readFileSync('/proc/self/schedstat', 'utf8').trim().split(' ').map(Number)
  } catch {
    return [Number.NaN, Number.NaN, Number.NaN]
  }
}
const schedBefore = schedstat()
const cpuBefore = process.cpuUsage()
const sampler = new LatencySampler(1 << 15)
const hitSampler = new LatencySampler(1 << 15)
const waitedSampler = new LatencySampler(1 << 12)
let calls = 0
let errors = 0
let firstError: string | undefined
await Promise.all(Array.from({ length: config.concurrency }, async () => {
  while (Date.now() < endAt) {
    const startedAt = Date.now()
    const t0 = process.hrtime.bigint()
    let value: unknown
    try {
      value = await contestant.getOrSet(config.key, factory)
    } catch (err) {
      if (errors++ === 0) firstError = String(err)
    }
    const ns = Number(process.hrtime.bigint() - t0)
    sampler.add(ns)
    // Computed at or after this call began: the call waited for an expiry's computation.
    const computedAt = (value as { computedAt?: number } | undefined)?.computedAt
    if (computedAt !== undefined && computedAt >= startedAt) waitedSampler.add(ns)
    else hitSampler.add(ns)
    calls++
  }
}))
const cpu = process.cpuUsage(cpuBefore)
const schedAfter = schedstat()
loop.disable()
gc.disconnect()
if (inspector !== undefined) {
  const { profile } = await inspector.post('Profiler.stop')
  await writeFile(`${profileDir!}/${name.replace(/[^a-z0-9]+/gi, '-')}-${process.pid}.cpuprofile`, JSON.stringify(profile))
  inspector.disconnect()
}
const samplesUs = Array.from(sampler.samples(), (ns) => ns / 1000)
const hitUs = Array.from(hitSampler.samples(), (ns) => ns / 1000)
const waitedUs = Array.from(waitedSampler.samples(), (ns) => ns / 1000)
const report: ChildReport = {
  factoryStarts,
  samplesUs,
  hitUs,
  waitedUs,
  calls,
  waited: waitedSampler.count,
  errors,
  firstError,
  cpuUs: cpu.user + cpu.system,
  runqueueMs: (schedAfter[1]! - schedBefore[1]!) / 1e6,
  slices: schedAfter[2]! - schedBefore[2]!,
  gcMs,
  gcMaxMs,
  loopP99Ms: loop.percentile(99) / 1e6,
  loopMaxMs: loop.max / 1e6
}
process.send!(report, () => {
  contestant.close().finally(() => process.exit(0))
})
