import { existsSync } from 'node:fs'
import { createClient, createCluster, createSentinel } from '@redis/client'
import t from 'tap'
import { clusterForTest } from '../helpers/redis-cluster.js'
import { redisForTest, startRedis } from '../helpers/redis-server.js'
import { sentinelForTest } from '../helpers/redis-sentinel.js'

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

t.test('a server on a loopback port answers PING from @redis/client and redis-cli', async t => {
  const redis = await redisForTest(t)
  t.match(redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/)
  t.equal(redis.url, `redis://127.0.0.1:${redis.port}`)
  const client = createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.destroy())
  t.equal(await client.ping(), 'PONG')
  t.equal(await redis.cli('PING'), 'PONG\n')
  t.match(await redis.cli('CLIENT', 'LIST'), /cmd=client/)
  t.match(await redis.cli('CONFIG', 'GET', 'save'), /^save\n\n$/, 'no RDB snapshots')
  t.match(await redis.cli('CONFIG', 'GET', 'appendonly'), /^appendonly\nno\n$/, 'no AOF')
})

t.test('a server on a unix socket answers PING', async t => {
  const redis = await redisForTest(t, { unixSocket: true })
  t.equal(redis.port, 0)
  t.ok(redis.socketPath)
  t.equal(redis.url, `unix://${redis.socketPath}`)
  const client = createClient({ socket: { path: redis.socketPath as string, tls: false } })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.destroy())
  t.equal(await client.ping(), 'PONG')
  t.equal(await redis.cli('PING'), 'PONG\n')
})

t.test('a paused server answers nothing until resumed', async t => {
  const redis = await redisForTest(t)
  const client = createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.destroy())

  redis.pause()
  const reply = client.ping()
  const early = await Promise.race([reply, new Promise(resolve => setTimeout(() => resolve('no answer'), 300))])
  t.equal(early, 'no answer')
  redis.resume()
  t.equal(await reply, 'PONG')
})

t.test('a killed server restarts on the same port, empty', async t => {
  const redis = await redisForTest(t)
  const client = createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  await client.set('k', 'v')
  client.destroy()

  const oldPid = redis.pid
  await redis.kill()
  t.notOk(isRunning(oldPid), 'old process is gone')
  await redis.restart()
  t.not(redis.pid, oldPid)
  t.ok(isRunning(redis.pid))

  const again = createClient({ url: redis.url })
  again.on('error', () => {})
  await again.connect()
  t.teardown(() => again.destroy())
  t.equal(await again.ping(), 'PONG')
  t.equal(await again.get('k'), null, 'nothing persisted across the restart')
})

t.test('connecting after removeSocket fails with ENOENT', async t => {
  const redis = await redisForTest(t, { unixSocket: true })
  await redis.removeSocket()
  t.notOk(existsSync(redis.socketPath as string))
  const client = createClient({ socket: { path: redis.socketPath as string, tls: false, reconnectStrategy: false } })
  client.on('error', () => {})
  await t.rejects(client.connect(), { code: 'ENOENT' })
})

t.test('stop leaves no process behind and can be called twice', async t => {
  const redis = await startRedis()
  const pid = redis.pid
  t.ok(isRunning(pid))
  await redis.stop()
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' })
  await redis.stop()
})

t.test('stop ends a paused server', async t => {
  const redis = await startRedis()
  redis.pause()
  await redis.stop()
  t.notOk(isRunning(redis.pid))
})

t.test('a missing redis-server binary names the apt package', async t => {
  const path = process.env.PATH
  process.env.PATH = '/nonexistent'
  try {
    await t.rejects(startRedis(), { code: 'ERR_REDIS_SERVER_NOT_FOUND', message: /install it with `apt-get install -y redis-server`/ })
  } finally {
    process.env.PATH = path
  }
})

t.test('a server that cannot start reports its output', async t => {
  await t.rejects(startRedis({ args: ['--no-such-directive', 'x'] }), {
    code: 'ERR_REDIS_SERVER_START',
    message: /Bad directive/
  })
})

t.test('a three-master cluster serves set/get through createCluster', async t => {
  const cluster = await clusterForTest(t)
  t.equal(cluster.rootNodes.length, 3)
  const client = createCluster({ rootNodes: cluster.rootNodes })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.destroy())
  // Keys in different slots, so more than one master is used.
  for (const key of ['a', 'b', 'c', 'd']) await client.set(key, `v-${key}`)
  for (const key of ['a', 'b', 'c', 'd']) t.equal(await client.get(key), `v-${key}`)
})

t.test('a sentinel resolves the master for createSentinel', async t => {
  const setup = await sentinelForTest(t)
  t.equal(setup.name, 'mymaster')
  const addr = await setup.sentinel.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', setup.name)
  t.equal(addr, `127.0.0.1\n${setup.master.port}\n`)

  const client = createSentinel({ name: setup.name, sentinelRootNodes: setup.sentinelRootNodes })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.destroy())
  await client.set('k', 'v')
  t.equal(await client.get('k'), 'v')
  t.equal(await setup.master.cli('GET', 'k'), 'v\n', 'the write landed on the master')
})
