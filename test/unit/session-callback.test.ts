import t from 'tap'
import { RedisCommandError, SessionInterruptedError } from '../../lib/errors.js'
import { adapt, settle } from '../../lib/session/callback.js'
import type { CodexLogger } from '../../lib/logger.js'

const silent: CodexLogger = { warn () {} }

function settled<T> (operation: Promise<T>): Promise<{ err: Error | null, value: T | undefined }> {
  return new Promise((resolve) => settle(operation, (err, value) => resolve({ err, value }), silent))
}

t.test('a value reaches the callback', async (t) => {
  t.same(await settled(Promise.resolve(42)), { err: null, value: 42 })
})

t.test('coded errors pass through unchanged', async (t) => {
  for (const err of [new SessionInterruptedError('was destroyed'), new RedisCommandError('WRONGTYPE')]) {
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
  t.equal(await adapt(Promise.resolve(7), undefined, silent), 7)
  const enoent = Object.assign(new Error('connect ENOENT /tmp/redis.sock'), { code: 'ENOENT' })
  await t.rejects(adapt(Promise.reject(enoent), undefined, silent)!, { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
  const got = await new Promise<unknown>((resolve) => {
    t.equal(adapt(Promise.resolve(8), (_err, value) => resolve(value), silent), undefined)
  })
  t.equal(got, 8)
})

t.test('what the callback throws never leaves the store: a success goes back as its error, else it is logged', async (t) => {
  const rejections: unknown[] = []
  const uncaught: unknown[] = []
  const onRejection = (reason: unknown): void => { rejections.push(reason) }
  const onUncaught = (err: unknown): void => { uncaught.push(err) }
  process.on('unhandledRejection', onRejection)
  process.prependListener('uncaughtException', onUncaught)
  t.teardown(() => {
    process.off('unhandledRejection', onRejection)
    process.off('uncaughtException', onUncaught)
  })
  const thrown = new Error('thrown by the callback')
  const logged: unknown[] = []
  const logger: CodexLogger = { warn (obj) { logged.push((obj as { err?: unknown }).err) } }

  // A success: called again with what it threw (so @fastify/session answers that request with it).
  const calls: Array<Error | null> = []
  await new Promise<void>((resolve) => {
    settle(Promise.resolve(1), (err) => {
      calls.push(err)
      if (err === null) throw thrown
      resolve()
    }, logger)
  })
  t.same(calls, [null, thrown], 'called once more, with its own error')
  t.same(logged, [], 'nothing to log: the caller has it')

  // A failure whose callback throws, and a success whose second call throws too: logged, never thrown.
  for (const outcome of [() => Promise.reject(new SessionInterruptedError('was destroyed')), () => Promise.resolve(2)]) {
    logged.length = 0
    let count = 0
    await new Promise<void>((resolve) => {
      settle(outcome(), () => { count++; setImmediate(resolve); throw thrown }, logger)
    })
    await new Promise((resolve) => setImmediate(resolve))
    t.same(logged, [thrown], 'logged')
    t.ok(count <= 2, 'at most one more call')
  }
  t.same(uncaught, [], 'no uncaught exception')
  t.same(rejections, [], 'no unhandled rejection')
})
