import { fmtInt, fmtRatio, fmtUs, table } from '../lib/markdown.js'
import { CODEX } from './contestants.js'
import type { HotKeyBenchResult } from './suite.js'

/** One row per contestant: factory runs per expiry, throughput and latency, p99 as a ratio to ours. */
export function hotKeyTable (result: HotKeyBenchResult): string {
  const ours = result.runs.find((r) => r.contestant === CODEX)
  const rows = result.runs.map((r) => [
    r.contestant,
    r.runsPerExpiry.toFixed(2),
    String(r.maxRunsPerExpiry),
    `${r.factoryRuns} / ${r.expiries}`,
    fmtInt(r.callsPerSec),
    fmtUs(r.p50Us),
    fmtUs(r.p99Us),
    ours === undefined ? 'n/a' : fmtRatio(r.p99Us / ours.p99Us),
    r.errors === 0 ? '0' : `${r.errors} (${r.firstError ?? ''})`
  ])
  return table(
    ['contestant', 'factory runs / expiry', 'most in one expiry', 'runs / expiries', 'calls/s', 'p50', 'p99', 'p99 ÷ codex p99', 'errors'],
    rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'])
}
