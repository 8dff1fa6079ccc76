import { fmtInt, fmtRatio, table } from '../lib/markdown.js'
import { medianRate, medianRatio } from '../lib/runner.js'
import { BENTO, NEAR, NETWORK } from './contestants.js'
import { NEAR_ENTRIES, ZIPF_KEYS, ZIPF_S, type NearBenchResult } from './suite.js'

const NAMES = [NETWORK, NEAR, BENTO]

/** The headline ratios, for the targets table and the README. */
export function nearRatios (result: NearBenchResult): { hot64: number, hot1: number, zipf: number } {
  return {
    hot64: medianRatio(result.hot[0]!, NEAR, NETWORK),
    hot1: medianRatio(result.hot[1]!, NEAR, NETWORK),
    zipf: medianRatio(result.zipf, NEAR, NETWORK)
  }
}

export function nearSection (result: NearBenchResult, heading = '##'): string {
  const out: string[] = []
  const rate = (r: NearBenchResult['zipf'], name: string): string => {
    const entrant = r.entrants.find((e) => e.name === name)
    return entrant === undefined ? 'n/a' : fmtInt(medianRate(entrant))
  }
  out.push(`${heading} Near cache`, '',
    `${result.payloadBytes}-byte JSON object. Contestants alternate in equal time slices (bench/lib/runner.ts); ratios are medians of per-round ratios to fastify-codex's network \`get\` in the same run.`, '',
    `${heading}# Hot key \`get\``, '',
    table(['concurrency', ...NAMES.map((n) => `${n} ops/s`), 'near ÷ network', 'bentocache ÷ network'],
      result.hot.map((r) => [String(r.concurrency), ...NAMES.map((n) => rate(r, n)), fmtRatio(medianRatio(r, NEAR, NETWORK)), fmtRatio(medianRatio(r, BENTO, NETWORK))]),
      ['r', 'r', 'r', 'r', 'r', 'r']), '',
    `${heading}# Invalidation latency`, '',
    'Writer\'s `SET` acknowledged → the reader\'s `get` returns the new value (polled once per event-loop turn). ' +
    'fastify-codex: the writer is a plain @redis/client connection (any client works: Redis tracks the key). ' +
    'bentocache: the writer must be another bentocache instance (its bus carries only its own writes; a plain `SET` is never seen until the L1 entry expires).', '',
    table(['reader', 'samples', 'p50 ms', 'p99 ms'],
      result.invalidation.map((l) => [l.name, String(l.samples), l.p50Ms.toFixed(3), l.p99Ms.toFixed(3)]), ['l', 'r', 'r', 'r']), '',
    `${heading}# Zipf key mix, 10 % writes`, '',
    `${fmtInt(ZIPF_KEYS)} keys, Zipf s = ${ZIPF_S}, every tenth operation a \`set\` through the same cache, concurrency 64; near cache and bentocache L1 hold ${fmtInt(NEAR_ENTRIES)} entries. ` +
    'Hit rate: share of reads that sent no GET to Redis (50 000 operations, counted by `INFO commandstats`).', '',
    table(['contestant', 'ops/s', '÷ network', 'hit rate'],
      NAMES.map((n) => [n, rate(result.zipf, n), fmtRatio(medianRatio(result.zipf, n, NETWORK)),
        `${((result.hitRates.find((h) => h.name === n)?.hitRate ?? Number.NaN) * 100).toFixed(1)} %`]), ['l', 'r', 'r', 'r']), '',
    `${heading}# Cost of a safe copy per hit`, '',
    `Each hit must hand out a value the caller may mutate. Median ns per hit on the payload: parse the stored text (strict JsonSerializer) **${result.copy.parseNs.toFixed(0)} ns**, ` +
    `\`structuredClone\` of a kept object **${result.copy.cloneNs.toFixed(0)} ns**, one shared frozen object ${result.copy.frozenNs.toFixed(0)} ns (not safe under the contract: mutating throws).`, '')
  return out.join('\n')
}
