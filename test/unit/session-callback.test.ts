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
