/**
 * How long this process's event loop stood still (GC, a starved CPU) while the meter ran, read from how late a 10 ms
 * interval fires: an elapsed time minus the stalls is what the code under test took, even on a loaded machine.
 */
export function stallMeter (): { stop: () => number } {
  let due = performance.now() + 10
  let stalled = 0
  // A timer's usual lateness (a couple of ms) is not a stall.
  const late = (now: number): number => Math.max(0, now - due - 2)
  const timer = setInterval(() => {
    const now = performance.now()
    stalled += late(now)
    due = now + 10
  }, 10)
  return {
    stop: () => {
      clearInterval(timer)
      return stalled + late(performance.now())
    }
  }
}
