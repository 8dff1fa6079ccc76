import { fileURLToPath } from 'node:url'
import t from 'tap'
import { rawClient } from '../helpers/cache-app.js'
import { go, startChild } from '../helpers/read-through-children.js'
import { redisForTest } from '../helpers/redis-server.js'

const CHILD = fileURLToPath(new URL('../helpers/route-cache-child.ts', import.meta.url))

interface Result { id: string, body: string, cookie: string | null, status: string }

t.test('three processes, concurrent cold requests: the handler runs once in total, everyone gets its response', async t => {
  const redis = await redisForTest(t)
  const client = await rawClient(t, redis)
  const children = Array.from({ length: 3 }, () => startChild(t, { REDIS_URL: redis.url, HOLD_MS: '400', REQUESTS: '4' }, CHILD))
  await Promise.all(children.map((c) => c.line('ready')))
  children.forEach(go)
  const results = (await Promise.all(children.map(async (c) => JSON.parse(await c.line('results ')) as Result[]))).flat()
  t.equal(await client.get('mp-runs'), '1', 'one handler run across three processes')
  t.equal(new Set(results.map((r) => r.body)).size, 1, 'the same response for all 12 requests')
  t.equal(results.filter((r) => r.status === 'fastify-codex; fwd=miss; stored').length, 1, 'one stored it')
  // A process slowed past HOLD_MS (a loaded machine) finds the response stored: a hit, which also never ran the handler.
  const waited = results.filter((r) => r.status === 'fastify-codex; fwd=miss; collapsed').length
  const hits = results.filter((r) => r.status === 'fastify-codex; fwd=hit').length
  t.equal(waited + hits, 11, `the others waited for it or found it stored (${waited} waited, ${hits} hits)`)
  t.ok(waited >= 3, 'the storing process\'s own concurrent requests waited for its handler')
})

t.test('the same race with a response that may not be stored: no request gets another\'s set-cookie or body', async t => {
  const redis = await redisForTest(t)
  const children = Array.from({ length: 3 }, () => startChild(t, { REDIS_URL: redis.url, HOLD_MS: '200', REQUESTS: '4', SET_COOKIE: '1' }, CHILD))
  await Promise.all(children.map((c) => c.line('ready')))
  children.forEach(go)
  const results = (await Promise.all(children.map(async (c) => JSON.parse(await c.line('results ')) as Result[]))).flat()
  t.equal(results.length, 12)
  for (const r of results) {
    t.equal(r.cookie, `who=${r.id}`, `${r.id} got its own cookie`)
    t.same(JSON.parse(r.body), { by: r.id }, `${r.id} got its own body`)
    t.equal(r.status, 'fastify-codex; fwd=miss')
  }
})
