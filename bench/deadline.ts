// What @redis/client's own per-command timeout costs next to ours: GET throughput at a fixed concurrency for
//   A  a client with the defaults (commandOptions.timeout 5000: one AbortSignal.timeout per command),
//   B  a client with commandOptions: { timeout: 0 },
//   C  B with every command tracked by our DeadlineQueue (one shared timer),
// run against a throwaway redis-server, alternating A B C in short rounds so drift hits all three alike.
// Reported: the median of per-round ratios. Run: node_modules/.bin/tsx bench/deadline.ts [rounds] [roundMs]
import { pathToFileURL } from 'node:url'
import { createClient } from '@redis/client'
import { DeadlineQueue } from '../lib/connection/deadline.js'
import { startRedis } from '../test/helpers/redis-server.js'

export interface DeadlineBenchOptions {
  /** Measured rounds (one extra warm-up round is discarded). Default 15. */
  rounds?: number
  /** Milliseconds each variant runs per round. Default 400. */
  roundMs?: number
  /** Commands in flight at once. Default 64. */
  concurrency?: number
}

export interface DeadlineBenchResult {
  concurrency: number
  rounds: number
  roundMs: number
  /** Median GET/s per variant. */
  opsPerSecond: { clientTimeout: number, noTimeout: number, noTimeoutPlusDeadlineQueue: number }
  /** Medians of per-round ratios. */
  ratios: { noTimeoutVsClientTimeout: number, deadlineQueueVsClientTimeout: number, deadlineQueueVsNoTimeout: number }
}

type Get = (key: string) => Promise<unknown>

async function throughput (get: Get, concurrency: number, ms: number): Promise<number> {
  let done = 0
  const started = performance.now()
  const until = started + ms
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      await get('bench:key')
      done++
    }
  }))
  return done / ((performance.now() - started) / 1000)
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export async function runDeadlineBench (options: DeadlineBenchOptions = {}): Promise<DeadlineBenchResult> {
  const { rounds = 15, roundMs = 400, concurrency = 64 } = options
  const redis = await startRedis()
  const withDefaults = createClient({ url: redis.url })
  const withoutTimeout = createClient({ url: redis.url, commandOptions: { timeout: 0 } })
  const clients = [withDefaults, withoutTimeout]
  try {
    for (const client of clients) {
      client.on('error', () => {})
      await client.connect()
    }
    await withDefaults.set('bench:key', 'x'.repeat(100))
    const deadlines = new DeadlineQueue(2000)
    const variants: Array<[string, Get]> = [
      ['A', (key) => withDefaults.get(key)],
      ['B', (key) => withoutTimeout.get(key)],
      ['C', (key) => deadlines.track(withoutTimeout.get(key))]
    ]
    const samples: Record<string, number[]> = { A: [], B: [], C: [] }
    for (let round = 0; round <= rounds; round++) {
      const measured: Record<string, number> = {}
      // Rotate who goes first, so no variant always runs right after the same neighbour.
      for (let i = 0; i < variants.length; i++) {
        const [name, get] = variants[(round + i) % variants.length]!
        measured[name] = await throughput(get, concurrency, roundMs)
      }
      if (round === 0) continue // warm-up: JIT, connections, server caches
      for (const name of Object.keys(samples)) samples[name]!.push(measured[name]!)
    }
    const [a, b, c] = [samples.A!, samples.B!, samples.C!]
    return {
      concurrency,
      rounds,
      roundMs,
      opsPerSecond: { clientTimeout: median(a), noTimeout: median(b), noTimeoutPlusDeadlineQueue: median(c) },
      ratios: {
        noTimeoutVsClientTimeout: median(b.map((x, i) => x / a[i]!)),
        deadlineQueueVsClientTimeout: median(c.map((x, i) => x / a[i]!)),
        deadlineQueueVsNoTimeout: median(c.map((x, i) => x / b[i]!))
      }
    }
  } finally {
    for (const client of clients) client.destroy()
    await redis.stop()
  }
}

function report (result: DeadlineBenchResult): string {
  const ops = (n: number): string => `${Math.round(n).toLocaleString('en-US').padStart(9)} GET/s`
  const ratio = (n: number): string => `${n.toFixed(3)}x`
  return [
    `GET throughput, concurrency ${result.concurrency}, ${result.rounds} rounds of ${result.roundMs} ms per variant (medians)`,
    `  A  @redis/client default timeout (5000 ms, AbortSignal per command)  ${ops(result.opsPerSecond.clientTimeout)}`,
    `  B  commandOptions.timeout 0                                          ${ops(result.opsPerSecond.noTimeout)}`,
    `  C  B + DeadlineQueue (one shared timer)                              ${ops(result.opsPerSecond.noTimeoutPlusDeadlineQueue)}`,
    `  B/A ${ratio(result.ratios.noTimeoutVsClientTimeout)}   C/A ${ratio(result.ratios.deadlineQueueVsClientTimeout)}   C/B ${ratio(result.ratios.deadlineQueueVsNoTimeout)}`
  ].join('\n')
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [rounds, roundMs] = process.argv.slice(2).map(Number)
  const result = await runDeadlineBench({
    ...(Number.isInteger(rounds) && rounds! > 0 ? { rounds } : {}),
    ...(Number.isInteger(roundMs) && roundMs! > 0 ? { roundMs } : {})
  })
  console.log(report(result))
}
