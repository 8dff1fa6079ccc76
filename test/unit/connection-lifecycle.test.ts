import { EventEmitter } from 'node:events'
import t from 'tap'
import type { RedisClientLike } from '../../lib/connection/client-types.js'
import { RedisConnection } from '../../lib/connection/connection.js'
import { referenceTimer } from '../helpers/reference-timer.js'

/** Stands in for a @redis/client client: records what the connection layer does to it. */
class FakeClient extends EventEmitter {
  isOpen = false
  calls: string[] = []
  connectReply: Promise<unknown> = new Promise(() => {})
  closeReply: Promise<void> = Promise.resolve()

  connect (): Promise<unknown> {
    this.calls.push('connect')
    return this.connectReply
  }

  close (): Promise<void> {
    this.calls.push('close')
    this.isOpen = false
    return this.closeReply
  }

  destroy (): void {
    this.calls.push('destroy')
    this.isOpen = false
  }

  withCommandOptions (): this {
    return this
  }
}

function passedIn (client: FakeClient, closeClient = false, commandTimeout = 100): RedisConnection {
  return new RedisConnection({ kind: 'client', client: client as unknown as RedisClientLike, closeClient, commandTimeout }, () => {})
}

t.test('a passed-in client is left open, and our error listener goes with close()', async (t) => {
  const client = new FakeClient()
  client.isOpen = true
  const connection = passedIn(client)
  t.equal(client.listenerCount('error'), 1, 'errors are listened to while in use')
  await connection.close()
  await connection.close()
  t.same(client.calls, [], 'neither closed nor destroyed')
  t.equal(client.listenerCount('error'), 0)
})

t.test('closeClient: true closes a passed-in client exactly once', async (t) => {
  const client = new FakeClient()
  client.isOpen = true
  const connection = passedIn(client, true)
  await Promise.all([connection.close(), connection.close()])
  await connection.close()
  t.same(client.calls, ['close'])
})

t.test('close waits for in-flight commands, but never longer than commandTimeout', async (t) => {
  const client = new FakeClient()
  client.isOpen = true
  client.closeReply = new Promise(() => {}) // a hung server: the queue never drains
  const connection = passedIn(client, true, 150)
  const started = performance.now()
  const closed = connection.close()
  const later = referenceTimer(400)
  await closed
  const elapsed = performance.now() - started
  t.same(client.calls, ['close', 'destroy'], 'graceful first, then forced')
  t.ok(elapsed >= 140 && !later.fired, `gave up after ${elapsed.toFixed(0)} ms, before a 400 ms timer armed with it`)
  later.clear()
})

t.test('a connect that does not finish within commandTimeout fails with the last connection error as cause', async (t) => {
  const client = new FakeClient()
  const connection = passedIn(client, true, 120)
  const enoent = Object.assign(new Error('connect ENOENT /run/redis.sock'), { code: 'ENOENT' })
  setTimeout(() => client.emit('error', enoent), 10)
  const started = performance.now()
  const connecting = connection.connect()
  const later = referenceTimer(400)
  const err = await connecting.then(() => undefined, (err: unknown) => err as Error & { code: string })
  const elapsed = performance.now() - started
  later.clear()
  t.match(err, { code: 'FST_CODEX_REDIS_UNAVAILABLE', statusCode: 503, message: /within 120 ms \(last error: ENOENT\)$/ })
  t.equal(err?.cause, enoent, 'the system error is the cause')
  t.not(err?.code, 'ENOENT')
  t.ok(elapsed >= 110 && !later.fired, `failed after ${elapsed.toFixed(0)} ms, before a 400 ms timer armed with it`)
  t.same(client.calls, ['connect', 'destroy'], 'nothing is left trying to reconnect')
  t.equal(client.listenerCount('error'), 1, 'only the lasting error listener remains')
  await connection.close()
  t.same(client.calls, ['connect', 'destroy'], 'close() after a failed connect has nothing left to do')
})

t.test('a connect that fails outright is translated at once', async (t) => {
  const client = new FakeClient()
  client.connectReply = Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))
  const connection = passedIn(client, true, 5000)
  await t.rejects(connection.connect(), { code: 'FST_CODEX_REDIS_UNAVAILABLE', cause: { code: 'ECONNREFUSED' } })
})

t.test('an open client is not connected again', async (t) => {
  const client = new FakeClient()
  client.isOpen = true
  await passedIn(client).connect()
  t.same(client.calls, [])
})

t.test('a client we created that reconnects after close() is destroyed at once', async (t) => {
  // Nothing listens on port 1; the client is never connected, only closed, then "reconnects".
  const connection = new RedisConnection(
    { kind: 'single', address: { url: 'redis://127.0.0.1:1' }, label: 'redis://127.0.0.1:1', commandTimeout: 100 }, () => {})
  await connection.close()
  const client = connection.client as unknown as FakeClient
  const destroy = client.destroy.bind(client)
  let destroyed = 0
  client.destroy = () => {
    destroyed++
    destroy()
  }
  client.emit('connect')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(destroyed, 1)
})

t.test('a passed-in client the user reconnects after close() is theirs to keep', async (t) => {
  const client = new FakeClient()
  client.isOpen = true
  await passedIn(client, true).close()
  client.emit('connect')
  t.same(client.calls, ['close'], 'not destroyed')
})

t.test('a failed connect leaves a passed-in client (without closeClient) to its owner', async (t) => {
  const client = new FakeClient()
  const connection = passedIn(client, false, 50)
  await t.rejects(connection.connect(), { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
  await connection.close()
  t.same(client.calls, ['connect'], 'neither destroyed nor closed')
  t.equal(client.listenerCount('error'), 0, 'our listeners are gone')
})

t.test('the connect deadline counts from the given start', async (t) => {
  const connection = passedIn(new FakeClient(), true, 200)
  const started = performance.now()
  const connecting = connection.connect(started - 150)
  // 50 ms were left: it must fail before a 120 ms timer (a deadline counted from now would fire at 200 ms).
  const later = referenceTimer(120)
  await t.rejects(connecting, { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
  const elapsed = performance.now() - started
  t.notOk(later.fired, `failed after ${elapsed.toFixed(0)} ms, within what was left of 200 ms`)
  later.clear()
})
