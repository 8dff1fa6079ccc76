import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import type { RedisCache } from '../../index.js'

/** Five cold keys, each computed by `a` while `b` waits: the factory runs once per key; returns b's lags, sorted. */
export async function lagsOf (t: Test, a: RedisCache, b: RedisCache): Promise<number[]> {
  const lags: number[] = []
  for (let i = 0; i < 5; i++) {
    let runs = 0
    let doneAt = 0
    const factory = async (): Promise<number> => { runs++; await sleep(300); doneAt = performance.now(); return runs }
    const first = a.getOrSet(`hot${i}`, factory)
    await sleep(50)
    const second = b.getOrSet(`hot${i}`, factory).then((value) => ({ value, at: performance.now() }))
    t.equal(await first, 1)
    const waiter = await second
    t.equal(waiter.value, 1)
    t.equal(runs, 1, 'one run')
    lags.push(waiter.at - doneAt)
  }
  return lags.sort((x, y) => x - y)
}

/** A point a factory marks when it starts; a factory runs only once its caller holds the compute lock. */
export function milestone (): { reach: () => void, reached: Promise<void> } {
  let reach!: () => void
  const reached = new Promise<void>((resolve) => { reach = resolve })
  return { reach, reached }
}

/** Reads until `read` gives `expected` or `withinMs` passes; returns the last value read, for t.equal. */
export async function settlesTo<T> (read: () => Promise<T>, expected: T, withinMs = 5000): Promise<T> {
  const deadline = performance.now() + withinMs
  for (;;) {
    const value = await read()
    if (value === expected || performance.now() > deadline) return value
    await sleep(20)
  }
}

/**
 * Counts computations running at once: each `enter()` holds until `size` are in together (or `fallbackMs` passed,
 * so that code running them one by one ends the test instead of hanging it); `most` tells how many ever overlapped.
 */
export function together (size: number, fallbackMs = 5000): { enter: () => Promise<void>, readonly most: number } {
  let running = 0
  let most = 0
  let open!: () => void
  const full = new Promise<void>((resolve) => { open = resolve })
  return {
    async enter () {
      most = Math.max(most, ++running)
      if (running >= size) open()
      let timer: NodeJS.Timeout | undefined
      await Promise.race([full, new Promise((resolve) => { timer = setTimeout(resolve, fallbackMs) })])
      clearTimeout(timer)
      running--
    },
    get most () { return most }
  }
}

/** How many connections listen on any pub/sub channel: each process waiting for another's computation has one. */
export async function subscribers (raw: { sendCommand: (args: string[]) => Promise<unknown> }): Promise<number> {
  const channels = await raw.sendCommand(['PUBSUB', 'CHANNELS']) as string[]
  if (channels.length === 0) return 0
  const counts = await raw.sendCommand(['PUBSUB', 'NUMSUB', ...channels]) as Array<string | number>
  return counts.filter((_, i) => i % 2 === 1).reduce<number>((sum, n) => sum + Number(n), 0)
}
