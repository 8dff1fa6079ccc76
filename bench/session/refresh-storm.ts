/**
 * Expiry refreshes under read-only load with a short rolling cookie (issue 21): GET /read on 64 connections walking the
 * same 64 cookies, so requests of one session overlap; contestants alternating in the same rounds.
 *   node --import tsx --import ./bench/lib/built-code.mjs bench/session/refresh-storm.ts [rounds] [seconds] [maxAge ms]
 * Per contestant: req/s, refresh scripts (EVALSHA) per request and per session per second, SETs (refreshes that wrote).
 * Contestants: fastify-codex + BENCH_SESSION_VARIANTS (e.g. a scratch copy from before a change).
 */
import { table } from '../lib/markdown.js'
import { adminClient, callsBetween, commandCalls, startBenchRedis } from '../lib/redis.js'
import { median } from '../lib/stats.js'
import { CODEX, variantContestants, type SessionContestant } from './apps.js'
import { startServer, type ServerProcess } from './child.js'
import { fireRoute, login } from './suite.js'

const [roundsArg = '3', secondsArg = '3', maxAgeArg = '10000'] = process.argv.slice(2)
const rounds = Number(roundsArg)
const seconds = Number(secondsArg)
const CONNECTIONS = 64
const SESSIONS = 64
process.env.BENCH_SESSION_MAX_AGE = maxAgeArg

interface Slice { rate: number, requests: number, evalsha: number, set: number, failures: number }

const redis = await startBenchRedis()
const admin = await adminClient(redis.url)
const servers: ServerProcess[] = []
const cookies = new Map<ServerProcess, string[]>()
const slices = new Map<string, Slice[]>()
try {
  for (const contestant of [CODEX as SessionContestant, ...variantContestants()]) {
    const server = await startServer(contestant, redis.url)
    servers.push(server)
    cookies.set(server, await login(server, SESSIONS))
  }
  for (const server of servers) await fireRoute(server.url, 'read', cookies.get(server)!, CONNECTIONS, 1)
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < servers.length; k++) {
      const server = servers[(round + k) % servers.length]!
      const before = await commandCalls(admin)
      const fired = await fireRoute(server.url, 'read', cookies.get(server)!, CONNECTIONS, seconds)
      const calls = callsBetween(before, await commandCalls(admin))
      const slice = { rate: fired.rate, requests: fired.total, evalsha: calls.get('evalsha') ?? 0, set: calls.get('set') ?? 0, failures: fired.failures }
      slices.set(server.contestant, [...slices.get(server.contestant) ?? [], slice])
      process.stderr.write(`  round ${round + 1} ${server.contestant}: ${Math.round(fired.rate)} req/s, ${slice.evalsha} refresh scripts, ${slice.set} wrote\n`)
    }
  }
} finally {
  for (const server of servers) await server.stop()
  await admin.close()
  await redis.stop()
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
console.log(`Refresh storm ${new Date().toISOString()}: GET /read, rolling maxAge ${maxAgeArg} ms, ${rounds} rounds × ${seconds} s, ` +
  `${CONNECTIONS} connections over ${SESSIONS} sessions (overlapping), contestants alternating.\n`)
console.log(table(['contestant', 'req/s (median)', 'refresh scripts / request', 'per session per second', 'refreshes that wrote (SET)', 'failed'],
  servers.map(({ contestant }) => {
    const s = slices.get(contestant)!
    const requests = sum(s.map((x) => x.requests))
    const evalsha = sum(s.map((x) => x.evalsha))
    return [contestant, String(Math.round(median(s.map((x) => x.rate)))), (evalsha / requests).toFixed(3),
      (evalsha / SESSIONS / (rounds * seconds)).toFixed(1), String(sum(s.map((x) => x.set))), String(sum(s.map((x) => x.failures)))]
  }), ['l', 'r', 'r', 'r', 'r', 'r']))
