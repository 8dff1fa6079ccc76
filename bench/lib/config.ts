import { CACHE_OPERATIONS, type CacheOperation } from '../cache/suite.js'

/**
 * Knobs from the environment: BENCH_QUICK=1 for a ~1 minute smoke run, BENCH_ONLY=cache,session,serializer to pick
 * suites (also near, locks, read-through), BENCH_CACHE_OPS=get,getOrSet to pick cache operations,
 * BENCH_HOTKEY_SECONDS to set the hot-key run length per contestant (default 20, quick 5), BENCH_HOTKEY_ROUNDS the rounds
 * it is split into (default 4, quick 1), BENCH_HOTKEY_ONLY=codex,near,dedupe… its contestants. BENCH_ONLY=route: the route
 * response cache (hit vs ceiling and uncached, and the cold race). BENCH_ONLY=observe: what the diagnostics channels and
 * instrument() cost (bench/observe/suite.ts).
 */
export interface BenchConfig {
  quick: boolean
  only: ReadonlySet<string> | undefined
  soak: boolean
  cache: { rounds: number, sliceMs: number, batchSliceMs: number, warmupMs: number, operations?: CacheOperation[] }
  near: { rounds: number, sliceMs: number, warmupMs: number, samples: number }
  session: { rounds: number, durationSec: number, connections: number, sessions: number, pinned: boolean }
  serializer: { rounds: number, iterationsPerRound: number }
  soakSize: { cacheOps: number, sessionRequests: number }
  locks: { rounds: number, sliceMs: number, warmupMs: number, costMs: number }
  hotKey: { processes: number, concurrency: number, durationMs: number, rounds: number, factoryMs: number, ttlSeconds: number }
  route: { rounds: number, durationSec: number, connections: number, cold: { processes: number, connections: number, durationSec: number, ttlSeconds: number } }
  observe: { rounds: number, sliceMs: number, warmupMs: number }
}

function flag (name: string): boolean {
  const value = process.env[name]
  return value !== undefined && value !== '' && value !== '0' && value !== 'false'
}

function positive (name: string, value: string | undefined): Record<string, number> {
  if (value === undefined || value === '') return {}
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${value}`)
  return { [name]: n }
}

export function loadConfig (): BenchConfig {
  const quick = flag('BENCH_QUICK')
  const only = process.env.BENCH_ONLY
  return {
    quick,
    only: only === undefined || only === '' ? undefined : new Set(only.split(',').map((s) => s.trim())),
    soak: flag('BENCH_SOAK'),
    // getMany/setMany of 100 run ~1000 ops/s and allocate heavily: longer slices so one GC pause does not decide a round.
    cache: {
      ...quick ? { rounds: 3, sliceMs: 100, batchSliceMs: 200, warmupMs: 100 } : { rounds: 9, sliceMs: 200, batchSliceMs: 400, warmupMs: 200 },
      operations: cacheOperations(process.env.BENCH_CACHE_OPS)
    },
    near: quick ? { rounds: 3, sliceMs: 100, warmupMs: 100, samples: 100 } : { rounds: 9, sliceMs: 200, warmupMs: 200, samples: 500 },
    // BENCH_SESSION_ROUNDS / BENCH_SESSION_SECONDS override either mode (e.g. many short rounds on a noisy machine).
    session: {
      // Many short rounds: on a shared machine one contestant's rate moves ±15 % between 3 s slices.
      ...(quick ? { rounds: 1, durationSec: 1, connections: 64, sessions: 64 } : { rounds: 7, durationSec: 2, connections: 64, sessions: 64 }),
      ...positive('rounds', process.env.BENCH_SESSION_ROUNDS),
      ...positive('durationSec', process.env.BENCH_SESSION_SECONDS),
      // BENCH_SESSION_PINNED=1: connection i only sends session i (no overlapping requests of one session).
      pinned: flag('BENCH_SESSION_PINNED')
    },
    serializer: quick ? { rounds: 10, iterationsPerRound: 2000 } : { rounds: 30, iterationsPerRound: 5000 },
    soakSize: quick ? { cacheOps: 200_000, sessionRequests: 20_000 } : { cacheOps: 1_000_000, sessionRequests: 100_000 },
    locks: quick ? { rounds: 3, sliceMs: 150, warmupMs: 100, costMs: 300 } : { rounds: 9, sliceMs: 300, warmupMs: 200, costMs: 1000 },
    // The scenario: 4 processes × 64 callers on one key, a 50 ms factory, a 1 s ttl, 20 s per contestant
    // (in 4 rounds of 5 s, contestants taking turns; BENCH_HOTKEY_ROUNDS overrides).
    hotKey: {
      processes: 4,
      concurrency: 64,
      durationMs: 1000 * seconds('BENCH_HOTKEY_SECONDS', quick ? 5 : 20),
      rounds: Math.round(seconds('BENCH_HOTKEY_ROUNDS', quick ? 1 : 4)),
      factoryMs: 50,
      ttlSeconds: 1
    },
    // The scenario: a 2 KB body after 1 ms of work; the cold race is 4 processes × 64 connections.
    route: {
      ...(quick ? { rounds: 1, durationSec: 2 } : { rounds: 5, durationSec: 3 }),
      connections: 64,
      cold: { processes: 4, connections: 64, durationSec: quick ? 3 : 10, ttlSeconds: 1 }
    },
    // Get and set at 64 callers: before the channels, nobody subscribed, instrument() (metrics; metrics and spans).
    observe: quick ? { rounds: 3, sliceMs: 100, warmupMs: 100 } : { rounds: 9, sliceMs: 200, warmupMs: 200 }
  }
}

function seconds (name: string, fallback: number): number {
  const value = process.env[name]
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a number of seconds > 0, got ${value}`)
  return n
}

function cacheOperations (list: string | undefined): CacheOperation[] | undefined {
  if (list === undefined || list === '') return undefined
  const names = list.split(',').map((s) => s.trim())
  const unknown = names.filter((name) => !(CACHE_OPERATIONS as readonly string[]).includes(name))
  if (unknown.length > 0) throw new Error(`BENCH_CACHE_OPS: unknown operation(s) ${unknown.join(', ')}; known: ${CACHE_OPERATIONS.join(', ')}`)
  return names as CacheOperation[]
}

export function wants (config: BenchConfig, suite: string): boolean {
  return config.only === undefined || config.only.has(suite)
}
