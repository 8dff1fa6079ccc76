import t from 'tap'
import { rawClient } from '../helpers/cache-app.js'
import { go, startChild } from '../helpers/read-through-children.js'
import { redisForTest } from '../helpers/redis-server.js'

t.test('four processes on one cold key: the factory runs once in all, everyone gets its value', async t => {
  const redis = await redisForTest(t)
  const client = await rawClient(t, redis)
  const children = Array.from({ length: 4 }, () => startChild(t, { REDIS_URL: redis.url, HOLD_MS: '300' }))
  await Promise.all(children.map((c) => c.line('ready')))
  children.forEach(go)
  const values = await Promise.all(children.map((c) => c.line('value ')))
  t.equal(await client.get('{mp}:runs'), '1', 'one run across four processes')
  t.equal(new Set(values).size, 1, `every process got the same value: ${values.join(' ')}`)
  t.same(await Promise.all(children.map((c) => c.exited)), [0, 0, 0, 0], 'every process ended on its own')
})
