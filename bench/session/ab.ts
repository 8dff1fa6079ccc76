/**
 * Server CPU per session request, each contestant driving itself in-process (light-my-request, no sockets, no load
 * generator on the cores), alternating contestants round by round; Redis commands and redis-server CPU per request
 * from INFO deltas around each round. Robust where the HTTP suite's throughput is not: a machine shared with other work.
 *   npx tsx bench/session/ab.ts [rounds] [requests per round] [concurrency]
 * Contestants: BENCH_SESSION_CONTESTANTS (';'-separated) or all, plus BENCH_SESSION_VARIANTS (scratch copies).
 */
import { fmtRatio, table } from '../lib/markdown.js'
import { adminClient, callsBetween, commandCalls, redisCpuUs, startBenchRedis } from '../lib/redis.js'
import { median } from '../lib/stats.js'
import { chosenContestants, CODEX, FASTEST_PEER, NO_SESSION, type SessionContestant } from './apps.js'
import { startServer, type ServerProcess } from './child.js'
import type { InjectReport } from './inject.js'
import { ROUTES, type SessionRoute } from './suite.js'

const [roundsArg = '7', requestsArg = '4000', concurrencyArg = '64'] = process.argv.slice(2)
const rounds = Number(roundsArg)
const requests = Number(requestsArg)
const concurrency = Number(concurrencyArg)

interface Series { cpuUs: number[], wallUs: number[], redisUs: number[], calls: Map<string, number>, requests: number, failures: number }

async function inject (server: ServerProcess, route: SessionRoute, n: number): Promise<InjectReport> {
  const response = await fetch(`${server.url}/__inject`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ route, requests: n, concurrency })
  })
  if (!response.ok) throw new Error(`${server.contestant}: /__inject answered ${response.status}`)
  return await response.json() as InjectReport
}

const perRound = (a: number[], b: number[], f: (x: number, y: number) => number): number => median(a.map((x, i) => f(x, b[i]!)))

const redis = await startBenchRedis()
const admin = await adminClient(redis.url)
const servers: ServerProcess[] = []
const series = new Map<string, Series>()
try {
  process.env.BENCH_INJECT = '1'
  for (const contestant of chosenContestants()) servers.push(await startServer(contestant, redis.url))
  for (const route of Object.keys(ROUTES) as SessionRoute[]) {
    for (const server of servers) {
      await inject(server, route, Math.min(requests, 2000))
      series.set(`${server.contestant}|${route}`, { cpuUs: [], wallUs: [], redisUs: [], calls: new Map(), requests: 0, failures: 0 })
    }
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < servers.length; k++) {
        const server = servers[(round + k) % servers.length]!
        const s = series.get(`${server.contestant}|${route}`)!
        const callsBefore = await commandCalls(admin)
        const redisBefore = await redisCpuUs(admin)
        const report = await inject(server, route, requests)
        const redisCpu = await redisCpuUs(admin) - redisBefore
        for (const [name, n] of callsBetween(callsBefore, await commandCalls(admin))) s.calls.set(name, (s.calls.get(name) ?? 0) + n)
        s.cpuUs.push(report.cpuUs)
        s.wallUs.push(report.wallUs)
        s.redisUs.push(redisCpu / requests)
        s.requests += requests
        s.failures += report.failures
      }
      process.stderr.write(`  ${route} round ${round + 1}/${rounds}\n`)
    }
  }
} finally {
  for (const server of servers) await server.stop()
  await admin.close()
  await redis.stop()
}

const out: string[] = [
  `In-process A/B, ${new Date().toISOString()}: ${rounds} rounds × ${requests} requests per contestant and route, ${concurrency} in flight, ` +
  'contestants alternating. "÷ peer (CPU)" = median over rounds of peer CPU per request ÷ this one\'s: the throughput ratio when CPU-bound. ' +
  '"Δ vs fastify-codex" = median over rounds of the CPU-per-request difference.', ''
]
for (const route of Object.keys(ROUTES) as SessionRoute[]) {
  const peer = series.get(`${FASTEST_PEER}|${route}`)
  const ours = series.get(`${CODEX}|${route}`)
  const rows = servers.map(({ contestant }) => {
    const s = series.get(`${contestant}|${route}`)!
    const commands = [...s.calls].map(([name, n]) => [name, n / s.requests] as const).filter(([, n]) => n >= 0.005).sort((a, b) => b[1] - a[1])
    const usesRedis = commands.length > 0 && contestant !== NO_SESSION
    return [
      contestant as SessionContestant,
      `${median(s.cpuUs).toFixed(1)} µs`,
      peer === undefined ? 'n/a' : fmtRatio(perRound(peer.cpuUs, s.cpuUs, (p, x) => p / x)),
      ours === undefined ? 'n/a' : `${perRound(s.cpuUs, ours.cpuUs, (x, o) => x - o) >= 0 ? '+' : ''}${perRound(s.cpuUs, ours.cpuUs, (x, o) => x - o).toFixed(1)} µs`,
      `${median(s.wallUs).toFixed(1)} µs`,
      usesRedis ? commands.map(([name, n]) => `${name.toUpperCase()} ${n.toFixed(2)}`).join(', ') : '0',
      usesRedis ? `${median(s.redisUs).toFixed(2)} µs` : '–',
      usesRedis && peer !== undefined ? fmtRatio(perRound(s.redisUs, peer.redisUs, (x, p) => x / p)) : '–',
      s.failures > 0 ? `${s.failures} FAILED` : '0'
    ]
  })
  out.push(`### ${ROUTES[route].label}`, '', table(
    ['contestant', 'server CPU / req', '÷ peer (CPU)', 'Δ vs fastify-codex', 'wall / req', 'Redis commands / req', 'Redis CPU / req', 'Redis CPU ÷ peer', 'failures'],
    rows, ['l', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r']), '')
}
console.log(out.join('\n'))
