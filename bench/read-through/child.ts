/**
 * One process of the hot-key benchmark (`node --import tsx bench/read-through/child.ts <contestant> <url> <json>`):
 * opens its contestant, says ready over IPC, and at the agreed time runs `concurrency` callers asking for one key
 * until the end time. Reports every factory start (wall clock, shared by the processes) and sampled latencies.
 */
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
  calls: number
  errors: number
  firstError?: string
}

const [name, url, json] = process.argv.slice(2) as [HotKeyContestantName, string, string]
const config = JSON.parse(json) as ChildConfig
const contestant = await openHotKeyContestant(name, url, config.ttlSeconds)
const factoryStarts: number[] = []
const factory = async (): Promise<unknown> => {
  factoryStarts.push(Date.now())
  await sleep(config.factoryMs)
  return { computedAt: Date.now(), pid: process.pid }
}

process.send!({ ready: true })
const { startAt, endAt } = await new Promise<{ startAt: number, endAt: number }>((resolve) => process.once('message', resolve))
await sleep(Math.max(0, startAt - Date.now()))

const sampler = new LatencySampler(1 << 15)
let calls = 0
let errors = 0
let firstError: string | undefined
await Promise.all(Array.from({ length: config.concurrency }, async () => {
  while (Date.now() < endAt) {
    const t0 = process.hrtime.bigint()
    try {
      await contestant.getOrSet(config.key, factory)
    } catch (err) {
      if (errors++ === 0) firstError = String(err)
    }
    sampler.add(Number(process.hrtime.bigint() - t0))
    calls++
  }
}))
const samplesUs = Array.from(sampler.samples(), (ns) => ns / 1000)
const report: ChildReport = { factoryStarts, samplesUs, calls, errors, firstError }
process.send!(report, () => {
  contestant.close().finally(() => process.exit(0))
})
