import t from 'tap'
import { redisForTest } from '../helpers/redis-server.js'
import { cookieHeader, idOf, keys, sessionApp, setCookie } from '../helpers/session-app.js'

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

t.test('listUser lists every device of a user; revokeUser logs them all out', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user' })
  const login = async (user: string) => setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user } }))!.value
  const ada = [await login('ada'), await login('ada'), await login('ada')]
  const bob = await login('bob')

  t.same(await app.sessions.listUser('ada'), ada.map(idOf).sort())
  t.same(await app.sessions.listUser('bob'), [idOf(bob)])
  t.same(await app.sessions.listUser('nobody'), [])
  t.equal(await app.sessions.count(), 4)

  t.equal(await app.sessions.revokeUser('ada'), 3)
  for (const cookie of ada) {
    t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie) })).json(), {}, 'logged out')
  }
  t.same((await app.inject({ url: '/read', headers: cookieHeader(bob) })).json(), { user: 'bob' }, 'others untouched')
  t.same(await app.sessions.listUser('ada'), [])
  t.equal(await app.sessions.revokeUser('ada'), 0)
  t.equal(await app.sessions.count(), 1)
})

t.test('the index stays right through regenerate, logout, a change of user and expiry', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user', cookie: { secure: false, maxAge: 60_000 } })
  const first = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' } }))!.value
  const again = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' }, headers: cookieHeader(first) }))!.value
  t.same(await app.sessions.listUser('ada'), [idOf(again)], 'regenerate: only the new id')

  await app.inject({ method: 'POST', url: '/set', payload: { user: 'bob' }, headers: cookieHeader(again) })
  t.same(await app.sessions.listUser('ada'), [], 'the session now belongs to bob')
  t.same(await app.sessions.listUser('bob'), [idOf(again)])

  await app.inject({ method: 'POST', url: '/logout', headers: cookieHeader(again) })
  t.same(await app.sessions.listUser('bob'), [], 'logout')

  const { app: short } = await sessionApp(t, redis, { userKey: 'user', keyPrefix: 'short', cookie: { secure: false, maxAge: 1000 } })
  await short.inject({ method: 'POST', url: '/login', payload: { user: 'carol' } })
  t.equal((await short.sessions.listUser('carol')).length, 1)
  await sleep(1300)
  t.same(await short.sessions.listUser('carol'), [], 'expired sessions are not listed')
  t.same(await keys(redis, 'short:*'), [], 'and the index expired with them')
})

t.test('numeric user ids are the same user as their string form', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user' })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 42 } }))!.value
  t.same(await app.sessions.listUser(42), [idOf(cookie)])
  t.same(await app.sessions.listUser('42'), [idOf(cookie)])
  t.equal(await app.sessions.revokeUser(42), 1)
})

t.test('the index outlives the sessions it lists, also after an expiry refresh', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user', cookie: { secure: false, maxAge: 4000 } })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' } }))!.value
  const pttl = async (key: string) => Number(await redis.cli('PTTL', key))
  const session = `session:${idOf(cookie)}`
  t.ok(await pttl('session:user:ada') >= await pttl(session) - 50)
  await sleep(1200)
  await app.inject({ url: '/read', headers: cookieHeader(cookie) })
  t.ok(await pttl(session) > 3000, 'the session expiry was refreshed')
  t.ok(await pttl('session:user:ada') >= await pttl(session) - 50, 'so was the index')
})

t.test('indexes live one level below the sessions and are never counted as sessions', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user', projectName: 'shop' })
  const a = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' } }))!.value
  const b = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { anonymous: true } }))!.value
  await redis.cli('SET', 'shop:other:thing', 'x')
  await redis.cli('SET', 'shop:session', 'x')
  await redis.cli('SET', 'unrelated', 'x')
  t.same(await keys(redis, 'shop:session:*'), [`shop:session:${idOf(a)}`, `shop:session:${idOf(b)}`, 'shop:session:user:ada'].sort())
  t.equal(await app.sessions.count(), 2)
})

t.test('sessions.destroy ends one session by id', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user' })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' } }))!.value
  t.equal(await app.sessions.destroy(idOf(cookie)), true)
  t.equal(await app.sessions.destroy(idOf(cookie)), false, 'already gone')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie) })).json(), {})
  t.same(await app.sessions.listUser('ada'), [])
  await t.rejects(app.sessions.destroy(''), { code: 'FST_CODEX_INVALID_KEY' })
  await t.rejects(app.sessions.destroy('user:ada'), { code: 'FST_CODEX_INVALID_KEY' }, 'an index key is not a session id')
})

t.test('listUser and revokeUser need userKey', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  await t.rejects(app.sessions.listUser('ada'), { code: 'FST_CODEX_INVALID_OPTIONS' })
  await t.rejects(app.sessions.revokeUser('ada'), { code: 'FST_CODEX_INVALID_OPTIONS' })
})

t.test('a stale or unreadable index member is pruned, not listed', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user' })
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' } }))!.value
  await redis.cli('SADD', 'session:user:ada', 'gone', 'corrupt', 'other')
  await redis.cli('SET', 'session:corrupt', '{not json')
  await redis.cli('SET', 'session:other', '{"cookie":{"expires":null},"user":"bob"}')
  t.same(await app.sessions.listUser('ada'), [idOf(cookie)])
  t.same((await redis.cli('SMEMBERS', 'session:user:ada')).trim(), idOf(cookie), 'pruned')
  t.equal(await app.sessions.revokeUser('ada'), 1, "another user's session is never revoked")
  t.equal(await redis.cli('EXISTS', 'session:other'), '1\n')
})

t.test('regenerate and logout take the id out of its user\'s index: logging in again and again does not grow it', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user' })
  let cookie: string | undefined
  for (let i = 0; i < 21; i++) {
    const res = await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' }, headers: cookie === undefined ? {} : cookieHeader(cookie) })
    cookie = setCookie(res)!.value
  }
  // Never listed (listUser would prune): the index holds exactly the live session.
  t.equal(await redis.cli('SCARD', 'session:user:ada'), '1\n', 'one member after 21 logins with regenerate')
  t.equal(await redis.cli('SISMEMBER', 'session:user:ada', idOf(cookie!)), '1\n', 'the current session')
  t.equal(await redis.cli('DBSIZE'), '2\n', 'the session and its index')

  await app.inject({ method: 'POST', url: '/logout', headers: cookieHeader(cookie!) })
  t.equal(await redis.cli('SCARD', 'session:user:ada'), '0\n', 'logout: the member is gone')
  t.equal(await redis.cli('DBSIZE'), '0\n')

  const other = setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user: 'bob' } }))!.value
  t.equal(await app.sessions.destroy(idOf(other)), true)
  t.equal(await redis.cli('EXISTS', 'session:user:bob'), '0\n', 'sessions.destroy(id) too')
})
