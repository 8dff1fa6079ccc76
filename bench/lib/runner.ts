import { performance } from 'node:perf_hooks'
import { fullGc } from './gc.js'
import { LatencySampler, median } from './stats.js'

/** One operation of one contestant: `seq` is a per-slice counter the operation may use to pick keys. */
export type Operation = (seq: number) => Promise<unknown>

export interface Entrant {
  name: string
  /** Absent: the contestant has no such operation (reported as n/a). */
  op: Operation | undefined
}

export interface RoundRobinOptions {
  concurrency: number
  rounds: number
  sliceMs: number
  warmupMs: number
  /** Runs after every slice, outside the timed part (e.g. removes the keys `add` created). */
  afterSlice?: () => Promise<void>
}

export interface EntrantResult {
  name: string
  available: boolean
  /** Operations per second, one per round. */
  rates: number[]
  p50Us: number
  p99Us: number
  ops: number
  errors: number
  firstError: unknown
}

export interface RoundRobinResult {
  concurrency: number
  rounds: number
  entrants: EntrantResult[]
}

// Every SAMPLE_EVERY-th operation is timed: two hrtime reads per op would be a measurable share of a 5 µs op.
const SAMPLE_MASK = 3

export interface Slice {
  ops: number
  errors: number
  firstError: unknown
  seconds: number
}

export async function runSlice (op: Operation, concurrency: number, sliceMs: number, sampler: LatencySampler | undefined): Promise<Slice> {
  const slice: Slice = { ops: 0, errors: 0, firstError: undefined, seconds: 0 }
  let seq = 0
  const start = performance.now()
  const end = start + sliceMs
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const n = seq++
      try {
        if (sampler !== undefined && (n & SAMPLE_MASK) === 0) {
          const t0 = process.hrtime.bigint()
          await op(n)
          sampler.add(Number(process.hrtime.bigint() - t0))
        } else {
          await op(n)
        }
      } catch (err) {
        if (slice.errors++ === 0) slice.firstError = err
      }
      slice.ops++
    }
  }
  const workers: Array<Promise<void>> = []
  for (let i = 0; i < concurrency; i++) workers.push(worker())
  await Promise.all(workers)
  slice.seconds = (performance.now() - start) / 1000
  return slice
}

/**
 * Alternates contestants in short, equal time slices (A B C … then B C … A, rotating who goes first)
 * so the machine's drift hits everyone alike; ratios are then taken within a round.
 */
export async function roundRobin (entrants: readonly Entrant[], options: RoundRobinOptions): Promise<RoundRobinResult> {
  const results: EntrantResult[] = entrants.map((e) => ({
    name: e.name, available: e.op !== undefined, rates: [], p50Us: Number.NaN, p99Us: Number.NaN, ops: 0, errors: 0, firstError: undefined
  }))
  const samplers = entrants.map(() => new LatencySampler())
  const active = entrants.map((e, i) => ({ e, i })).filter(({ e }) => e.op !== undefined)

  for (const { e } of active) {
    await runSlice(e.op!, options.concurrency, options.warmupMs, undefined)
    await options.afterSlice?.()
  }
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < active.length; k++) {
      const { e, i } = active[(round + k) % active.length]!
      const result = results[i]!
      fullGc()
      const slice = await runSlice(e.op!, options.concurrency, options.sliceMs, samplers[i])
      result.rates.push(slice.ops / slice.seconds)
      result.ops += slice.ops
      if (slice.errors > 0 && result.errors === 0) result.firstError = slice.firstError
      result.errors += slice.errors
      await options.afterSlice?.()
    }
  }
  results.forEach((result, i) => {
    if (!result.available) return
    const { p50, p99 } = samplers[i]!.summary()
    result.p50Us = p50
    result.p99Us = p99
  })
  return { concurrency: options.concurrency, rounds: options.rounds, entrants: results }
}

/** Median over rounds of (rate of `name` / rate of `baseline`) within the same round. */
export function medianRatio (result: RoundRobinResult, name: string, baseline: string): number {
  const a = result.entrants.find((e) => e.name === name)
  const b = result.entrants.find((e) => e.name === baseline)
  if (a === undefined || b === undefined || !a.available || !b.available) return Number.NaN
  const ratios = a.rates.map((rate, r) => rate / b.rates[r]!)
  return median(ratios)
}

export function medianRate (entrant: EntrantResult): number {
  return median(entrant.rates)
}
