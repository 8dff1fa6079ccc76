import { randomUUID } from 'node:crypto'
import { createClient } from '@redis/client'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'
import { RedisCache } from '../../lib/cache/cache.js'
import { TOKEN_MEMORY_MS } from '../../lib/cache/lock.js'
import { RedisConnection } from '../../lib/connection/connection.js'
import type { CommandClient } from '../../lib/connection/client-types.js'
import { resolveConnectionOptions } from '../../lib/connection/options.js'
import { LOCK_ACQUIRE, LOCK_RELEASE } from '../../lib/scripts.js'
import { adminClient, redisCpuUs, type AdminClient } from '../lib/redis.js'
import { medianRatio, roundRobin, type RoundRobinResult } from '../lib/runner.js'
import { measureScriptCosts, type ScriptCost } from './script-cost.js'

export const RAW_LOCK = 'raw SET NX PX + Lua compare-and-delete (@redis/client)'
export const CODEX_LOCK = 'fastify-codex lock() + release()'
export const REDLOCK = '@sesamecare-oss/redlock, one node (ioredis)'
export const FENCED_RAW = 'raw, with our fencing-token Lua (@redis/client)'
export const CODEX_NO_DEADLINE = 'fastify-codex, per-command deadline off'

export interface LockBenchOptions {
  url: string
  rounds: number
  sliceMs: number
  warmupMs: number
  concurrencies?: readonly number[]
  /** Milliseconds per contestant and repetition of the CPU-cost measurement (0: none). */
  costMs?: number
}

/** CPU spent per acquire + release cycle, each contestant running alone at the cost concurrency. */
export interface LockCost {
  name: string
  concurrency: number
  /** This process (user + sys, process.cpuUsage): client library and our code. */
  clientUs: number
  /** redis-server (used_cpu_user + used_cpu_sys), housekeeping included. */
  redisUs: number
  /** Wall time per cycle ÷ concurrency: what the two CPU figures add up to when client and server take turns. */
  wallUs: number
}

export interface LockBenchResult {
  scenarios: RoundRobinResult[]
  costs: LockCost[]
  scriptCosts: ScriptCost[]
}

const TTL_MS = 10_000
const COMPARE_AND_DELETE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"

export interface LockContestant {
  name: string
  /** Acquire then release lock `name`; throws if it was not acquired (names are never shared in flight). */
  cycle (name: string): Promise<void>
  close (): Promise<void>
}

export async function rawContestant (url: string): Promise<LockContestant> {
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

/** The floor of any lock with a fencing token: our two scripts on a bare client, no library code around them. */
export async function fencedRawContestant (url: string): Promise<LockContestant> {
  const client = createClient({ url, commandOptions: { timeout: 0 } })
  client.on('error', () => {})
  await client.connect()
  const acquire = await client.scriptLoad(LOCK_ACQUIRE.source)
  const release = await client.scriptLoad(LOCK_RELEASE.source)
  const ttl = String(TTL_MS)
  const memory = String(TOKEN_MEMORY_MS)
  return {
    name: FENCED_RAW,
    async cycle (name) {
      const key = `fenced:${name}`
      const owner = randomUUID()
      const token = await client.evalSha(acquire, { keys: [key], arguments: [owner, ttl] })
      if (token === null) throw new Error(`fenced: ${name} not acquired`)
      await client.evalSha(release, { keys: [key], arguments: [owner, String(token), memory] })
    },
    close: () => client.close()
  }
}

/** Our lock() + release() as users get them; `deadlines: false` bypasses the per-command deadline (to measure its cost). */
export async function codexContestant (url: string, deadlines = true): Promise<LockContestant> {
  const connection = new RedisConnection(resolveConnectionOptions({ url }), () => {})
  await connection.connect()
  if (!deadlines) {
    const bare = <T>(command: (commands: CommandClient) => Promise<T>): Promise<T> => command(connection.commands)
    Object.defineProperty(connection, 'run', { value: bare })
  }
  const cache = new RedisCache(connection, { keyPrefix: deadlines ? 'codex' : 'nodl' })
  const options = { ttl: TTL_MS / 1000 }
  return {
    name: deadlines ? CODEX_LOCK : CODEX_NO_DEADLINE,
    async cycle (name) {
      const lock = await cache.lock(name, options)
      if (lock === null) throw new Error(`codex: ${name} not acquired`)
      await lock.release()
    },
    close: () => connection.close()
  }
}

export async function redlockContestant (url: string): Promise<LockContestant> {
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

// A pool of names: a cycle takes one and gives it back, so no two cycles in flight share a lock.
function pooled (contestant: LockContestant, concurrency: number): () => Promise<void> {
  const free = Array.from({ length: concurrency }, (_, i) => `job-${i}`)
  return async () => {
    const name = free.pop()!
    try {
      await contestant.cycle(name)
    } finally {
      free.push(name)
    }
  }
}

async function measureCost (admin: AdminClient, contestant: LockContestant, concurrency: number, ms: number): Promise<LockCost> {
  const op = pooled(contestant, concurrency)
  let cycles = 0
  const redisBefore = await redisCpuUs(admin)
  const clientBefore = process.cpuUsage()
  const started = performance.now()
  const end = started + ms
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await op()
      cycles++
    }
  }))
  const wall = performance.now() - started
  const client = process.cpuUsage(clientBefore)
  const redisUs = await redisCpuUs(admin) - redisBefore
  return { name: contestant.name, concurrency, clientUs: (client.user + client.system) / cycles, redisUs: redisUs / cycles, wallUs: wall * 1000 / cycles }
}

/** Lock acquire + release at each concurrency; every in-flight cycle uses its own lock name. */
export async function runLockBench (options: LockBenchOptions): Promise<LockBenchResult> {
  const admin = await adminClient(options.url)
  const contestants = [
    await rawContestant(options.url),
    await codexContestant(options.url),
    await redlockContestant(options.url),
    await fencedRawContestant(options.url),
    await codexContestant(options.url, false)
  ]
  try {
    for (const c of contestants) await c.cycle('check')
    const scenarios: RoundRobinResult[] = []
    const concurrencies = options.concurrencies ?? [1, 64]
    for (const concurrency of concurrencies) {
      await admin.flushDb()
      const entrants = contestants.map((c) => ({ name: c.name, op: pooled(c, concurrency) }))
      scenarios.push(await roundRobin(entrants, { concurrency, rounds: options.rounds, sliceMs: options.sliceMs, warmupMs: options.warmupMs }))
    }
    // Three alternating repetitions, the median of each: one CPU reading is as noisy as the machine.
    const costs: LockCost[] = []
    const costConcurrency = Math.max(...concurrencies)
    if ((options.costMs ?? 0) > 0) {
      const runs = contestants.map(() => [] as LockCost[])
      for (let rep = 0; rep < 3; rep++) {
        for (const [i, c] of contestants.entries()) runs[i]!.push(await measureCost(admin, c, costConcurrency, options.costMs!))
      }
      for (const list of runs) {
        const mid = (key: 'clientUs' | 'redisUs' | 'wallUs'): number => list.map((r) => r[key]).sort((a, b) => a - b)[1]!
        costs.push({ name: list[0]!.name, concurrency: costConcurrency, clientUs: mid('clientUs'), redisUs: mid('redisUs'), wallUs: mid('wallUs') })
      }
    }
    const scriptCosts = (options.costMs ?? 0) > 0 ? await measureScriptCosts(options.url, admin) : []
    return { scenarios, costs, scriptCosts }
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
