/** A Markdown table; cells are padded so the plain-text output lines up too. */
export function table (header: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: ReadonlyArray<'l' | 'r'>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length), 3))
  const pad = (cell: string, i: number): string => (align?.[i] ?? 'l') === 'r' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => pad(c, i)).join(' | ')} |`
  const rule = `| ${widths.map((w, i) => (align?.[i] ?? 'l') === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w)).join(' | ')} |`
  return [line(header), rule, ...rows.map((r) => line(header.map((_, i) => r[i] ?? '')))].join('\n')
}

export function fmtRatio (value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a'
}

export function fmtInt (value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a'
}

/** Microseconds or milliseconds, three significant figures. */
export function fmtUs (us: number): string {
  if (!Number.isFinite(us)) return 'n/a'
  // toPrecision would switch to exponent notation from 1000 ms on.
  if (us >= 1_000_000) return `${Math.round(us / 1000)} ms`
  if (us >= 1000) return `${(us / 1000).toPrecision(3)} ms`
  return `${us.toPrecision(3)} µs`
}

export function fmtMs (ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : 'n/a'
}

export function fmtMb (bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`
}

/** "met" / "MISSED" for a target, or "–" when it could not be measured. */
export function verdict (value: number, ok: (v: number) => boolean): string {
  if (!Number.isFinite(value)) return '–'
  return ok(value) ? 'met' : 'MISSED'
}
