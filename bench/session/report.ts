import { fmtInt, fmtMs, fmtRatio, table } from '../lib/markdown.js'
import { median } from '../lib/stats.js'
import { CONNECT_REDIS, MEMORY } from './apps.js'
import { ROUTES, sessionRatio, type SessionBenchResult } from './suite.js'

// Commands that only the bench's own monitoring or set-up would send; hidden below this rate.
const MIN_SHOWN = 0.005

function commands (perRequest: Map<string, number>): string {
  const shown = [...perRequest].filter(([, n]) => n >= MIN_SHOWN).sort((a, b) => b[1] - a[1])
  return shown.length === 0 ? '0 (no Redis)' : shown.map(([name, n]) => `${name.toUpperCase()} ${n.toFixed(2)}`).join(', ')
}

export function sessionTable (result: SessionBenchResult): string {
  const rows = result.runs.map((run) => [
    ROUTES[run.route].label,
    run.contestant,
    fmtInt(median(run.rates)) + (run.failures > 0 ? ` (${run.failures} failed!)` : ''),
    fmtMs(median(run.p99Ms)),
    `${Math.round(median(run.cpuUsPerRequest))} µs`,
    fmtRatio(sessionRatio(result, run.route, run.contestant, CONNECT_REDIS)),
    fmtRatio(sessionRatio(result, run.route, run.contestant, MEMORY)),
    commands(run.commandsPerRequest)
  ])
  return table(['route', 'contestant', 'req/s (median)', 'p99', 'server CPU / request', '÷ connect-redis', '÷ memory store', 'Redis commands per request'], rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'])
}

/** SET calls per request on a route (payload writes). */
export function payloadWrites (result: SessionBenchResult, route: 'read' | 'rmw', contestant: string): number {
  const run = result.runs.find((r) => r.route === route && r.contestant === contestant)
  return run === undefined ? Number.NaN : (run.commandsPerRequest.get('set') ?? 0)
}
