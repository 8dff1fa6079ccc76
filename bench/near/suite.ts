import { createClient } from '@redis/client'
import { jsonSerializer } from '../../lib/serializer.js'
import { decodeValue } from '../../lib/value-codec.js'
import { adminClient, callsBetween, commandCalls } from '../lib/redis.js'
import { roundRobin, type Entrant, type RoundRobinResult } from '../lib/runner.js'
import { median, percentileOfSorted } from '../lib/stats.js'
import { BENTO, NEAR, NETWORK, bentoContestant, codexContestant, type NearContestant } from './contestants.js'

export interface NearBenchOptions {
  url: string
  rounds: number
  sliceMs: number
  warmupMs: number
  /** Writes timed per contestant for invalidation latency. */
  samples: number
  onProgress?: (line: string) => void
}

export interface LatencyResult { name: string, p50Ms: number, p99Ms: number, samples: number }
export interface CopyResult { parseNs: number, cloneNs: number, frozenNs: number }

export interface NearBenchResult {
  payloadBytes: number
  hot: RoundRobinResult[]
  invalidation: LatencyResult[]
  zipf: RoundRobinResult
  hitRates: Array<{ name: string, hitRate: number }>
  copy: CopyResult
}

export const ZIPF_KEYS = 10_000
export const ZIPF_S = 1
export const NEAR_ENTRIES = 1000
const PAYLOAD = { id: 42, name: 'near cache', tags: ['a', 'b', 'c'], nested: { ok: true, score: 0.5, list: [1, 2, 3, 4, 5] }, text: 'x'.repeat(80) }

/** Key indices drawn from a Zipf(s) distribution over `n` keys, precomputed so drawing costs nothing timed. */
function zipfSequence (n: number, s: number, length: number): Uint32Array {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let k = 0; k < n; k++) cdf[k] = (sum += 1 / Math.pow(k + 1, s))
  const out = new Uint32Array(length)
  for (let i = 0; i < length; i++) {
    const u = Math.random() * sum
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cdf[mid]! < u) lo = mid + 1; else hi = mid
    }
    out[i] = lo
  }
  return out
}

const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

/** Writer's SET acknowledged → the reader's get returns the new value (polled once per event-loop turn). */
async function invalidationLatency (name: string, reader: NearContestant, write: (i: number) => Promise<unknown>, samples: number): Promise<LatencyResult> {
  const times: number[] = []
  await write(-1)
  for (let i = 0; i < samples; i++) {
    // Make sure the reader holds the current value locally before the write.
    while ((await reader.get('inv') as { n: number } | undefined)?.n !== i - 1) await tick()
    await reader.get('inv')
    await write(i)
    const acked = performance.now()
    while ((await reader.get('inv') as { n: number } | undefined)?.n !== i) await tick()
    times.push(performance.now() - acked)
  }
  const sorted = Float64Array.from(times).sort()
  return { name, p50Ms: percentileOfSorted(sorted, 50), p99Ms: percentileOfSorted(sorted, 99), samples }
}

/** ns per returned copy: parse the stored text, structuredClone a kept object, or hand out one frozen object. */
function copyCost (): CopyResult {
  const text = JSON.stringify(PAYLOAD)
  const kept = JSON.parse(text) as unknown
  const frozen = Object.freeze(kept)
  const n = 20_000
  const time = (fn: () => unknown): number => {
    const started = process.hrtime.bigint()
    for (let i = 0; i < n; i++) fn()
    return Number(process.hrtime.bigint() - started) / n
  }
  const rounds: CopyResult[] = []
  for (let r = 0; r < 15; r++) {
    rounds.push({ parseNs: time(() => decodeValue(jsonSerializer, text)), cloneNs: time(() => structuredClone(kept)), frozenNs: time(() => frozen) })
  }
  return { parseNs: median(rounds.map((r) => r.parseNs)), cloneNs: median(rounds.map((r) => r.cloneNs)), frozenNs: median(rounds.map((r) => r.frozenNs)) }
}

export async function runNearBench (options: NearBenchOptions): Promise<NearBenchResult> {
  const { url, rounds, sliceMs, warmupMs } = options
  const progress = options.onProgress ?? (() => {})
  const admin = await adminClient(url)
  const network = await codexContestant(NETWORK, url, undefined)
  const near = await codexContestant(NEAR, url, NEAR_ENTRIES)
  const bento = await bentoContestant(url, NEAR_ENTRIES)
  const all = [network, near, bento]
  try {
    const hot: RoundRobinResult[] = []
    for (const c of all) await c.set('hot', PAYLOAD)
    for (const concurrency of [64, 1]) {
      const entrants: Entrant[] = all.map((c) => ({ name: c.name, op: () => c.get('hot') }))
      hot.push(await roundRobin(entrants, { concurrency, rounds, sliceMs, warmupMs }))
      progress(`near hot-key get c=${concurrency} done`)
    }

    const raw = createClient({ url })
    raw.on('error', () => {})
    await raw.connect()
    const bentoWriter = await bentoContestant(url, NEAR_ENTRIES)
    const invalidation = [
      await invalidationLatency(NEAR, near, (i) => raw.set('near-bench:1:inv', JSON.stringify({ n: i })), options.samples),
      await invalidationLatency(BENTO, bento, (i) => bentoWriter.set('inv', { n: i }), options.samples)
    ]
    await raw.close()
    await bentoWriter.close()
    progress('near invalidation latency done')

    const sequence = zipfSequence(ZIPF_KEYS, ZIPF_S, 1 << 17)
    const mask = sequence.length - 1
    const key = (seq: number): string => `z${sequence[seq & mask]!}`
    for (let k = 0; k < ZIPF_KEYS; k += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, i) => Promise.all(all.map((c) => c.set(`z${k + i}`, PAYLOAD)))))
    }
    // Every tenth operation writes (through the same cache): a 10 % write ratio.
    const mix = (c: NearContestant) => (seq: number) => seq % 10 === 0 ? c.set(key(seq), PAYLOAD) : c.get(key(seq))
    const zipf = await roundRobin(all.map((c) => ({ name: c.name, op: mix(c) })), { concurrency: 64, rounds, sliceMs, warmupMs })
    progress('near zipf mix done')

    const hitRates: Array<{ name: string, hitRate: number }> = []
    for (const c of all) {
      const before = await commandCalls(admin)
      let reads = 0
      const op = mix(c)
      let seq = 0
      await Promise.all(Array.from({ length: 64 }, async () => {
        while (seq < 50_000) {
          const n = seq++
          if (n % 10 !== 0) reads++
          await op(n)
        }
      }))
      const gets = callsBetween(before, await commandCalls(admin)).get('get') ?? 0
      hitRates.push({ name: c.name, hitRate: Math.max(0, 1 - gets / reads) })
    }
    return { payloadBytes: JSON.stringify(PAYLOAD).length, hot, invalidation, zipf, hitRates, copy: copyCost() }
  } finally {
    for (const c of all) await c.close()
    await admin.close()
  }
}
