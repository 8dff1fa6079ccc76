import { deepStrictEqual } from 'node:assert/strict'
import { samplePayload } from '../serializer.js'
import { adminClient } from '../lib/redis.js'
import { roundRobin, type Entrant, type RoundRobinResult } from '../lib/runner.js'
import { CODEX_GET_OR_SET, openContestants, type CacheAdapter } from './contestants.js'

export interface CacheBenchOptions {
  url: string
  rounds: number
  sliceMs: number
  /** Slice length for getMany/setMany (default: sliceMs). */
  batchSliceMs?: number
  warmupMs: number
  concurrencies?: readonly number[]
  operations?: readonly CacheOperation[]
  /** Contestant names to run (default: all). */
  only?: readonly string[]
  /** Called as each scenario finishes (progress on stderr). */
  onScenario?: (scenario: CacheScenarioResult) => void
}

export type CacheOperation = 'get' | 'set' | 'add' | 'incr' | 'getMany' | 'setMany' | 'getOrSet'

export const CACHE_OPERATIONS: readonly CacheOperation[] = ['get', 'set', 'add', 'incr', 'getMany', 'setMany', 'getOrSet']

export interface CacheScenarioResult {
  operation: CacheOperation
  result: RoundRobinResult
}

export interface CacheBenchResult {
  payloadBytes: number
  contestants: string[]
  scenarios: CacheScenarioResult[]
}

const KEY_COUNT = 1000
const BATCH = 100
const COUNTERS = 100

// Keys are built once: the harness must not allocate on the measured path more than it has to.
const KEYS = Array.from({ length: KEY_COUNT }, (_, i) => `item:${i}`)
const BATCHES = Array.from({ length: KEY_COUNT / BATCH }, (_, b) => KEYS.slice(b * BATCH, (b + 1) * BATCH))
const COUNTER_KEYS = Array.from({ length: COUNTERS }, (_, i) => `counter:${i}`)

function operationOf (adapter: CacheAdapter, operation: CacheOperation, payload: unknown): Entrant['op'] {
  switch (operation) {
    // getOrSet on hits is timed against every contestant's plain get of the same keys (see entrantsFor).
    case 'getOrSet':
    case 'get': return (seq) => adapter.get(KEYS[seq % KEY_COUNT]!)
    case 'set': return (seq) => adapter.set(KEYS[seq % KEY_COUNT]!, payload)
    // Fresh keys, so every add writes; afterSlice removes them.
    case 'add': {
      const add = adapter.add
      return add === undefined ? undefined : (seq) => add(`add:${seq}`, payload)
    }
    case 'incr': {
      const incr = adapter.incr
      return incr === undefined ? undefined : (seq) => incr(COUNTER_KEYS[seq % COUNTERS]!)
    }
    case 'getMany': return (seq) => adapter.getMany(BATCHES[seq % BATCHES.length]!)
    case 'setMany': {
      const entries = BATCHES.map((keys) => keys.map((key) => [key, payload] as const))
      return (seq) => adapter.setMany(entries[seq % entries.length]!)
    }
  }
}

/** Every contestant must store and read back the payload before it is timed. */
async function checkContestant (adapter: CacheAdapter, payload: unknown): Promise<void> {
  await adapter.set('check', payload)
  deepStrictEqual(await adapter.get('check'), payload, `${adapter.name}: get after set`)
  await adapter.setMany(BATCHES[0]!.map((key) => [key, payload] as const))
  const many = await adapter.getMany(BATCHES[0]!)
  const found = many instanceof Map ? [...many.values()] : (many as unknown[]).filter((v) => v !== undefined)
  if (found.length !== BATCH) throw new Error(`${adapter.name}: getMany found ${found.length} of ${BATCH}`)
}

async function seed (adapters: readonly CacheAdapter[], operation: CacheOperation, payload: unknown): Promise<void> {
  for (const adapter of adapters) {
    if (operation === 'get' || operation === 'getMany' || operation === 'getOrSet') {
      for (const keys of BATCHES) await adapter.setMany(keys.map((key) => [key, payload] as const))
    }
    if (operation === 'incr' && adapter.incr !== undefined) {
      await Promise.all(COUNTER_KEYS.map((key) => adapter.set(key, 0)))
    }
  }
}

function entrantsFor (adapters: readonly CacheAdapter[], operation: CacheOperation, payload: unknown): Entrant[] {
  const entrants: Entrant[] = adapters.map((adapter) => ({ name: adapter.name, op: operationOf(adapter, operation, payload) }))
  if (operation !== 'getOrSet') return entrants
  for (const adapter of adapters) {
    const getOrSet = adapter.getOrSet
    // Every key is seeded: the factory never runs, so this times the hit path only.
    if (getOrSet !== undefined) entrants.push({ name: CODEX_GET_OR_SET, op: (seq) => getOrSet(KEYS[seq % KEY_COUNT]!, () => payload) })
  }
  return entrants
}

/** get/set/add/incr/getMany/setMany/getOrSet at each concurrency, contestants alternating in short slices. */
export async function runCacheBench (options: CacheBenchOptions): Promise<CacheBenchResult> {
  const payload = samplePayload()
  const admin = await adminClient(options.url)
  const adapters = await openContestants(options.url, options.only)
  try {
    for (const adapter of adapters) await checkContestant(adapter, payload)
    const scenarios: CacheScenarioResult[] = []
    for (const operation of options.operations ?? CACHE_OPERATIONS) {
      for (const concurrency of options.concurrencies ?? [1, 64]) {
        await admin.flushDb()
        await seed(adapters, operation, payload)
        const entrants = entrantsFor(adapters, operation, payload)
        const result = await roundRobin(entrants, {
          concurrency,
          rounds: options.rounds,
          sliceMs: operation === 'getMany' || operation === 'setMany' ? options.batchSliceMs ?? options.sliceMs : options.sliceMs,
          warmupMs: options.warmupMs,
          afterSlice: operation === 'add' ? async () => { await admin.flushDb() } : undefined
        })
        const scenario = { operation, result }
        scenarios.push(scenario)
        options.onScenario?.(scenario)
      }
    }
    return { payloadBytes: Buffer.byteLength(JSON.stringify(payload)), contestants: adapters.map((a) => a.name), scenarios }
  } finally {
    await admin.flushDb()
    for (const adapter of adapters) await adapter.close()
    await admin.close()
  }
}
