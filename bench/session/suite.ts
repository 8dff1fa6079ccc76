import autocannon from 'autocannon'
import { adminClient, callsBetween, commandCalls, redisCpuUs, type AdminClient } from '../lib/redis.js'
import { median } from '../lib/stats.js'
import { chosenContestants, isCodex, type SessionContestant } from './apps.js'
import { startServer, type ServerProcess } from './child.js'

export type SessionRoute = 'read' | 'rmw'

export const ROUTES: Record<SessionRoute, { method: 'GET' | 'POST', path: string, label: string }> = {
  read: { method: 'GET', path: '/read', label: 'read-only (GET /read)' },
  rmw: { method: 'POST', path: '/visit', label: 'read-modify-write (POST /visit)' }
}

export interface SessionBenchOptions {
  redisUrl: string
  rounds: number
  durationSec: number
  connections: number
  /** Distinct sessions (cookies) the requests cycle through. */
  sessions: number
  /** Each connection on its own session (no two requests of one session in flight); default false. */
  pinned?: boolean
  contestants?: readonly SessionContestant[]
  onRun?: (line: string) => void
}

export interface SessionRun {
  contestant: SessionContestant
  route: SessionRoute
  /** Requests/s, one per round. */
  rates: number[]
  p99Ms: number[]
  /** Server CPU time (user + system) per request in µs, one per round. */
  cpuUsPerRequest: number[]
  /** redis-server CPU time (used_cpu_sys + used_cpu_user) per request in µs, one per round. */
  redisCpuUsPerRequest: number[]
  requests: number
  /** Non-2xx answers and socket errors over all rounds: must be 0 for a valid result. */
  failures: number
  /** Redis commands per request by command name (lower case), over all rounds. */
  commandsPerRequest: Map<string, number>
}

export interface SessionBenchResult {
  connections: number
  durationSec: number
  rounds: number
  sessions: number
  pinned: boolean
  runs: SessionRun[]
  skipped: Array<{ contestant: SessionContestant, reason: string }>
}

export async function login (server: ServerProcess, count: number): Promise<string[]> {
  const cookies: string[] = []
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${server.url}/login`)
    if (!response.ok) throw new Error(`${server.contestant}: GET /login answered ${response.status}`)
    await response.arrayBuffer()
    const cookie = response.headers.getSetCookie()[0]?.split(';', 1)[0]
    if (cookie !== undefined) cookies.push(cookie)
  }
  return cookies
}

export async function serverCpuUs (server: ServerProcess): Promise<number> {
  const response = await fetch(`${server.url}/__cpu`)
  return (await response.json() as { cpuUs: number }).cpuUs
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export interface Fired { total: number, rate: number, p99: number, failures: number }

/**
 * One slice of load. Shared (the default): every connection walks the whole cookie list, so requests of one session
 * overlap. Pinned (BENCH_SESSION_PINNED=1): connection i only ever sends cookie i, so no two requests of one session are
 * in flight at once (one autocannon per connection: autocannon has no per-connection request list).
 */
export async function fireRoute (url: string, route: SessionRoute | { method: 'GET' | 'POST', path: string }, cookies: readonly string[], connections: number, durationSec: number, pinned = false): Promise<Fired> {
  const { method, path } = typeof route === 'string' ? ROUTES[route] : route
  if (pinned && cookies.length > 0) {
    if (cookies.length < connections) throw new Error(`pinned sessions need a cookie per connection (${cookies.length} < ${connections})`)
    const results = await Promise.all(cookies.slice(0, connections).map(async (cookie) =>
      await autocannon({ url, connections: 1, duration: durationSec, requests: [{ method, path, headers: { cookie } }] })))
    return {
      total: results.reduce((n, r) => n + r.requests.total, 0),
      rate: results.reduce((n, r) => n + r.requests.average, 0),
      p99: Math.max(...results.map((r) => r.latency.p99)),
      failures: results.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0)
    }
  }
  const requests = cookies.length === 0
    ? [{ method, path }]
    : cookies.map((cookie) => ({ method, path, headers: { cookie } }))
  const result = await autocannon({ url, connections, duration: durationSec, requests })
  return { total: result.requests.total, rate: result.requests.average, p99: result.latency.p99, failures: result.non2xx + result.errors + result.timeouts }
}

async function fire (server: ServerProcess, route: SessionRoute, cookies: readonly string[], options: SessionBenchOptions, durationSec: number): Promise<Fired> {
  return await fireRoute(server.url, route, cookies, options.connections, durationSec, options.pinned === true)
}

/** Starts every contestant's server at once (idle ones cost nothing), then alternates them route by route. */
export async function runSessionBench (options: SessionBenchOptions): Promise<SessionBenchResult> {
  const admin: AdminClient = await adminClient(options.redisUrl)
  const servers: ServerProcess[] = []
  const skipped: SessionBenchResult['skipped'] = []
  const cookies = new Map<SessionContestant, string[]>()
  try {
    for (const contestant of options.contestants ?? chosenContestants()) {
      try {
        const server = await startServer(contestant, options.redisUrl)
        servers.push(server)
        cookies.set(contestant, await login(server, options.sessions))
      } catch (err) {
        if (!isCodex(contestant)) throw err
        skipped.push({ contestant, reason: (err as Error).message.split('\n', 1)[0]! })
      }
    }
    const runs: SessionRun[] = []
    for (const route of Object.keys(ROUTES) as SessionRoute[]) {
      const byName = new Map<SessionContestant, SessionRun>()
      const calls = new Map<SessionContestant, Map<string, number>>()
      for (const server of servers) {
        byName.set(server.contestant, { contestant: server.contestant, route, rates: [], p99Ms: [], cpuUsPerRequest: [], redisCpuUsPerRequest: [], requests: 0, failures: 0, commandsPerRequest: new Map() })
        calls.set(server.contestant, new Map())
        // Warm-up: JIT, connection pools, session cache lines.
        await fire(server, route, cookies.get(server.contestant)!, options, 1)
      }
      for (let round = 0; round < options.rounds; round++) {
        for (let k = 0; k < servers.length; k++) {
          const server = servers[(round + k) % servers.length]!
          const run = byName.get(server.contestant)!
          const before = await commandCalls(admin)
          const redisBefore = await redisCpuUs(admin)
          const cpuBefore = await serverCpuUs(server)
          const result = await fire(server, route, cookies.get(server.contestant)!, options, options.durationSec)
          // Requests still in flight when autocannon stopped finish now, inside this window.
          await delay(200)
          const cpu = await serverCpuUs(server) - cpuBefore
          const redisCpu = await redisCpuUs(admin) - redisBefore
          const delta = callsBetween(before, await commandCalls(admin))
          const requests = Math.max(1, result.total)
          run.cpuUsPerRequest.push(cpu / requests)
          run.redisCpuUsPerRequest.push(redisCpu / requests)
          const total = calls.get(server.contestant)!
          for (const [name, n] of delta) total.set(name, (total.get(name) ?? 0) + n)
          run.rates.push(result.rate)
          run.p99Ms.push(result.p99)
          run.requests += result.total
          run.failures += result.failures
          options.onRun?.(`${ROUTES[route].label} ${server.contestant}: ${Math.round(result.rate)} req/s, p99 ${result.p99} ms, ${Math.round(cpu / requests)} µs CPU/request, Redis ${(redisCpu / requests).toFixed(2)} µs/request`)
        }
      }
      for (const [contestant, run] of byName) {
        for (const [name, n] of calls.get(contestant)!) run.commandsPerRequest.set(name, n / Math.max(1, run.requests))
        runs.push(run)
      }
    }
    return {
      connections: options.connections,
      durationSec: options.durationSec,
      rounds: options.rounds,
      sessions: options.sessions,
      pinned: options.pinned === true,
      runs,
      skipped
    }
  } finally {
    for (const server of servers) await server.stop()
    await admin.close()
  }
}

/** Median over rounds of (req/s of `name` / req/s of `baseline`) on the same route. */
export function sessionRatio (result: SessionBenchResult, route: SessionRoute, name: SessionContestant, baseline: SessionContestant): number {
  return perRoundRatio(result, route, name, baseline, (run) => run.rates)
}

/** Median over rounds of (Redis CPU per request of `name` / that of `baseline`) on the same route. */
export function redisCpuRatio (result: SessionBenchResult, route: SessionRoute, name: SessionContestant, baseline: SessionContestant): number {
  return perRoundRatio(result, route, name, baseline, (run) => run.redisCpuUsPerRequest)
}

function perRoundRatio (result: SessionBenchResult, route: SessionRoute, name: SessionContestant, baseline: SessionContestant, series: (run: SessionRun) => number[]): number {
  const a = result.runs.find((r) => r.route === route && r.contestant === name)
  const b = result.runs.find((r) => r.route === route && r.contestant === baseline)
  if (a === undefined || b === undefined) return Number.NaN
  const of = series(b)
  return median(series(a).map((value, i) => value / of[i]!))
}
