import { fmtInt, fmtRatio, fmtUs, table } from '../lib/markdown.js'
import { medianRate, medianRatio } from '../lib/runner.js'
import { CACHE_MANAGER, CODEX, KEYV, RAW_DEFAULTS, RAW_NO_TIMEOUT } from './contestants.js'
import type { CacheBenchResult, CacheScenarioResult } from './suite.js'

function label (scenario: CacheScenarioResult): string {
  const { operation } = scenario
  return operation === 'getMany' || operation === 'setMany' ? `${operation} (100 keys)` : operation
}

/** Find a scenario's median ratio of one contestant to another. */
export function cacheRatio (result: CacheBenchResult, operation: string, concurrency: number, name: string, baseline: string): number {
  const scenario = result.scenarios.find((s) => s.operation === operation && s.result.concurrency === concurrency)
  return scenario === undefined ? Number.NaN : medianRatio(scenario.result, name, baseline)
}

/** One row per operation × concurrency; every cell is a median of per-round ratios. */
export function cacheSummaryTable (result: CacheBenchResult): string {
  const others = [RAW_DEFAULTS, KEYV, CACHE_MANAGER, CODEX]
  const rows = result.scenarios.map((s) => [
    label(s),
    String(s.result.concurrency),
    ...others.map((name) => fmtRatio(medianRatio(s.result, name, RAW_NO_TIMEOUT))),
    fmtRatio(medianRatio(s.result, CODEX, RAW_DEFAULTS)),
    fmtRatio(medianRatio(s.result, CODEX, KEYV))
  ])
  return table(
    ['operation', 'conc.', 'raw (defaults)', 'keyv', 'cache-manager', 'fastify-codex', 'codex ÷ raw (defaults)', 'codex ÷ keyv'],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'])
}

/** Throughput and latency of every contestant in every scenario. */
export function cacheDetailTable (result: CacheBenchResult): string {
  const rows: string[][] = []
  for (const s of result.scenarios) {
    for (const e of s.result.entrants) {
      if (!e.available) {
        rows.push([label(s), String(s.result.concurrency), e.name, 'n/a (no such operation)', '', '', '', ''])
        continue
      }
      rows.push([
        label(s),
        String(s.result.concurrency),
        e.name,
        fmtInt(medianRate(e)) + (e.errors > 0 ? ` (${e.errors} errors!)` : ''),
        fmtRatio(medianRatio(s.result, e.name, RAW_DEFAULTS)),
        fmtRatio(medianRatio(s.result, e.name, RAW_NO_TIMEOUT)),
        fmtUs(e.p50Us),
        fmtUs(e.p99Us)
      ])
    }
  }
  return table(['operation', 'conc.', 'contestant', 'ops/s (median)', '÷ raw (defaults)', '÷ raw (timeout off)', 'p50', 'p99'], rows,
    ['l', 'r', 'l', 'r', 'r', 'r', 'r', 'r'])
}

/** Errors any contestant hit (a contestant with errors has no valid figures). */
export function cacheErrors (result: CacheBenchResult): string[] {
  const lines: string[] = []
  for (const s of result.scenarios) {
    for (const e of s.result.entrants) {
      if (e.errors > 0) lines.push(`${label(s)} c=${s.result.concurrency} ${e.name}: ${e.errors} errors, first: ${String((e.firstError as Error)?.message ?? e.firstError)}`)
    }
  }
  return lines
}
