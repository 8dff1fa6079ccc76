import { fmtInt, fmtRatio, fmtUs, table } from '../lib/markdown.js'
import { medianRate } from '../lib/runner.js'
import { CODEX_LOCK, CODEX_NO_DEADLINE, FENCED_RAW, RAW_LOCK, REDLOCK, lockRatio, type LockBenchResult } from './suite.js'

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

/** Where a cycle's time goes: client CPU, Redis CPU and wall time per cycle, each contestant alone. */
export function lockCostTable (result: LockBenchResult): string {
  const us = (n: number): string => `${n.toFixed(1)} µs`
  const rows = result.costs.map((c) => [c.name, String(c.concurrency), us(c.clientUs), us(c.redisUs), us(c.clientUs + c.redisUs), us(c.wallUs)])
  return table(['contestant', 'concurrency', 'client CPU / cycle', 'Redis CPU / cycle', 'sum', 'wall / cycle'], rows, ['l', 'r', 'r', 'r', 'r', 'r'])
}

/** Redis execution time per cycle of each command pair (INFO commandstats), best of the rounds. */
export function scriptCostTable (result: LockBenchResult): string {
  const base = result.scriptCosts[0]?.us ?? Number.NaN
  const rows = result.scriptCosts.map((c) => [c.name, c.commands, `${c.us.toFixed(2)} µs`, `+${(c.us - base).toFixed(2)} µs`])
  return table(['acquire + release as', 'commands Redis runs / cycle', 'Redis time / cycle', 'over the raw pair'], rows, ['l', 'l', 'r', 'r'])
}

export { CODEX_LOCK, CODEX_NO_DEADLINE, FENCED_RAW, RAW_LOCK, REDLOCK }
