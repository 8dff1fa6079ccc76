import { fmtInt, fmtMb, table } from '../lib/markdown.js'
import { settled, type SoakSeries } from './suite.js'

/** Heap (after a full GC) and RSS at each checkpoint, and whether they settled. */
export function soakTable (series: readonly SoakSeries[]): string {
  const rows: string[][] = []
  for (const s of series) {
    s.points.forEach((p, i) => rows.push([i === 0 ? s.name : '', fmtInt(p.done), fmtMb(p.heapUsed), fmtMb(p.rss)]))
  }
  return table(['soak', 'done', 'heap used (after GC)', 'RSS'], rows, ['l', 'r', 'r', 'r'])
}

export function soakVerdicts (series: readonly SoakSeries[]): string {
  const rows = series.map((s) => {
    const v = settled(s)
    const total = s.points.at(-1)!.done
    return [s.name, `${fmtInt(total)} ${s.unit} in ${s.seconds.toFixed(0)} s`, fmtMb(v.heapGrowth), fmtMb(v.rssGrowth), String(s.failures), v.ok ? 'settled' : 'GROWING']
  })
  return table(['soak', 'work', 'heap Δ (2nd half)', 'RSS Δ (2nd half)', 'failures', 'verdict'], rows, ['l', 'l', 'r', 'r', 'r', 'l'])
}
