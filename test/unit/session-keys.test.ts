import t from 'tap'
import { assertSessionId, isSessionId, isSessionKey, redactSessionId, sessionKey, sessionPrefix, userIndexKey } from '../../lib/session/keys.js'

t.test('the prefix is {projectName}:{keyPrefix} with empty segments omitted', async (t) => {
  t.equal(sessionPrefix('shop', 'session'), 'shop:session')
  t.equal(sessionPrefix('', 'session'), 'session')
  t.equal(sessionPrefix('shop', ''), 'shop')
  t.equal(sessionKey('shop:session', 'abc'), 'shop:session:abc')
})

t.test('session ids are non-empty strings without ":"', async (t) => {
  t.ok(isSessionId('Zx-_09abc'))
  for (const bad of ['', 'a:b', ':', 5, null, undefined, {}]) t.notOk(isSessionId(bad), String(bad))
  t.throws(() => assertSessionId('user:ada'), { code: 'FST_CODEX_INVALID_KEY' })
  t.throws(() => assertSessionId(''), { code: 'FST_CODEX_INVALID_KEY' })
})

t.test('an index key is never taken for a session key, whatever the user id', async (t) => {
  const prefix = 'shop:session'
  t.ok(isSessionKey(prefix, sessionKey(prefix, 'abc')))
  t.ok(isSessionKey(prefix, sessionKey(prefix, 'user')), 'a session whose id is "user"')
  for (const user of ['ada', '', 'a:b', '42']) t.notOk(isSessionKey(prefix, userIndexKey(prefix, user)), user)
  t.notOk(isSessionKey(prefix, `${prefix}:`), 'the bare prefix')
})

t.test('logs show a stem of the session id, never the id', async (t) => {
  t.equal(redactSessionId('abcdefghijklmnop'), 'abcdef…')
  t.equal(redactSessionId('abc'), '…')
})

t.test('with projectName and keyPrefix both empty, the key is the bare session id', async (t) => {
  t.equal(sessionKey(sessionPrefix('', ''), 'abc'), 'abc')
  t.equal(userIndexKey(sessionPrefix('', ''), '42'), 'user:42', 'the index still has more segments than any session key')
  t.equal(sessionKey(sessionPrefix('shop', ''), 'abc'), 'shop:abc')
  t.equal(sessionKey(sessionPrefix('', 'session'), 'abc'), 'session:abc')
})
