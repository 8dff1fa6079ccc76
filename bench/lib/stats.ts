/** Median of a list (NaN for an empty one). */
export function median (values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Nearest-rank percentile (`p` in 0…100) of an already sorted list. */
export function percentileOfSorted (sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

/**
 * Per-operation latencies, sampled cheaply: a fixed Float64Array reservoir (Algorithm R), so memory
 * stays flat however many operations are recorded and every recorded one has the same chance to be kept.
 */
export class LatencySampler {
  readonly #samples: Float64Array
  #seen = 0

  constructor (capacity = 1 << 16) {
    this.#samples = new Float64Array(capacity)
  }

  /** Records one latency in nanoseconds. */
  add (ns: number): void {
    const seen = this.#seen++
    if (seen < this.#samples.length) {
      this.#samples[seen] = ns
      return
    }
    const slot = Math.floor(Math.random() * (seen + 1))
    if (slot < this.#samples.length) this.#samples[slot] = ns
  }

  /** The kept samples, in nanoseconds. */
  samples (): Float64Array {
    return this.#samples.slice(0, Math.min(this.#seen, this.#samples.length))
  }

  get count (): number {
    return this.#seen
  }

  /** p50 and p99 in microseconds. */
  summary (): { p50: number, p99: number } {
    const kept = this.#samples.slice(0, Math.min(this.#seen, this.#samples.length)).sort()
    return { p50: percentileOfSorted(kept, 50) / 1000, p99: percentileOfSorted(kept, 99) / 1000 }
  }
}
