import { createRequire } from 'node:module'
// Only @redis/client is imported up front: fastify-codex is imported below, after the snapshot.
import * as redisClient from '@redis/client'
import Fastify from 'fastify'
import t from 'tap'
import { sentinelForTest } from '../helpers/redis-sentinel.js'

type Snapshot = Map<string, unknown>

// Everything a module of @redis/client exports, and each exported class's prototype and statics, by identity.
function record (snapshot: Snapshot, where: string, exports: object): void {
  for (const [name, export_] of Object.entries(Object.getOwnPropertyDescriptors(exports))) {
    const value: unknown = export_.value ?? export_.get
    snapshot.set(`${where} ${name}`, value)
    if (typeof value !== 'function') continue
    for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(value))) snapshot.set(`${where} ${name}.${key}`, d.value ?? d.get)
    const prototype = (value as { prototype?: object }).prototype
    if (prototype === undefined) continue
    for (const key of Reflect.ownKeys(prototype)) {
      const d = Object.getOwnPropertyDescriptor(prototype, key)!
      snapshot.set(`${where} ${name}.prototype.${String(key)}`, [d.value, d.get, d.set, d.writable, d.enumerable, d.configurable])
    }
  }
}

/**
 * The public exports, plus (read here, never in lib/) every loaded module of @redis/client's dist: a process-wide
 * patch of an internal class, such as RedisSentinelInternal.prototype.analyze, shows up there.
 */
function snapshot (): Snapshot {
  const result: Snapshot = new Map()
  record(result, '@redis/client', redisClient)
  const require = createRequire(import.meta.url)
  for (const [file, loaded] of Object.entries(require.cache)) {
    if (!file.includes('/@redis/client/dist/') || loaded === undefined || typeof loaded.exports !== 'object' || loaded.exports === null) continue
    record(result, file.slice(file.indexOf('/@redis/client/')), loaded.exports as object)
  }
  return result
}

function same (a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => Object.is(item, b[i]))
  return Object.is(a, b)
}

// A module first loaded later has no "before" to compare with: only what existed before counts.
function changed (before: Snapshot, after: Snapshot): string[] {
  return [...before.keys()].filter((key) => !after.has(key) || !same(before.get(key), after.get(key)))
}

t.test('a Sentinel client created by the user behaves as stock @redis/client once fastify-codex has connected its own', async (t) => {
  const setup = await sentinelForTest(t)
  const sentinelOptions = { name: setup.name, sentinelRootNodes: setup.sentinelRootNodes }
  // Loads every module a sentinel client uses, so that all of them are in the snapshot.
  const warmUp = redisClient.createSentinel(sentinelOptions)
  await warmUp.connect()
  await warmUp.close()
  const before = snapshot()
  t.ok(before.size > 100, `${before.size} exports and prototype members recorded`)
  t.ok([...before.keys()].some((key) => key.includes('sentinel/index.js RedisSentinelInternal.prototype.')), 'the internal sentinel class is recorded too')

  const { codexCache, codexRedis } = await import('../../index.js')
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(codexRedis, { sentinel: sentinelOptions, commandTimeout: 2000 })
  app.register(codexCache, { keyPrefix: 'stock' })
  await app.ready()
  await app.cache.set('k', 1)
  t.same(changed(before, snapshot()), [], 'nothing of @redis/client differs after fastify-codex connected a Sentinel client')

  const mine = redisClient.createSentinel(sentinelOptions)
  t.teardown(() => mine.destroy())
  await mine.connect()
  await mine.set('user-key', 'v')
  t.equal(await mine.get('user-key'), 'v', "the user's own Sentinel client works beside ours")
  t.equal(await mine.get('stock:1:k'), '1', 'and sees the master ours wrote to')
  t.same(changed(before, snapshot()), [], 'still nothing differs')
})
