/**
 * A timer armed now, for upper bounds that hold on a stalled machine: timers fire in due order and promise callbacks
 * run between two of them, so work driven by an earlier timer (and promises only) settles before this one fires.
 */
export function referenceTimer (ms: number): { readonly fired: boolean, clear: () => void } {
  let fired = false
  const timer = setTimeout(() => { fired = true }, ms)
  return {
    get fired () { return fired },
    clear: () => { clearTimeout(timer) }
  }
}
