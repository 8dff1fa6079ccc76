import { fmtInt, fmtMs, fmtRatio, table } from '../lib/markdown.js'
import { median } from '../lib/stats.js'
import { CEILING, CR6_DEFAULTS, FASTEST_PEER, REDIS_FLOOR } from './apps.js'
import { redisCpuRatio, ROUTES, sessionRatio, type SessionBenchResult, type SessionRun } from './suite.js'

// Commands that only the bench's own monitoring or set-up would send; hidden below this rate.
const MIN_SHOWN = 0.005

function commands (perRequest: Map<string, number>): string {
  const shown = [...perRequest].filter(([, n]) => n >= MIN_SHOWN).sort((a, b) => b[1] - a[1])
  return shown.length === 0 ? '0 (no Redis)' : shown.map(([name, n]) => `${name.toUpperCase()} ${n.toFixed(2)}`).join(', ')
}

function totalCommands (perRequest: Map<string, number>): number {
  let total = 0
  for (const n of perRequest.values()) if (n >= MIN_SHOWN) total += n
  return total
}

function usesRedis (run: SessionRun): boolean {
  return totalCommands(run.commandsPerRequest) > 0
}

/**
 * One row per route and contestant: throughput and its ratios (medians of per-round ratios, same rounds),
 * server CPU, and what the request cost Redis (commands and redis-server CPU).
 */
export function sessionTable (result: SessionBenchResult): string {
  const rows = result.runs.map((run) => [
    ROUTES[run.route].label,
    run.contestant,
    fmtInt(median(run.rates)) + (run.failures > 0 ? ` (${run.failures} failed!)` : ''),
    fmtRatio(sessionRatio(result, run.route, run.contestant, FASTEST_PEER)),
    fmtRatio(sessionRatio(result, run.route, run.contestant, CEILING)),
    fmtRatio(sessionRatio(result, run.route, run.contestant, REDIS_FLOOR)),
    fmtRatio(sessionRatio(result, run.route, run.contestant, CR6_DEFAULTS)),
    fmtMs(median(run.p99Ms)),
    `${median(run.cpuUsPerRequest).toFixed(1)} µs`,
    usesRedis(run) ? `${totalCommands(run.commandsPerRequest).toFixed(2)}: ${commands(run.commandsPerRequest)}` : commands(run.commandsPerRequest),
    usesRedis(run) ? `${median(run.redisCpuUsPerRequest).toFixed(2)} µs` : '–',
    usesRedis(run) ? fmtRatio(redisCpuRatio(result, run.route, run.contestant, FASTEST_PEER)) : '–'
  ])
  return table([
    'route', 'contestant', 'req/s (median)', '÷ fastest peer', '÷ ceiling', '÷ Redis floor', '÷ cr on 6 defaults', 'p99',
    'server CPU / req', 'Redis commands / req', 'Redis CPU / req', 'Redis CPU ÷ peer'
  ], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r'])
}

/** SET calls per request on a route (payload writes). */
export function payloadWrites (result: SessionBenchResult, route: 'read' | 'rmw', contestant: string): number {
  const run = result.runs.find((r) => r.route === route && r.contestant === contestant)
  return run === undefined ? Number.NaN : (run.commandsPerRequest.get('set') ?? 0)
}
