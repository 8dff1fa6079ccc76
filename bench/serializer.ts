import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { jsonSerializer } from '../lib/serializer.js'

export interface SerializerBenchResult {
  /** Median over rounds of (strict serializer time / bare JSON time); 1.15 means 15% slower. */
  ratio: number
  bareOpsPerSec: number
  strictOpsPerSec: number
  payloadBytes: number
  rounds: number
  iterationsPerRound: number
}

export interface SerializerBenchOptions {
  rounds?: number
  iterationsPerRound?: number
}

/** A typical cached API response: nested objects, an array of objects, strings, numbers, booleans, null. */
export function samplePayload (): unknown {
  return {
    id: 'usr_8f3a2c91',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    active: true,
    score: 98.5,
    manager: null,
    profile: {
      bio: 'Mathematician and writer, known for work on the Analytical Engine.',
      location: { city: 'London', country: 'GB', lat: 51.5072, lon: -0.1276 },
      languages: ['en', 'fr', 'it']
    },
    roles: ['admin', 'editor'],
    tags: ['vip', 'beta-tester', 'newsletter'],
    lastLogin: { at: 1718440200000, ip: '203.0.113.42', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' },
    orders: [1, 2, 3, 4].map((n) => ({
      id: 1000 + n,
      sku: `SKU-${n}42-XL`,
      quantity: n,
      price: 19.99 * n,
      paid: n % 2 === 0,
      note: n === 3 ? null : 'leave at the door'
    })),
    settings: { theme: 'dark', notifications: { email: true, sms: false, push: true }, pageSize: 25 },
    createdAt: '2024-03-01T12:00:00.000Z',
    updatedAt: '2024-06-15T08:30:00.000Z'
  }
}

// Keeps results observable so the JIT cannot drop the work.
const sink = { total: 0 }

function timeBare (value: unknown, iterations: number): number {
  const start = performance.now()
  for (let i = 0; i < iterations; i++) {
    const copy = JSON.parse(JSON.stringify(value)) as { score: number }
    sink.total += copy.score
  }
  return performance.now() - start
}

function timeStrict (value: unknown, iterations: number): number {
  const start = performance.now()
  for (let i = 0; i < iterations; i++) {
    const copy = jsonSerializer.parse(jsonSerializer.stringify(value)) as { score: number }
    sink.total += copy.score
  }
  return performance.now() - start
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] ?? 0 : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** Alternates short rounds (A B A B …) so drift in CPU speed hits both sides alike. */
export async function runSerializerBench (options: SerializerBenchOptions = {}): Promise<SerializerBenchResult> {
  const rounds = options.rounds ?? 30
  const iterationsPerRound = options.iterationsPerRound ?? 5000
  const value = samplePayload()
  const payloadBytes = Buffer.byteLength(JSON.stringify(value))

  // Warm-up lets both paths reach optimized code before anything is measured.
  timeBare(value, iterationsPerRound * 2)
  timeStrict(value, iterationsPerRound * 2)

  const ratios: number[] = []
  let bareMs = 0
  let strictMs = 0
  for (let round = 0; round < rounds; round++) {
    // Swapping who goes first each round cancels any first-mover advantage.
    let bare: number
    let strict: number
    if (round % 2 === 0) {
      bare = timeBare(value, iterationsPerRound)
      strict = timeStrict(value, iterationsPerRound)
    } else {
      strict = timeStrict(value, iterationsPerRound)
      bare = timeBare(value, iterationsPerRound)
    }
    ratios.push(strict / bare)
    bareMs += bare
    strictMs += strict
    // Yield between rounds so a bench runner's timers and I/O are not starved.
    await new Promise((resolve) => setImmediate(resolve))
  }

  const total = rounds * iterationsPerRound
  return {
    ratio: median(ratios),
    bareOpsPerSec: Math.round(total / (bareMs / 1000)),
    strictOpsPerSec: Math.round(total / (strictMs / 1000)),
    payloadBytes,
    rounds,
    iterationsPerRound
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runSerializerBench()
  console.log(`payload: ${result.payloadBytes} bytes, ${result.rounds} rounds × ${result.iterationsPerRound} round trips`)
  console.log(`bare JSON.parse(JSON.stringify(x)): ${result.bareOpsPerSec.toLocaleString('en')} ops/s`)
  console.log(`JsonSerializer parse(stringify(x)): ${result.strictOpsPerSec.toLocaleString('en')} ops/s`)
  console.log(`median ratio (strict / bare): ${result.ratio.toFixed(3)}  (target ≤ 1.15)`)
}
