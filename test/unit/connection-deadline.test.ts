import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { SimpleError } from '@redis/client'
import t from 'tap'
import { DeadlineQueue } from '../../lib/connection/deadline.js'
import { referenceTimer } from '../helpers/reference-timer.js'

const never = <T = never>(): Promise<T> => new Promise<T>(() => {})

// The queue's timer is unref'd (on purpose, tested below): without this, an otherwise idle test process
// would exit while a deadline is pending, before the assertions that wait for it.
const keepAlive = setInterval(() => {}, 1000)
t.teardown(() => clearInterval(keepAlive))

let timers = 0
const timersSoFar = (): number => timers

/** Counts setTimeout calls made while `fn` runs (the DeadlineQueue calls the global). */
async function countTimers<T> (fn: () => Promise<T>): Promise<{ timers: number, result: T }> {
  const original = globalThis.setTimeout
  timers = 0
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    timers++
    return original(...args)
  }) as typeof setTimeout
  try {
    const result = await fn()
    return { timers, result }
  } finally {
    globalThis.setTimeout = original
  }
}

t.test('a command that never settles fails with FST_CODEX_REDIS_UNAVAILABLE after the timeout', async (t) => {
  const deadlines = new DeadlineQueue(100)
  const started = performance.now()
  const tracked = deadlines.track(never())
  const later = referenceTimer(300)
  await t.rejects(tracked, { code: 'FST_CODEX_REDIS_UNAVAILABLE', statusCode: 503, message: /100 ms/ })
  const elapsed = performance.now() - started
  t.ok(elapsed >= 99, `not before the timeout (${elapsed.toFixed(1)} ms)`)
  t.notOk(later.fired, `not long after it: before a 300 ms timer armed with it (${elapsed.toFixed(1)} ms)`)
  later.clear()
})

t.test('discard: a reply resolves undefined; failures and deadlines are exactly as without it', async (t) => {
  const deadlines = new DeadlineQueue(50)
  t.equal(await deadlines.track(Promise.resolve('OK'), true), undefined)
  const reply = new SimpleError('WRONGTYPE Operation against a key holding the wrong kind of value')
  await t.rejects(deadlines.track(Promise.reject(reply), true), { code: 'FST_CODEX_REDIS_ERROR', cause: reply })
  await t.rejects(deadlines.track(never(), true), { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
})

t.test('settled commands keep their outcome and are never timed out', async (t) => {
  const deadlines = new DeadlineQueue(50)
  t.equal(await deadlines.track(Promise.resolve('OK')), 'OK')
  let finish!: (value: string) => void
  const slowButInTime = deadlines.track(new Promise<string>((resolve) => { finish = resolve }))
  setTimeout(() => finish('late but in time'), 10)
  t.equal(await slowButInTime, 'late but in time')
  const reply = new SimpleError('WRONGTYPE Operation against a key holding the wrong kind of value')
  await t.rejects(deadlines.track(Promise.reject(reply)), { code: 'FST_CODEX_REDIS_ERROR', cause: reply }, 'rejections are translated')
  // A later rejection of a command that already timed out is swallowed, not an unhandled rejection.
  let fail!: (err: Error) => void
  const timedOut = deadlines.track(new Promise((resolve, reject) => { fail = reject }))
  await t.rejects(timedOut, { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
  fail(new Error('socket closed, after the deadline'))
})

t.test('each command gets its own full timeout, in order', async (t) => {
  const deadlines = new DeadlineQueue(120)
  // Lower bounds and order only: a stalled loop may expire both in one tick, but never either one early.
  const outcomes: Array<[string, number]> = []
  const track = (name: string): Promise<number> => {
    const started = performance.now()
    return deadlines.track(never()).catch(() => outcomes.push([name, performance.now() - started]))
  }
  const first = track('first')
  await new Promise((resolve) => setTimeout(resolve, 60))
  await Promise.all([first, track('second')])
  t.same(outcomes.map(([name]) => name), ['first', 'second'], 'in the order they were sent')
  for (const [name, waited] of outcomes) t.ok(waited >= 119, `${name} waited its full 120 ms (${waited.toFixed(1)} ms)`)
})

t.test('many pending commands share one timer', async (t) => {
  const deadlines = new DeadlineQueue(80)
  const { timers, result } = await countTimers(async () => {
    const started = performance.now()
    const pending = Array.from({ length: 1000 }, () => deadlines.track(never()).catch((err: Error & { code: string }) => err.code))
    const resolved = Array.from({ length: 1000 }, (_, i) => deadlines.track(Promise.resolve(i)))
    const arrivalMs = performance.now() - started
    const armed = timersSoFar()
    return { armed, arrivalMs, outcomes: await Promise.all([Promise.all(pending), Promise.all(resolved)]) }
  })
  t.equal(result.armed, 1, 'one setTimeout for 2000 commands in flight')
  t.ok(result.outcomes[0].every((code) => code === 'FST_CODEX_REDIS_UNAVAILABLE'), 'all 1000 timed out')
  t.same(result.outcomes[1], Array.from({ length: 1000 }, (_, i) => i), 'all 1000 resolved')
  // Expiry re-arms the one timer at most once per millisecond in which commands started.
  t.ok(timers <= Math.ceil(result.arrivalMs) + 2, `${timers} setTimeout calls in all, arrivals over ${result.arrivalMs.toFixed(1)} ms`)
})

t.test('the deadline timer does not keep the process alive', async (t) => {
  const timersBefore = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length
  const deadlines = new DeadlineQueue(60_000)
  const pending = deadlines.track(never()).catch(() => {})
  const timersAfter = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length
  t.equal(timersAfter, timersBefore, 'no new ref\'d timer in this process')
  t.ok(pending)

  // And end to end: a process whose only work is a pending command with a 60 s deadline exits at once.
  const script = `
    import { DeadlineQueue } from ${JSON.stringify(fileURLToPath(new URL('../../lib/connection/deadline.ts', import.meta.url)))}
    new DeadlineQueue(60000).track(new Promise(() => {})).catch(() => {})
    console.log('tracked')
  `
  const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))
  const started = performance.now()
  const child = spawn(tsx, ['--eval', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(killer)
  t.equal(code, 0, `exited by itself: ${output}`)
  t.match(output, 'tracked')
  t.ok(performance.now() - started < 15_000, 'long before the deadline')
})
