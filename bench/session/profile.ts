/**
 * Where a session request's CPU goes, per request, for fastify-codex against the fastest peer:
 *   npx tsx bench/session/profile.ts [read|rmw|both] [seconds per round] [rounds]
 * Each contestant's server profiles exactly the measured windows (inspector, 100 µs sampling); contestants
 * alternate round by round. Extra contestants (scratch variants) via BENCH_SESSION_VARIANTS. Prints Markdown.
 */
import { mkdir, rename } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { profileCosts, type CostLine, type ProfileCosts } from '../lib/cpuprofile.js'
import { table } from '../lib/markdown.js'
import { startBenchRedis } from '../lib/redis.js'
import { CODEX, FASTEST_PEER, isSessionContestant, variantContestants, type SessionContestant } from './apps.js'
import { CATEGORIES, categoryShares } from './categories.js'
import { startServer, type ServerProcess } from './child.js'
import { ROUTES, type SessionRoute } from './suite.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const outDir = resolve(root, 'bench/results/profiles')
const [routeArg = 'both', secondsArg = '5', roundsArg = '2'] = process.argv.slice(2)
const routes: SessionRoute[] = routeArg === 'both' ? ['read', 'rmw'] : [routeArg as SessionRoute]
const seconds = Number(secondsArg)
const rounds = Number(roundsArg)
// BENCH_PROFILE_PEER: another baseline (e.g. connect-redis on @redis/client 6, so the Redis client drops out of the diff).
const peerName = process.env.BENCH_PROFILE_PEER ?? FASTEST_PEER
if (!isSessionContestant(peerName)) throw new Error(`unknown session contestant: ${peerName}`)
const PEER: SessionContestant = peerName
const contestants: SessionContestant[] = [PEER, CODEX, ...variantContestants()]
const CONNECTIONS = 64
const SESSIONS = 64

const slug = (s: string): string => s.replace(/[^\w]+/g, '-').replace(/^-|-$/g, '')

async function post (server: ServerProcess, path: string): Promise<void> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST' })
  await response.arrayBuffer()
  if (!response.ok) throw new Error(`${path} answered ${response.status}`)
}

async function login (server: ServerProcess): Promise<string[]> {
  const cookies: string[] = []
  for (let i = 0; i < SESSIONS; i++) {
    const response = await fetch(`${server.url}/login`)
    await response.arrayBuffer()
    const cookie = response.headers.getSetCookie()[0]?.split(';', 1)[0]
    if (cookie !== undefined) cookies.push(cookie)
  }
  return cookies
}

async function fire (server: ServerProcess, route: SessionRoute, cookies: readonly string[], durationSec: number): Promise<number> {
  const { method, path } = ROUTES[route]
  const requests = cookies.map((cookie) => ({ method, path, headers: { cookie } }))
  const result = await autocannon({ url: server.url, connections: CONNECTIONS, duration: durationSec, requests })
  if (result.errors > 0) throw new Error(`${server.contestant} ${route}: ${result.errors} errors`)
  // Read-modify-write under this overlapping load: a save past 8 merge rounds answers 409 (FST_CODEX_SESSION_INTERRUPTED).
  if (result.non2xx > 0) process.stderr.write(`  ${server.contestant} ${route}: ${result.non2xx} non-2xx of ${result.requests.total}\n`)
  return result.requests.total
}

interface Measured { contestant: SessionContestant, route: SessionRoute, requests: number, costs: ProfileCosts, rate: number, cpuUs: number }

async function serverCpuUs (server: ServerProcess): Promise<number> {
  const response = await fetch(`${server.url}/__cpu`)
  return (await response.json() as { cpuUs: number }).cpuUs
}

/** Sample counts → µs: the busy samples share out the CPU time the process measured (process.cpuUsage) in the same windows. */
function scaled (costs: ProfileCosts, cpuUs: number): ProfileCosts {
  const factor = cpuUs / costs.busyUs
  for (const map of [costs.functions, costs.files, costs.inclusiveFiles, costs.ours]) for (const line of map.values()) line.us *= factor
  return { ...costs, busyUs: cpuUs }
}

const perRequest = (line: CostLine | undefined, requests: number): number => (line?.us ?? 0) / requests
const fmt = (us: number): string => us.toFixed(2)

/** Rows present in either map, by (ours − peer) per request, largest first. */
function diffRows (ours: Map<string, CostLine>, oursReq: number, peer: Map<string, CostLine>, peerReq: number, limit: number): string[][] {
  const keys = new Set([...ours.keys(), ...peer.keys()])
  return [...keys]
    .map((key) => {
      const a = perRequest(ours.get(key), oursReq)
      const b = perRequest(peer.get(key), peerReq)
      const line = ours.get(key) ?? peer.get(key)!
      return { line, a, b, d: a - b }
    })
    .sort((x, y) => Math.abs(y.d) - Math.abs(x.d))
    .slice(0, limit)
    .map(({ line, a, b, d }) => [line.name, line.where, fmt(b), fmt(a), (d >= 0 ? '+' : '') + fmt(d)])
}

const redis = await startBenchRedis()
const servers: ServerProcess[] = []
const measured: Measured[] = []
try {
  await mkdir(outDir, { recursive: true })
  const files = new Map<string, string[]>()
  const requests = new Map<string, number>()
  const rates = new Map<string, number[]>()
  const cpu = new Map<string, number>()
  const cookies = new Map<ServerProcess, string[]>()
  for (const contestant of contestants) {
    const file = resolve(outDir, `session-${slug(contestant)}.cpuprofile`)
    process.env.BENCH_PROFILE_FILE = file
    const server = await startServer(contestant, redis.url)
    servers.push(server)
    cookies.set(server, await login(server))
  }
  delete process.env.BENCH_PROFILE_FILE
  for (const route of routes) {
    for (const server of servers) await fire(server, route, cookies.get(server)!, 2)
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < servers.length; k++) {
        const server = servers[(round + k) % servers.length]!
        const key = `${server.contestant}|${route}`
        const cpuBefore = await serverCpuUs(server)
        await post(server, '/__profile/start')
        const started = performance.now()
        const n = await fire(server, route, cookies.get(server)!, seconds)
        const elapsed = (performance.now() - started) / 1000
        await new Promise((resolve) => setTimeout(resolve, 200))
        await post(server, '/__profile/stop')
        cpu.set(key, (cpu.get(key) ?? 0) + await serverCpuUs(server) - cpuBefore)
        const target = resolve(outDir, `session-${slug(server.contestant)}-${route}-${round}.cpuprofile`)
        await rename(resolve(outDir, `session-${slug(server.contestant)}.cpuprofile`), target)
        files.set(key, [...(files.get(key) ?? []), target])
        requests.set(key, (requests.get(key) ?? 0) + n)
        rates.set(key, [...(rates.get(key) ?? []), n / elapsed])
        process.stderr.write(`  ${route} ${server.contestant} round ${round + 1}: ${n} requests\n`)
      }
    }
    for (const server of servers) {
      const key = `${server.contestant}|${route}`
      const costs = scaled(await profileCosts(files.get(key)!, root, ['lib/', 'plugins/', 'dist/lib/', 'dist/plugins/', 'scratch/'], 'samples'), cpu.get(key)!)
      const r = rates.get(key)!
      measured.push({ contestant: server.contestant, route, requests: requests.get(key)!, costs, rate: r.reduce((a, b) => a + b, 0) / r.length, cpuUs: cpu.get(key)! })
    }
  }
} finally {
  for (const server of servers) await server.stop()
  await redis.stop()
}

const out: string[] = [
  `Profiled ${new Date().toISOString()}: ${rounds} round(s) × ${seconds} s per contestant and route, ${CONNECTIONS} connections, ${SESSIONS} sessions, ` +
  '100 µs sampling of the main thread; each function\'s share of the busy samples × the server\'s measured CPU time (process.cpuUsage, all threads) per request.', '']
for (const route of routes) {
  const peer = measured.find((m) => m.route === route && m.contestant === PEER)!
  out.push(`## ${ROUTES[route].label}`, '')
  out.push(table(['contestant', 'requests', 'req/s (avg)', 'server CPU µs / request'],
    measured.filter((m) => m.route === route).map((m) => [m.contestant, String(m.requests), m.rate.toFixed(0), fmt(m.costs.busyUs / m.requests)]), ['l', 'r', 'r', 'r']), '')
  const onRoute = measured.filter((m) => m.route === route)
  const shares = onRoute.map((m) => categoryShares(m.costs))
  out.push('Share of the server\'s CPU by owner (robust to a loaded machine, unlike the µs):', '',
    table(['owner', ...onRoute.map((m) => m.contestant)], CATEGORIES.map((c) => [c, ...shares.map((s) => `${s.get(c)!.toFixed(1)}%`)]),
      ['l', ...onRoute.map(() => 'r' as const)]), '')
  for (const ours of measured.filter((m) => m.route === route && m.contestant !== PEER)) {
    const header = ['name', 'where', 'peer µs/req', `${ours.contestant} µs/req`, 'difference']
    out.push(`### ${ours.contestant} − fastest peer, self time by file or package`, '',
      table(header, diffRows(ours.costs.files, ours.requests, peer.costs.files, peer.requests, 20), ['l', 'l', 'r', 'r', 'r']), '')
    out.push(`### ${ours.contestant} − fastest peer, inclusive time by file or package`, '',
      table(header, diffRows(ours.costs.inclusiveFiles, ours.requests, peer.costs.inclusiveFiles, peer.requests, 20), ['l', 'l', 'r', 'r', 'r']), '')
    out.push(`### ${ours.contestant} − fastest peer, self time by function (largest differences)`, '',
      table(header, diffRows(ours.costs.functions, ours.requests, peer.costs.functions, peer.requests, 40), ['l', 'l', 'r', 'r', 'r']), '')
    const oursLines = [...ours.costs.ours.values()].sort((a, b) => b.us - a.us).slice(0, 25)
    out.push(`### ${ours.contestant}: inclusive time of its own functions`, '',
      table(['function', 'where', 'µs/req'], oursLines.map((l) => [l.name, l.where, fmt(l.us / ours.requests)]), ['l', 'l', 'r']), '')
  }
}
console.log(out.join('\n'))
