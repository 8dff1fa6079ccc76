import Fastify from 'fastify'
import t from 'tap'
import { codexSession } from '../../index.js'
import { clusterForTest } from '../helpers/redis-cluster.js'
import { SECRET, cookieHeader, defaultRoutes, idOf, setCookie } from '../helpers/session-app.js'

t.test('sessions on a Redis Cluster', async (t) => {
  const cluster = await clusterForTest(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(codexSession, {
    cluster: { rootNodes: cluster.rootNodes },
    secret: SECRET,
    userKey: 'user',
    cookie: { secure: false }
  })
  defaultRoutes(app)
  await app.ready()

  const cookies: string[] = []
  for (let i = 0; i < 12; i++) {
    const res = await app.inject({ method: 'POST', url: '/login', payload: { user: i % 2 === 0 ? 'ada' : 'bob' } })
    cookies.push(setCookie(res)!.value)
  }
  const perNode = await Promise.all(cluster.nodes.map(async (node) =>
    (await node.cli('--scan', '--pattern', 'session:*')).split('\n').filter((k) => k !== '' && !k.startsWith('session:user:')).length))
  t.ok(perNode.filter((n) => n > 0).length >= 2, `sessions spread over the masters: ${perNode.join(', ')}`)
  t.equal(await app.sessions.count(), 12, 'count() scans every master and skips the indexes')

  await Promise.all(cluster.nodes.map((node) => node.cli('CONFIG', 'RESETSTAT')))
  for (const cookie of cookies) {
    const res = await app.inject({ url: '/read', headers: cookieHeader(cookie) })
    t.equal(res.statusCode, 200)
  }
  const sets = await Promise.all(cluster.nodes.map(async (node) =>
    /cmdstat_set:calls=(\d+)/.exec(await node.cli('INFO', 'commandstats'))?.[1] ?? '0'))
  t.same(sets.map(Number), cluster.nodes.map(() => 0), 'reads write nothing on any node')

  const ada = cookies.filter((_, i) => i % 2 === 0).map(idOf).sort()
  t.same(await app.sessions.listUser('ada'), ada)
  t.equal(await app.sessions.revokeUser('ada'), 6, 'revoked across slots')
  t.equal(await app.sessions.count(), 6)
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookies[0]!) })).json(), {})
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookies[1]!) })).json(), { user: 'bob' })

  const bob = cookies.filter((_, i) => i % 2 === 1).map(idOf).sort()
  t.same((await app.sessions.ids()).sort(), bob, 'ids() walks every master')
  const all = await app.sessions.all()
  t.same(all.map((entry) => entry.id).sort(), bob)
  t.ok(all.every((entry) => entry.session.user === 'bob'))
  await cluster.nodes[0]!.cli('-c', 'SET', 'other:key', 'kept')
  t.equal(await app.sessions.clear(), 6, 'clear() deletes on every master, slot by slot')
  t.equal(await app.sessions.count(), 0)
  const left = await Promise.all(cluster.nodes.map(async (node) =>
    (await node.cli('--scan')).split('\n').filter((k) => k !== '')))
  // SCAN may list a key twice while the table rehashes after the deletes.
  t.same([...new Set(left.flat())], ['other:key'], 'sessions and user indexes gone; nothing else touched')
})
