import t from 'tap'
import { rawClient } from '../helpers/cache-app.js'
import { go, startChild } from '../helpers/read-through-children.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('the computing process is killed mid-factory: another takes over once its lock expires', async t => {
  const redis = await redisForTest(t)
  const client = await rawClient(t, redis)
  const holder = startChild(t, { REDIS_URL: redis.url, HOLD_MS: '60000' })
  const waiters = [startChild(t, { REDIS_URL: redis.url, HOLD_MS: '100' }), startChild(t, { REDIS_URL: redis.url, HOLD_MS: '100' })]
  await Promise.all([holder, ...waiters].map((c) => c.line('ready')))
  go(holder)
  await holder.line('computing')
  waiters.forEach(go)
  await new Promise((resolve) => setTimeout(resolve, 300))
  holder.process.kill('SIGKILL')
  const killedAt = performance.now()
  const values = await Promise.all(waiters.map((c) => c.line('value ')))
  const took = performance.now() - killedAt
  t.equal(await client.get('{mp}:runs'), '2', 'the dead holder’s run, then exactly one more')
  t.equal(values[0], values[1], 'both waiters got the same value')
  t.ok(took < 9000, `taken over ${Math.round(took)} ms after the kill (lock TTL 5 s)`)
})
