import { randomUUID } from 'node:crypto'
import { createClient } from '@redis/client'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'
import { RedisCache } from '../../lib/cache/cache.js'
import { RedisConnection } from '../../lib/connection/connection.js'
import { resolveConnectionOptions } from '../../lib/connection/options.js'
import { adminClient } from '../lib/redis.js'
import { medianRatio, roundRobin, type RoundRobinResult } from '../lib/runner.js'

export const RAW_LOCK = 'raw SET NX PX + Lua compare-and-delete (@redis/client)'
export const CODEX_LOCK = 'fastify-codex lock() + release()'
export const REDLOCK = '@sesamecare-oss/redlock, one node (ioredis)'

export interface LockBenchOptions {
  url: string
  rounds: number
  sliceMs: number
  warmupMs: number
  concurrencies?: readonly number[]
}

export interface LockBenchResult {
  scenarios: RoundRobinResult[]
}

const TTL_MS = 10_000
const COMPARE_AND_DELETE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"

interface LockContestant {
  name: string
  /** Acquire then release lock `name`; throws if it was not acquired (names are never shared in flight). */
  cycle (name: string): Promise<void>
  close (): Promise<void>
}

async function rawContestant (url: string): Promise<LockContestant> {
  const client = createClient({ url, commandOptions: { timeout: 0 } })
  client.on('error', () => {})
  await client.connect()
  const sha = await client.scriptLoad(COMPARE_AND_DELETE)
  const px = { expiration: { type: 'PX', value: TTL_MS }, condition: 'NX' } as const
  return {
    name: RAW_LOCK,
    async cycle (name) {
      const key = `raw:${name}`
      const owner = randomUUID()
      if (await client.set(key, owner, px) === null) throw new Error(`raw: ${name} not acquired`)
      await client.evalSha(sha, { keys: [key], arguments: [owner] })
    },
    close: () => client.close()
  }
}

async function codexContestant (url: string): Promise<LockContestant> {
  const connection = new RedisConnection(resolveConnectionOptions({ url }), () => {})
  await connection.connect()
  const cache = new RedisCache(connection, { keyPrefix: 'codex' })
  const options = { ttl: TTL_MS / 1000 }
  return {
    name: CODEX_LOCK,
    async cycle (name) {
      const lock = await cache.lock(name, options)
      if (lock === null) throw new Error(`codex: ${name} not acquired`)
      await lock.release()
    },
    close: () => connection.close()
  }
}

async function redlockContestant (url: string): Promise<LockContestant> {
  const client = new Redis(url, { lazyConnect: true })
  client.on('error', () => {})
  await client.connect()
  const redlock = new Redlock([client], { retryCount: 0 })
  redlock.on('error', () => {})
  return {
    name: REDLOCK,
    async cycle (name) {
      const lock = await redlock.acquire([`redlock:${name}`], TTL_MS)
      await lock.release()
    },
    close: async () => { client.disconnect() }
  }
}

/** Lock acquire + release at each concurrency; every in-flight cycle uses its own lock name. */
export async function runLockBench (options: LockBenchOptions): Promise<LockBenchResult> {
  const admin = await adminClient(options.url)
  const contestants = [await rawContestant(options.url), await codexContestant(options.url), await redlockContestant(options.url)]
  try {
    for (const c of contestants) await c.cycle('check')
    const scenarios: RoundRobinResult[] = []
    for (const concurrency of options.concurrencies ?? [1, 64]) {
      await admin.flushDb()
      const entrants = contestants.map((c) => {
        // A pool of names: a cycle takes one and gives it back, so no two cycles in flight share a lock.
        const free = Array.from({ length: concurrency }, (_, i) => `job-${i}`)
        return {
          name: c.name,
          op: async () => {
            const name = free.pop()!
            try {
              await c.cycle(name)
            } finally {
              free.push(name)
            }
          }
        }
      })
      scenarios.push(await roundRobin(entrants, { concurrency, rounds: options.rounds, sliceMs: options.sliceMs, warmupMs: options.warmupMs }))
    }
    return { scenarios }
  } finally {
    await admin.flushDb()
    for (const c of contestants) await c.close()
    await admin.close()
  }
}

export function lockRatio (result: LockBenchResult, concurrency: number, name: string, baseline: string): number {
  const scenario = result.scenarios.find((s) => s.concurrency === concurrency)
  return scenario === undefined ? Number.NaN : medianRatio(scenario, name, baseline)
}
