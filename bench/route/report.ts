import { fmtInt, fmtMs, fmtRatio, table } from '../lib/markdown.js'
import { median } from '../lib/stats.js'
import { routeRatio, type RouteBenchResult } from './suite.js'

const LABELS: Record<string, string> = {
  ceiling: 'ceiling: the same body from memory, no work',
  hit: 'cached route, hit',
  'hit-near': 'cached route, hit, nearCache',
  uncached: 'uncached route (1 ms of work)'
}

/** The route cache section: throughput per variant, ratios, and the cold race. */
export function routeSection (result: RouteBenchResult): string {
  const { options, cold } = result
  const ceiling = median(result.throughput.find((t) => t.variant === 'ceiling')?.rates ?? [])
  const rows = result.throughput.map((t) => [
    LABELS[t.variant] ?? t.variant, fmtInt(median(t.rates)), fmtRatio(median(t.rates) / ceiling), fmtMs(median(t.p99Ms)), String(t.errors)
  ])
  return [
    '## Route response cache', '',
    `GET of a 2 KB JSON body; each variant a Fastify server in its own process, autocannon from the parent with ${options.connections} connections, ` +
    `${options.rounds} round(s) of ${options.durationSec} s per variant, alternating. Ratios are medians of per-round ratios.`, '',
    table(['variant', 'req/s (median)', '÷ ceiling', 'p99', 'errors'], rows, ['l', 'r', 'r', 'r', 'r']), '',
    `Hit ÷ ceiling **${fmtRatio(routeRatio(result, 'hitVsCeiling'))}**, with nearCache **${fmtRatio(routeRatio(result, 'nearVsCeiling'))}**, hit ÷ uncached **${fmtRatio(routeRatio(result, 'hitVsUncached'))}**.`, '',
    `Cold race: ${options.cold.processes} processes × ${options.cold.connections} connections for ${options.cold.durationSec} s on a route with a ${options.cold.ttlSeconds} s ttl: ` +
    `${fmtInt(cold.requests)} requests, ${cold.runs} handler runs over ${cold.expiries} expiries (at most ${cold.maxRunsPerExpiry} per expiry), ${cold.errors} errors, ${cold.non2xx} non-2xx.`
  ].join('\n')
}
