import { randomUUID } from 'node:crypto'
import { createClient } from '@redis/client'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'
import { RedisCache } from '../../lib/cache/cache.js'
import { TOKEN_MEMORY_MS } from '../../lib/cache/locks/locks.js'
import { RedisConnection } from '../../lib/connection/connection.js'
import type { CommandClient } from '../../lib/connection/client-types.js'
import { resolveConnectionOptions } from '../../lib/connection/options.js'
import { LOCK_ACQUIRE, LOCK_RELEASE } from '../../lib/connection/scripts.js'

export const RAW_LOCK = 'raw SET NX PX + Lua compare-and-delete (@redis/client)'
export const CODEX_LOCK = 'fastify-codex lock() + release()'
export const REDLOCK = '@sesamecare-oss/redlock, one node (ioredis)'
export const FENCED_RAW = 'raw, with our fencing-token Lua (@redis/client)'
export const CODEX_NO_DEADLINE = 'fastify-codex, per-command deadline off'

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
export function pooled (contestant: LockContestant, concurrency: number): () => Promise<void> {
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

/** Every contestant, by the id its child process is started with; the order of the bench's tables. */
export const CONTESTANTS = {
  raw: rawContestant,
  codex: async (url: string) => await codexContestant(url),
  redlock: redlockContestant,
  fenced: fencedRawContestant,
  'codex-no-deadline': async (url: string) => await codexContestant(url, false)
} satisfies Record<string, (url: string) => Promise<LockContestant>>

export type LockContestantId = keyof typeof CONTESTANTS
