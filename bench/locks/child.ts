/**
 * One lock contestant in its own process (argv: contestant id, Redis url), driven by the parent over IPC:
 * in one process, the contestants' clients would share V8's inline caches and heap, and slow each other unevenly.
 */
import { runSlice } from '../lib/runner.js'
import { LatencySampler } from '../lib/stats.js'
import { CONTESTANTS, pooled, type LockContestantId } from './contestants.js'

export type ChildRequest =
  | { type: 'slice', concurrency: number, ms: number, sample: boolean }
  | { type: 'cost', concurrency: number, ms: number }
  | { type: 'close' }

export type ChildReply =
  | { type: 'ready', name: string }
  | { type: 'slice', ops: number, errors: number, firstError: string | undefined, seconds: number, samples: number[] }
  | { type: 'cost', cycles: number, cpuUs: number, wallMs: number }

const [id, url] = process.argv.slice(2) as [LockContestantId, string]
const contestant = await CONTESTANTS[id](url)
await contestant.cycle('check')
const ops = new Map<number, () => Promise<void>>()
const opFor = (concurrency: number): () => Promise<void> => {
  let op = ops.get(concurrency)
  if (op === undefined) ops.set(concurrency, op = pooled(contestant, concurrency))
  return op
}
const reply = (message: ChildReply): void => { process.send!(message) }

process.on('message', (message: ChildRequest) => {
  handle(message).catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
})
reply({ type: 'ready', name: contestant.name })

async function handle (message: ChildRequest): Promise<void> {
  if (message.type === 'close') {
    await contestant.close()
    process.disconnect()
    return
  }
  // No forced GC between slices (the in-process runner's fairness measure): this process holds only its own garbage,
  // and a full GC made the next second's cycles cost up to 1.6x the CPU, more for the contestant allocating more.
  const op = opFor(message.concurrency)
  if (message.type === 'slice') {
    const sampler = message.sample ? new LatencySampler() : undefined
    const slice = await runSlice(op, message.concurrency, message.ms, sampler)
    const firstError = slice.firstError === undefined ? undefined : String(slice.firstError)
    reply({ type: 'slice', ops: slice.ops, errors: slice.errors, firstError, seconds: slice.seconds, samples: sampler === undefined ? [] : Array.from(sampler.samples()) })
    return
  }
  let cycles = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  const end = started + message.ms
  await Promise.all(Array.from({ length: message.concurrency }, async () => {
    while (performance.now() < end) {
      await op()
      cycles++
    }
  }))
  const used = process.cpuUsage(cpu)
  reply({ type: 'cost', cycles, cpuUs: used.user + used.system, wallMs: performance.now() - started })
}
