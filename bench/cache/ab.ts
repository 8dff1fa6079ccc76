/**
 * Two builds of fastify-codex against raw @redis/client (timeout off) in the same rounds, at 64 callers:
 *   npm run build && node --import tsx --import ./bench/lib/built-code.mjs bench/cache/ab.ts <other-root> [ops] [rounds]
 * `<other-root>`: a checkout with its own `npm run build` (e.g. `git archive BASE | tar -x -C /tmp/base`, node_modules
 * symlinked); `ops`: comma-separated, of get, set, getMany, setMany (default: all four).
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { RedisCache as CacheClass } from '../../lib/cache/cache.js'
import type { RedisConnection as ConnectionClass } from '../../lib/connection/connection.js'
import { resolveConnectionOptions } from '../../lib/connection/options.js'
import { RedisCache } from '../../lib/cache/cache.js'
import { RedisConnection } from '../../lib/connection/connection.js'
import { samplePayload } from '../serializer.js'
import { adminClient, startBenchRedis } from '../lib/redis.js'
import { medianRatio, roundRobin, type Entrant } from '../lib/runner.js'
import { openContestants, RAW_NO_TIMEOUT, TTL_SECONDS } from './contestants.js'

type Op = 'get' | 'set' | 'getMany' | 'setMany'
const [otherRoot, opsArg = 'get,set,getMany,setMany', roundsArg = '15'] = process.argv.slice(2)
if (otherRoot === undefined) throw new Error('usage: bench/cache/ab.ts <other-root> [ops] [rounds]')
const operations = opsArg.split(',') as Op[]

const KEYS = Array.from({ length: 1000 }, (_, i) => `item:${i}`)
const BATCHES = Array.from({ length: 10 }, (_, b) => KEYS.slice(b * 100, (b + 1) * 100))
const payload = samplePayload()

interface Caches { set: (k: string, v: unknown) => Promise<unknown>, get: (k: string) => Promise<unknown>, getMany: (k: string[]) => Promise<unknown>, setMany: (e: Array<readonly [string, unknown]>) => Promise<unknown> }

async function codex (Cache: typeof CacheClass, Connection: typeof ConnectionClass, url: string, prefix: string): Promise<{ cache: Caches, close: () => Promise<void> }> {
  const connection = new Connection(resolveConnectionOptions({ url }), (err) => { console.error(err.message) })
  await connection.connect()
  const cache = new Cache(connection, { keyPrefix: prefix, ttl: TTL_SECONDS }) as unknown as Caches
  return { cache, close: async () => { await connection.close() } }
}

const other = pathToFileURL(resolve(otherRoot, 'dist/lib/')).href + '/'
const OtherCache = (await import(`${other}cache/cache.js`) as { RedisCache: typeof CacheClass }).RedisCache
const OtherConnection = (await import(`${other}connection/connection.js`) as { RedisConnection: typeof ConnectionClass }).RedisConnection

const redis = await startBenchRedis()
const admin = await adminClient(redis.url)
const [raw] = await openContestants(redis.url, [RAW_NO_TIMEOUT])
const mine = await codex(RedisCache, RedisConnection, redis.url, 'this')
const theirs = await codex(OtherCache, OtherConnection, redis.url, 'other')
const contestants: Array<[string, Caches]> = [[RAW_NO_TIMEOUT, raw as unknown as Caches], ['this build', mine.cache], [`other (${otherRoot})`, theirs.cache]]
try {
  for (const op of operations) {
    for (const [, c] of contestants) for (const keys of BATCHES) await c.setMany(keys.map((k) => [k, payload] as const))
    const entrants: Entrant[] = contestants.map(([name, c]) => ({
      name,
      op: op === 'get'
        ? (n) => c.get(KEYS[n % 1000]!)
        : op === 'set'
          ? (n) => c.set(KEYS[n % 1000]!, payload)
          : op === 'getMany'
            ? (n) => c.getMany(BATCHES[n % 10]!)
            : (n) => c.setMany(BATCHES[n % 10]!.map((k) => [k, payload] as const))
    }))
    const batch = op === 'getMany' || op === 'setMany'
    const result = await roundRobin(entrants, { concurrency: 64, rounds: Number(roundsArg), sliceMs: batch ? 400 : 200, warmupMs: 200 })
    const ratios = contestants.slice(1).map(([name]) => {
      const entrant = result.entrants.find((e) => e.name === name)!
      const base = result.entrants.find((e) => e.name === RAW_NO_TIMEOUT)!
      const each = entrant.rates.map((r, i) => r / base.rates[i]!).sort((a, b) => a - b)
      return `${name} ${medianRatio(result, name, RAW_NO_TIMEOUT).toFixed(3)}× (rounds ${each[0]!.toFixed(2)}–${each.at(-1)!.toFixed(2)})`
    })
    console.log(`${op}: ${ratios.join(', ')}`)
  }
} finally {
  await admin.flushDb()
  await raw!.close()
  await mine.close()
  await theirs.close()
  await admin.close()
  await redis.stop()
}
