import Fastify from 'fastify'
import { Writable } from 'node:stream'
import t from 'tap'
import { codexCache } from '../../index.js'
import { redisForTest } from '../helpers/redis-server.js'
import { until } from '../helpers/until.js'

t.test('Redis down: the handler answers (fwd=bypass), the outage is logged once, caching resumes when it is back', async t => {
  const redis = await redisForTest(t)
  const lines: Array<{ level: number, msg: string }> = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString()) as { level: number, msg: string }); done() } })
  const app = Fastify({ logger: { level: 'warn', stream } })
  t.teardown(() => app.close())
  await app.register(codexCache, { url: redis.url, keyPrefix: 'rc', commandTimeout: 500 })
  let runs = 0
  app.get('/list', { config: { cache: true } }, async () => `list ${++runs}`)
  app.post('/list', async () => 'created')
  await app.ready()
  await app.inject('/list')
  t.equal((await app.inject('/list')).body, 'list 1')
  const outageLogs = (): number => lines.filter((l) => l.msg.includes('Redis is unavailable, cached routes')).length

  await redis.stop()
  for (let i = 0; i < 3; i++) {
    const reply = await app.inject('/list')
    t.equal(reply.statusCode, 200)
    t.equal(reply.body, `list ${i + 2}`)
    t.equal(reply.headers['cache-status'], 'fastify-codex; fwd=bypass')
  }
  t.equal((await app.inject({ method: 'POST', url: '/list' })).statusCode, 200, 'a write still answers')
  t.equal(outageLogs(), 1, 'logged once per outage')

  await redis.restart()
  await until(async () => (await app.inject('/list')).headers['cache-status'] !== 'fastify-codex; fwd=bypass', 10_000)
  await until(async () => /hit/.test(String((await app.inject('/list')).headers['cache-status'])), 10_000)
  await redis.stop()
  t.equal((await app.inject('/list')).statusCode, 200)
  t.equal(outageLogs(), 2, 'a new outage is logged again')
})

t.test('Redis down with failOpen: the handler answers with fwd=bypass (never "stored"), the outage is logged once', async t => {
  const redis = await redisForTest(t)
  const lines: Array<{ level: number, msg: string }> = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString()) as { level: number, msg: string }); done() } })
  const app = Fastify({ logger: { level: 'warn', stream } })
  t.teardown(() => app.close())
  await app.register(codexCache, { url: redis.url, keyPrefix: 'rc', commandTimeout: 500, failOpen: true })
  let runs = 0
  app.get('/list', { config: { cache: true } }, async () => `list ${++runs}`)
  await app.ready()
  // Another key warms the route (its learned Vary is read): a store still in flight at the stop cannot answer /list.
  t.equal((await app.inject('/list?warm=1')).headers['cache-status'], 'fastify-codex; fwd=miss; stored')
  await redis.stop()
  for (let i = 0; i < 3; i++) {
    const reply = await app.inject('/list')
    t.equal(reply.statusCode, 200)
    t.equal(reply.body, `list ${i + 2}`)
    t.equal(reply.headers['cache-status'], 'fastify-codex; fwd=bypass')
  }
  t.equal(lines.filter((l) => l.msg.includes('Redis is unavailable, cached routes')).length, 1, 'logged once per outage')
})
