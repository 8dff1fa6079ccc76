/**
 * Where `cache.set`'s gap to raw @redis/client goes, at 64 callers in the same rounds: raw (timeout off), raw with the
 * strict JSON serializer, raw with the serializer and the command deadline, and fastify-codex.
 *   npm run build && node --import tsx --import ./bench/lib/built-code.mjs bench/cache/set-gap.ts [rounds]
 */
import { createClient } from '@redis/client'
import { jsonSerializer } from '../../lib/serializer.js'
import { DeadlineQueue } from '../../lib/connection/deadline.js'
import { samplePayload } from '../serializer.js'
import { startBenchRedis } from '../lib/redis.js'
import { medianRatio, roundRobin, type Entrant } from '../lib/runner.js'
import { openContestants, RAW_NO_TIMEOUT, CODEX, TTL_SECONDS } from './contestants.js'

const rounds = Number(process.argv[2] ?? 15)
const KEYS = Array.from({ length: 1000 }, (_, i) => `item:${i}`)
const PX = { expiration: { type: 'PX', value: TTL_SECONDS * 1000 } } as const
const payload = samplePayload()

const redis = await startBenchRedis()
const client = createClient({ url: redis.url, commandOptions: { timeout: 0 } })
client.on('error', () => {})
await client.connect()
const deadlines = new DeadlineQueue(2000)
const adapters = await openContestants(redis.url, [RAW_NO_TIMEOUT, CODEX])
const CHECKED = 'raw + strict JSON check'
const TRACKED = 'raw + strict JSON check + deadline'
try {
  const entrants: Entrant[] = [
    ...adapters.map((a) => ({ name: a.name, op: (n: number) => a.set(KEYS[n % 1000]!, payload) })),
    { name: CHECKED, op: async (n) => { await client.set(`chk:${KEYS[n % 1000]!}`, jsonSerializer.stringify(payload), PX) } },
    { name: TRACKED, op: async (n) => { await deadlines.track(client.set(`trk:${KEYS[n % 1000]!}`, jsonSerializer.stringify(payload), PX)) } }
  ]
  const result = await roundRobin(entrants, { concurrency: 64, rounds, sliceMs: 200, warmupMs: 200 })
  for (const name of [CHECKED, TRACKED, CODEX]) console.log(`${name}: ${medianRatio(result, name, RAW_NO_TIMEOUT).toFixed(3)}× raw`)
} finally {
  for (const adapter of adapters) await adapter.close()
  await client.close()
  await redis.stop()
}
