/**
 * Polls `check` every 5 ms until it passes; returns the ms it took, or throws past `withinMs`. A failed check
 * counts as "not yet" (a node changing role closes its clients, redis-cli's too) and becomes the timeout's cause.
 */
export async function until (check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = performance.now()
  let lastError: unknown
  const passes = async (): Promise<boolean> => await check().catch((err: unknown) => { lastError = err; return false })
  while (!(await passes())) {
    if (performance.now() - started > withinMs) {
      // After a stalled loop, the awaited message may sit unread in a socket: give I/O one turn, then decide.
      await new Promise((resolve) => setImmediate(resolve))
      if (await passes()) break
      throw new Error(`not within ${withinMs} ms`, { cause: lastError })
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return performance.now() - started
}
