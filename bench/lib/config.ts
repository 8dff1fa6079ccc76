import { CACHE_OPERATIONS, type CacheOperation } from '../cache/suite.js'

/**
 * Knobs from the environment: BENCH_QUICK=1 for a ~1 minute smoke run, BENCH_ONLY=cache,session,serializer to pick
 * suites, BENCH_CACHE_OPS=get,getOrSet to pick cache operations.
 */
export interface BenchConfig {
  quick: boolean
  only: ReadonlySet<string> | undefined
  soak: boolean
  cache: { rounds: number, sliceMs: number, batchSliceMs: number, warmupMs: number, operations?: CacheOperation[] }
  session: { rounds: number, durationSec: number, connections: number, sessions: number }
  serializer: { rounds: number, iterationsPerRound: number }
  soakSize: { cacheOps: number, sessionRequests: number }
}

function flag (name: string): boolean {
  const value = process.env[name]
  return value !== undefined && value !== '' && value !== '0' && value !== 'false'
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
    session: quick
      ? { rounds: 1, durationSec: 1, connections: 64, sessions: 64 }
      : { rounds: 3, durationSec: 3, connections: 64, sessions: 64 },
    serializer: quick ? { rounds: 10, iterationsPerRound: 2000 } : { rounds: 30, iterationsPerRound: 5000 },
    soakSize: quick ? { cacheOps: 200_000, sessionRequests: 20_000 } : { cacheOps: 1_000_000, sessionRequests: 100_000 }
  }
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
