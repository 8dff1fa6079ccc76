/**
 * Where a hot-key hit's CPU goes, in one process (no scheduling noise from the other 3):
 *   node --import tsx --import ./bench/lib/built-code.mjs bench/read-through/floor.ts [rounds] [ms]
 * 64 callers on one key, each alternative in turn per round; CPU per call (user + system ÷ calls) and calls per GET.
 * Floors: the least any read-through can do with a client, one shared GET per round of callers and one JSON.parse
 * per caller (so each has its own value), on @redis/client and on ioredis; then fastify-codex and async-cache-dedupe.
 */
import { createClient } from '@redis/client'
import { Redis } from 'ioredis'
import { setTimeout as sleep } from 'node:timers/promises'
import { adminClient, commandCalls, startBenchRedis } from '../lib/redis.js'
import { median } from '../lib/stats.js'
import { CODEX, CODEX_NEAR, DEDUPE, openHotKeyContestant, type HotKeyContestant } from './contestants.js'

type Read = (key: string) => Promise<string | null>

/** One GET shared by every caller that comes while it is in flight; each caller parses its own copy. */
function floor (read: Read, close: () => Promise<void>): HotKeyContestant {
  const inFlight = new Map<string, Promise<string | null>>()
  return {
    async getOrSet (key) {
      let reply = inFlight.get(key)
      if (reply === undefined) {
        reply = read(key)
        inFlight.set(key, reply)
        const settle = (): void => { inFlight.delete(key) }
        reply.then(settle, settle)
      }
      const text = await reply
      return text === null ? undefined : JSON.parse(text)
    },
    close
  }
}

const rounds = Number(process.argv[2] ?? 7)
const sliceMs = Number(process.argv[3] ?? 1000)
const redis = await startBenchRedis()
const admin = await adminClient(redis.url)
const ttl = 3600
const value = { computedAt: 0, pid: process.pid }
const factory = async (): Promise<unknown> => value

const node = createClient({ url: redis.url })
await node.connect()
const io = new Redis(redis.url)
const alternatives: Array<[string, HotKeyContestant]> = [
  ['floor: @redis/client, shared GET + JSON.parse each', floor((k) => node.get(`floor:${k}`), async () => { await node.close() })],
  ['floor: ioredis, shared GET + JSON.parse each', floor((k) => io.get(`floor:${k}`), async () => { io.disconnect() })],
  [CODEX, await openHotKeyContestant(CODEX, redis.url, ttl)],
  [CODEX_NEAR, await openHotKeyContestant(CODEX_NEAR, redis.url, ttl)],
  [DEDUPE, await openHotKeyContestant(DEDUPE, redis.url, ttl)]
]
await admin.set('floor:hot', JSON.stringify(value))
for (const [, c] of alternatives) await c.getOrSet('hot', factory)

const cpu = new Map<string, number[]>()
const perGet = new Map<string, number[]>()
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < alternatives.length; i++) {
    const [name, c] = alternatives[(i + round) % alternatives.length]!
    const gets = (await commandCalls(admin)).get('get') ?? 0
    const endAt = Date.now() + sliceMs
    let calls = 0
    const before = process.cpuUsage()
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (Date.now() < endAt) {
        await c.getOrSet('hot', factory)
        calls++
      }
    }))
    const used = process.cpuUsage(before)
    const got = ((await commandCalls(admin)).get('get') ?? 0) - gets
    cpu.set(name, [...cpu.get(name) ?? [], (used.user + used.system) / calls])
    perGet.set(name, [...perGet.get(name) ?? [], got === 0 ? Infinity : calls / got])
    await sleep(50)
  }
}
const base = cpu.get(alternatives[0]![0])!
console.log(`${rounds} rounds × ${sliceMs} ms, 64 callers, one process; medians (ratio: median of per-round ratios to the first line)`)
for (const [name] of alternatives) {
  const mine = cpu.get(name)!
  const ratio = median(mine.map((us, i) => us / base[i]!))
  console.log(`${name.padEnd(50)} ${median(mine).toFixed(2).padStart(6)} µs CPU/call  ${ratio.toFixed(2)}×  ${median(perGet.get(name)!).toFixed(0).padStart(8)} calls/GET`)
}
for (const [, c] of alternatives) await c.close()
await admin.close()
await redis.stop()
