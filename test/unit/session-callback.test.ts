import t from 'tap'
import { RedisCommandError, SessionInterruptedError } from '../../lib/errors.js'
import { adapt, settle } from '../../lib/session/callback.js'

function settled<T> (operation: Promise<T>): Promise<{ err: Error | null, value: T | undefined }> {
  return new Promise((resolve) => settle(operation, (err, value) => resolve({ err, value })))
}

t.test('a value reaches the callback', async (t) => {
  t.same(await settled(Promise.resolve(42)), { err: null, value: 42 })
})

t.test('coded errors pass through unchanged', async (t) => {
  for (const err of [new SessionInterruptedError(), new RedisCommandError('WRONGTYPE')]) {
    t.equal((await settled(Promise.reject(err))).err, err)
  }
})

t.test('an ENOENT never reaches @fastify/session, which would read it as "no session"', async (t) => {
  const enoent = Object.assign(new Error('connect ENOENT /tmp/redis.sock'), { code: 'ENOENT' })
  const { err } = await settled(Promise.reject(enoent))
  t.equal((err as { code?: unknown }).code, 'FST_CODEX_REDIS_UNAVAILABLE')
  t.equal((err as { statusCode?: unknown }).statusCode, 503)
  t.equal(err?.cause, enoent, 'the cause is kept')
})

t.test('a non-Error rejection becomes a coded error', async (t) => {
  const { err } = await settled(new Promise((_resolve, reject) => { reject(Object.freeze({ not: 'an error' })) }))
  t.ok(err instanceof Error)
  t.equal((err as { code?: unknown }).code, 'FST_CODEX_REDIS_UNAVAILABLE')
})

t.test('adapt: without a callback, the promise (an ENOENT translated); with one, the callback and no promise', async (t) => {
  t.equal(await adapt(Promise.resolve(7), undefined), 7)
  const enoent = Object.assign(new Error('connect ENOENT /tmp/redis.sock'), { code: 'ENOENT' })
  await t.rejects(adapt(Promise.reject(enoent), undefined)!, { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
  const got = await new Promise<unknown>((resolve) => {
    t.equal(adapt(Promise.resolve(8), (_err, value) => resolve(value)), undefined)
  })
  t.equal(got, 8)
})

t.test('what the callback throws surfaces as an uncaught error of its own, and the callback runs once', async (t) => {
  const thrown = new Error('thrown by the callback')
  const listeners = process.listeners('uncaughtException')
  process.removeAllListeners('uncaughtException')
  const rejections: unknown[] = []
  const onRejection = (reason: unknown): void => { rejections.push(reason) }
  process.on('unhandledRejection', onRejection)
  t.teardown(() => {
    process.removeAllListeners('uncaughtException')
    for (const listener of listeners) process.on('uncaughtException', listener)
    process.off('unhandledRejection', onRejection)
  })
  for (const outcome of [() => Promise.resolve(1), () => Promise.reject(new SessionInterruptedError())]) {
    let calls = 0
    const uncaught = new Promise<unknown>((resolve) => { process.once('uncaughtException', resolve) })
    settle(outcome(), () => { calls++; throw thrown })
    t.equal(await uncaught, thrown, 'uncaught, as the callback threw it')
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(calls, 1, 'never called a second time with its own error')
  }
  t.same(rejections, [], 'no unhandled rejection')
})
