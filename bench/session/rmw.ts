/**
 * Read-modify-write decomposed (issues 18/21): POST /visit with the bench's overlapping load (64 connections walking the
 * same 64 cookies) and pinned (connection i only sends session i), contestants and modes alternating in the same rounds.
 * A third mode (ticks) sends POST /tick, each request changing its own connection's field (bench/session/visits.ts).
 * Per slice: throughput, lost updates (2xx answers counted by the server − the sessions' counters' growth),
 * EVALSHA calls per write beyond the first (merges), Redis CPU per request and µs per call (INFO commandstats).
 *   node --import tsx --import ./bench/lib/built-code.mjs bench/session/rmw.ts [rounds] [seconds]
 * Contestants: BENCH_SESSION_CONTESTANTS (';'-separated; default the fastest peer and fastify-codex) + BENCH_SESSION_VARIANTS.
 */
import { fmtRatio, table } from '../lib/markdown.js'
import { adminClient, redisCpuUs, startBenchRedis, type AdminClient } from '../lib/redis.js'
import { median } from '../lib/stats.js'
import { chosenContestants, CODEX, FASTEST_PEER, type SessionContestant } from './apps.js'
import { startServer, type ServerProcess } from './child.js'
import { fireRoute, login } from './suite.js'

const [roundsArg = '5', secondsArg = '2'] = process.argv.slice(2)
const rounds = Number(roundsArg)
const seconds = Number(secondsArg)
const CONNECTIONS = 64
// shared: the bench's load today; pinned: connection i only sends session i; ticks: shared, each request changing a
// field of its own connection (what a field-by-field merge keeps and a last-save-wins store loses).
const MODES = [
  { name: 'shared', path: '/visit', pinned: false },
  { name: 'pinned', path: '/visit', pinned: true },
  { name: 'ticks (shared)', path: '/tick', pinned: false }
] as const

interface Slice { rate: number, requests: number, ok: number, failed: number, lost: number, evalsha: number, redisUs: number, calls: Map<string, { calls: number, usec: number }> }

async function commandStats (admin: AdminClient): Promise<Map<string, { calls: number, usec: number }>> {
  const text = await admin.info('commandstats')
  const stats = new Map<string, { calls: number, usec: number }>()
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) })
  return stats
}

async function json<T> (url: string): Promise<T> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`${url} answered ${response.status}`)
  return await response.json() as T
}

/** The sessions' counters: `user.visits` (POST /visit) or the tick fields (POST /tick). */
async function counterTotal (server: ServerProcess, cookies: readonly string[], path: string): Promise<number> {
  let total = 0
  for (const cookie of cookies) {
    const response = await fetch(`${server.url}${path === '/tick' ? '/__ticks' : '/read'}`, { headers: { cookie } })
    if (!response.ok) throw new Error(`${server.contestant}: ${path} counter read answered ${response.status}`)
    const body = await response.json() as { visits?: number, ticks?: number }
    total += body.visits ?? body.ticks ?? 0
  }
  return total
}

const cookiesFor = (server: ServerProcess, path: string): string[] => cookies.get(path === '/tick' ? `${server.contestant}|ticks` : server.contestant)!
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const envNames = process.env.BENCH_SESSION_CONTESTANTS
const contestants: SessionContestant[] = envNames === undefined || envNames.trim() === ''
  ? [FASTEST_PEER, CODEX, ...chosenContestants({ BENCH_SESSION_CONTESTANTS: CODEX, BENCH_SESSION_VARIANTS: process.env.BENCH_SESSION_VARIANTS }).slice(1)]
  : chosenContestants()
const redis = await startBenchRedis()
const admin = await adminClient(redis.url)
const servers: ServerProcess[] = []
const cookies = new Map<string, string[]>()
const slices = new Map<string, Slice[]>()
try {
  process.env.BENCH_COUNT_VISITS = '1'
  for (const contestant of contestants) {
    const server = await startServer(contestant, redis.url)
    servers.push(server)
    // The ticks' sessions are their own: their 64 extra fields must not grow the payload /visit measures.
    cookies.set(contestant, await login(server, CONNECTIONS))
    cookies.set(`${contestant}|ticks`, await login(server, CONNECTIONS))
  }
  for (const server of servers) for (const mode of MODES) await fireRoute(server.url, { method: 'POST', path: mode.path }, cookiesFor(server, mode.path), CONNECTIONS, 1, mode.pinned)
  for (let round = 0; round < rounds; round++) {
    for (const [m, mode] of MODES.entries()) {
      for (let k = 0; k < servers.length; k++) {
        const server = servers[(round + m + k) % servers.length]!
        const own = cookiesFor(server, mode.path)
        const visitsBefore = await counterTotal(server, own, mode.path)
        const countedBefore = (await json<Record<string, { ok: number, failed: number }>>(`${server.url}/__visits`))[mode.path]!
        const statsBefore = await commandStats(admin)
        const cpuBefore = await redisCpuUs(admin)
        const fired = await fireRoute(server.url, { method: 'POST', path: mode.path }, own, CONNECTIONS, seconds, mode.pinned)
        // Requests still in flight when autocannon stopped finish now, inside this window.
        await delay(200)
        const redisUs = await redisCpuUs(admin) - cpuBefore
        const statsAfter = await commandStats(admin)
        const counted = (await json<Record<string, { ok: number, failed: number }>>(`${server.url}/__visits`))[mode.path]!
        const visitsAfter = await counterTotal(server, own, mode.path)
        const ok = counted.ok - countedBefore.ok
        const failed = counted.failed - countedBefore.failed
        const calls = new Map<string, { calls: number, usec: number }>()
        for (const [name, after] of statsAfter) {
          const before = statsBefore.get(name) ?? { calls: 0, usec: 0 }
          if (name !== 'info' && after.calls > before.calls) calls.set(name, { calls: after.calls - before.calls, usec: after.usec - before.usec })
        }
        const requests = ok + failed
        const slice: Slice = {
          rate: fired.rate, requests, ok, failed, lost: ok - (visitsAfter - visitsBefore), evalsha: calls.get('evalsha')?.calls ?? 0, redisUs: redisUs / Math.max(1, requests), calls
        }
        const key = `${server.contestant}|${mode.name}`
        slices.set(key, [...slices.get(key) ?? [], slice])
        process.stderr.write(`  round ${round + 1} ${mode.name} ${server.contestant}: ${Math.round(fired.rate)} req/s, lost ${slice.lost}, failed ${failed}, evalsha/req ${(slice.evalsha / Math.max(1, requests)).toFixed(3)}\n`)
      }
    }
  }
} finally {
  for (const server of servers) await server.stop()
  await admin.close()
  await redis.stop()
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
const perCall = (s: Slice[], name: string): string => {
  const calls = sum(s.map((x) => x.calls.get(name)?.calls ?? 0))
  return calls === 0 ? '–' : (sum(s.map((x) => x.calls.get(name)?.usec ?? 0)) / calls).toFixed(2)
}
const rows: string[][] = []
for (const { name: mode } of MODES) {
  const peer = slices.get(`${FASTEST_PEER}|${mode}`)
  for (const { contestant } of servers) {
    const s = slices.get(`${contestant}|${mode}`)!
    const requests = sum(s.map((x) => x.requests))
    const ratio = peer === undefined ? Number.NaN : median(s.map((x, i) => x.rate / peer[i]!.rate))
    const evalsha = sum(s.map((x) => x.evalsha))
    rows.push([
      mode, contestant, String(Math.round(median(s.map((x) => x.rate)))), fmtRatio(ratio),
      evalsha === 0 ? '–' : (100 * (evalsha - requests) / requests).toFixed(1),
      `${sum(s.map((x) => x.lost))} of ${sum(s.map((x) => x.ok))}`, String(sum(s.map((x) => x.failed))),
      median(s.map((x) => x.redisUs)).toFixed(2), perCall(s, 'evalsha'), perCall(s, 'set'), perCall(s, 'get')
    ])
  }
}
console.log(`RMW decomposition ${new Date().toISOString()}: ${rounds} rounds × ${seconds} s, ${CONNECTIONS} connections, modes and contestants alternating.\n`)
console.log(table(['mode', 'contestant', 'req/s (median)', '÷ peer (median of rounds)', 'merges / 100 writes', 'lost updates', 'failed', 'Redis CPU / req µs', 'evalsha µs/call', 'set µs/call', 'get µs/call'],
  rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']))
for (const { name: mode } of MODES) {
  const peer = slices.get(`${FASTEST_PEER}|${mode}`)
  if (peer === undefined) continue
  for (const { contestant } of servers) {
    if (contestant === FASTEST_PEER) continue
    console.log(`ratio rounds ${mode} ${contestant}: ${slices.get(`${contestant}|${mode}`)!.map((x, i) => (x.rate / peer[i]!.rate).toFixed(2)).join(' ')}`)
  }
}
