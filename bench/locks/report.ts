import { fmtInt, fmtRatio, fmtUs, table } from '../lib/markdown.js'
import { medianRate } from '../lib/runner.js'
import { CODEX_LOCK, RAW_LOCK, REDLOCK, lockRatio, type LockBenchResult } from './suite.js'

/** One row per contestant and concurrency: cycles/s, ratio to the raw pair, latency, errors. */
export function lockTable (result: LockBenchResult): string {
  const rows = result.scenarios.flatMap((scenario) => scenario.entrants.map((e) => [
    e.name,
    String(scenario.concurrency),
    fmtInt(medianRate(e)),
    fmtRatio(lockRatio(result, scenario.concurrency, e.name, RAW_LOCK)),
    fmtRatio(lockRatio(result, scenario.concurrency, CODEX_LOCK, e.name)),
    fmtUs(e.p50Us),
    fmtUs(e.p99Us),
    String(e.errors)
  ]))
  return table(['contestant', 'concurrency', 'cycles/s', '÷ raw pair', 'codex ÷ this', 'p50', 'p99', 'errors'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'])
}

export { CODEX_LOCK, RAW_LOCK, REDLOCK }
