import t from 'tap'
import { DeadlineQueue } from '../../lib/connection/deadline.js'
import { DeadlineSignals } from '../../lib/connection/deadline-signals.js'

const keepAlive = setInterval(() => {}, 1000)
t.teardown(() => clearInterval(keepAlive))

t.test('commands started in the same millisecond share one view; its signal aborts once their deadline has come', async (t) => {
  const signals = new DeadlineSignals(100, (signal) => ({ signal }))
  const a = signals.view(1000.2)
  t.equal(signals.view(1000.9), a, 'same millisecond, same view')
  const b = signals.view(1001.1)
  t.not(b, a, 'next millisecond, next view')
  signals.abortDue(1099.9)
  t.notOk(a.signal.aborted, 'not before the deadline')
  signals.abortDue(1100)
  t.ok(a.signal.aborted, 'at the deadline (floor of start + timeout)')
  t.notOk(b.signal.aborted)
  signals.view(1101.5)
  t.ok(b.signal.aborted, 'a later command aborts windows already due')
})

t.test('the DeadlineQueue aborts the signal before it answers 503, so a held command can never be sent after its 503', async (t) => {
  const signals = new DeadlineSignals(50, (signal) => ({ signal }))
  const order: string[] = []
  const deadlines = new DeadlineQueue(50, (now) => {
    signals.abortDue(now)
    order.push('expiry')
  })
  const { signal } = signals.view()
  signal.addEventListener('abort', () => order.push('aborted'))
  const failed = deadlines.track(new Promise<never>(() => {})).catch((err: { code: string }) => {
    order.push(`rejected ${String(signal.aborted)}`)
    return err.code
  })
  t.equal(await failed, 'FST_CODEX_REDIS_UNAVAILABLE')
  // How many timer ticks it takes depends on the timer's precision and the machine's load; the order of the two events does not.
  t.equal(order.filter((event) => event === 'aborted').length, 1, `aborted once: ${order.join(', ')}`)
  t.equal(order.at(-1), 'rejected true', 'the 503 comes last, with the signal already aborted')
  t.ok(order.indexOf('aborted') < order.indexOf('rejected true'))
})
