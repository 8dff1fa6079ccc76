/**
 * How long this process's event loop stood still (GC, a starved CPU) after `from` (a performance.now() reading, by
 * default now), read from how late a 10 ms interval fires. Pass the moment the code under test is due to finish:
 * a stall before it delays nothing that a timer drives, so only later stalls may be taken off an elapsed time.
 */
function stallMeter (from = performance.now()): { stop: () => number } {
  let due = performance.now() + 10
  let stalled = 0
  // A timer's usual lateness (a couple of ms) is not a stall.
  const late = (now: number): number => Math.max(0, now - Math.max(due, from) - 2)
  const timer = setInterval(() => {
    const now = performance.now()
    stalled += late(now)
    due = now + 10
  }, 10)
  // If the awaited call throws before stop(), the interval must not keep the test file alive.
  timer.unref()
  return {
    stop: () => {
      clearInterval(timer)
      return stalled + late(performance.now())
    }
  }
}

/**
 * Runs `fn` and times it: `elapsed` in ms, and `stalled`, the part of it this process stood still after `dueInMs`
 * (when the code under test is due to finish; stalls before it delay nothing a timer drives).
 */
export async function timed<T> (fn: () => Promise<T>, dueInMs = 0): Promise<{ value: T, elapsed: number, stalled: number }> {
  const started = performance.now()
  const meter = stallMeter(started + dueInMs)
  try {
    const value = await fn()
    return { value, elapsed: performance.now() - started, stalled: meter.stop() }
  } finally {
    meter.stop()
  }
}
