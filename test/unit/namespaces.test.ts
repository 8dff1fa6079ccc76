import t from 'tap'
import { connectionTarget } from '../../lib/connection/target.js'
import { resolveConnectionOptions } from '../../lib/connection/options.js'
import { NamespaceRegistry, namespacesOverlap } from '../../lib/namespaces.js'

t.test("two namespaces overlap when one's `{prefix}:*` matches the other's keys", async (t) => {
  t.ok(namespacesOverlap('myapp', 'myapp:session'), 'cache myapp vs sessions myapp:session')
  t.ok(namespacesOverlap('session', 'session'))
  t.ok(namespacesOverlap('a:1', 'a'))
  t.notOk(namespacesOverlap('a', 'ab'), "'a:*' never matches 'ab:…'")
  t.notOk(namespacesOverlap('myapp:cache', 'myapp:session'), 'siblings')
  t.notOk(namespacesOverlap('a:b', 'a:bc'))
})

t.test('a registry refuses the second of two overlapping claims, naming both; release frees the prefix', async (t) => {
  const registry = new NamespaceRegistry()
  const release = registry.claim({ prefix: 'myapp', owner: 'the cache', shareable: true })
  t.throws(() => registry.claim({ prefix: 'myapp:session', owner: 'the sessions', shareable: false }),
    { code: 'FST_CODEX_INVALID_OPTIONS', message: /the sessions overlaps the cache/ })
  t.doesNotThrow(() => registry.claim({ prefix: 'myapp', owner: 'another view', shareable: true }), 'caches may share one prefix')
  t.throws(() => registry.claim({ prefix: 'myapp', owner: 'sessions', shareable: false }), { code: 'FST_CODEX_INVALID_OPTIONS' }, 'sessions share nothing')
  release()
  const fresh = new NamespaceRegistry()
  t.doesNotThrow(() => fresh.claim({ prefix: 'myapp:session', owner: 'sessions', shareable: false }))
})

t.test('the target of a url is its server and database, however the url spells them', async (t) => {
  const target = (url: string): unknown => connectionTarget(resolveConnectionOptions({ url }))
  t.equal(target('redis://127.0.0.1:6379'), target('redis://127.0.0.1/0'))
  t.not(target('redis://127.0.0.1:6379/0'), target('redis://127.0.0.1:6379/1'))
  t.equal(target('unix:///run/r.sock'), target('unix:///run/r.sock?db=0'))
  const client = { connect: () => {} } as never
  t.equal(connectionTarget(resolveConnectionOptions({ client })), client, 'a passed-in client is its own target')
})
