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
    fmtUs(r.hitP99Us),
    `${r.cpuUsPerCall.toFixed(2)} µs`,
    r.commandsPer1000.slice(0, 3).map(([command, n]) => `${command} ${n.toFixed(1)}`).join(', '),
    `${fmtInt(r.waited)} (${(100 * r.waited / Math.max(1, r.calls)).toFixed(2)}%)`,
    `${fmtUs(r.waitedP50Us)} / ${fmtUs(r.waitedP99Us)}`,
    `${r.gcMsPerSec.toFixed(0)} ms/s, max ${r.gcMaxMs.toFixed(1)} ms`,
    `${r.loopP99Ms.toFixed(1)} / ${r.loopMaxMs.toFixed(1)} ms`,
    Number.isNaN(r.runqueueMsPerSec) ? 'n/a' : `${r.runqueueMsPerSec.toFixed(0)} ms/s, ${fmtInt(r.slicesPerSec)} slices/s, ${fmtUs(1000 * r.runqueueMsPerSec / r.slicesPerSec)} / wait`,
    r.errors === 0 ? '0' : `${r.errors} (${r.firstError ?? ''})`
  ])
  return table(
    ['contestant', 'factory runs / expiry', 'most in one expiry', 'runs / expiries', 'calls/s', 'p50', 'p99', 'p99 ÷ codex p99', 'hits p99', 'CPU per call', 'Redis commands / 1000 calls', 'waited for a computation', 'waited p50 / p99', 'GC per process', 'loop delay p99 / max', 'waiting for a CPU (per process)', 'errors'],
    rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'l'])
}
