import Fastify from 'fastify'
import t from 'tap'
import { codexCache } from '../../index.js'
import { lagsOf } from '../helpers/read-through.js'
import { sentinelForTest } from '../helpers/redis-sentinel.js'

t.test('sentinel: one computation across two caches, announced over the sentinel’s pub/sub connection', async (t) => {
  const setup = await sentinelForTest(t)
  const apps = [Fastify(), Fastify()]
  for (const app of apps) {
    t.teardown(() => app.close())
    await app.register(codexCache, { sentinel: { name: setup.name, sentinelRootNodes: setup.sentinelRootNodes }, keyPrefix: 'sen', commandTimeout: 3000 })
  }
  const [a, b] = apps.map((app) => app.cache)
  const lags = await lagsOf(t, a!, b!)
  // A missed announcement would show as the 1 s re-check or the 5 s lock expiry; a stalled loop adds a few hundred ms.
  t.ok(lags[lags.length >> 1]! < 400, `answered a median ${Math.round(lags[lags.length >> 1]!)} ms after the value landed (${lags.map(Math.round).join(', ')})`)
  t.equal((await setup.master.cli('PUBSUB', 'NUMSUB', 'sen:~codex:landed')).split('\n')[1], '1', 'the waiting cache subscribed')

  await a!.set('tagged', 1, { tags: ['t'] })
  await b!.invalidateTags(['t'])
  t.equal(await a!.get('tagged'), undefined, 'tags work through a sentinel')

  await Promise.all(apps.map((app) => app.close()))
  t.equal((await setup.master.cli('PUBSUB', 'NUMSUB', 'sen:~codex:landed')).split('\n')[1], '0', 'unsubscribed on close')
})
