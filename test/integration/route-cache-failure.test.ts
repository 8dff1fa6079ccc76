import t from 'tap'
import { rawClient } from '../helpers/cache-app.js'
import { Gate } from '../helpers/gate.js'
import { subscribers, together } from '../helpers/read-through.js'
import { redisForTest } from '../helpers/redis-server.js'
import { routeCacheApp } from '../helpers/route-cache-app.js'
import { until } from '../helpers/until.js'

t.test('a failed handler makes no request in another process queue behind it: the waiting requests run their own handlers at once', async t => {
  const redis = await redisForTest(t)
  const raw = await rawClient(t, redis)
  const route = (): { config: { cache: { ttl: number } } } => ({ config: { cache: { ttl: 60 } } })
  const gate = new Gate()
  const failing = await routeCacheApp(t, redis)
  failing.get('/report', route(), async () => { await gate.hold(); throw new Error('database down') })
  await failing.ready()
  // Three more processes, one request each; their handlers hold until all three run at once.
  const three = together(3)
  const others = await Promise.all([0, 1, 2].map(async () => {
    const app = await routeCacheApp(t, redis)
    app.get('/report', route(), async () => { await three.enter(); return 'fine' })
    await app.ready()
    return app
  }))
  const arrived = gate.arrival()
  const first = failing.inject('/report')
  await arrived
  const replies = Promise.all(others.map((app) => app.inject('/report')))
  // Each waiting process subscribes to the computation's announcement: all three now wait for the failing one.
  await until(async () => await subscribers(raw) === 3, 5000)
  gate.open()
  t.equal((await first).statusCode, 500, 'the failure answers its own request')
  const answered = await replies
  t.equal(three.most, 3, 'the three waiting requests ran their handlers side by side')
  for (const reply of answered) {
    t.equal(reply.statusCode, 200)
    t.equal(reply.body, 'fine')
    t.match(reply.headers['cache-status'], /^fastify-codex; fwd=miss/)
  }
})

t.test('a handler abandoned at hardTimeout makes no request in another process queue behind it either', async t => {
  const redis = await redisForTest(t)
  const gate = new Gate()
  const slow = await routeCacheApp(t, redis)
  // Held past its hardTimeout, until the test ends.
  slow.get('/report', { config: { cache: { ttl: 60, hardTimeout: 1000 } } }, async () => { await gate.hold(); return 'late' })
  await slow.ready()
  t.teardown(() => gate.open())
  // The other processes' own deadline is far off: only the abandoned computation's mark can free them.
  const three = together(3)
  const others = await Promise.all([0, 1, 2].map(async () => {
    const app = await routeCacheApp(t, redis)
    app.get('/report', { config: { cache: { ttl: 60, hardTimeout: 60_000 } } }, async () => { await three.enter(); return 'fine' })
    await app.ready()
    return app
  }))
  const arrived = gate.arrival()
  const first = slow.inject('/report')
  await arrived
  const answered = await Promise.all(others.map((app) => app.inject('/report')))
  t.equal(three.most, 3, 'the three waiting requests ran their handlers side by side')
  for (const reply of answered) t.equal(reply.body, 'fine')
  gate.open()
  t.equal((await first).body, 'late', 'the slow request still answers')
})
