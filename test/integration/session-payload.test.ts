import t from 'tap'
import { redisForTest } from '../helpers/redis-server.js'
import { commandCalls, cookieHeader, defaultRoutes, fields, keys, sessionApp, setCookie, signedId } from '../helpers/session-app.js'

const ID = 'poisoned0123456789abcdefghijklmn'
const KEY = `session:${ID}`

const BAD_PAYLOADS: Array<[string, string]> = [
  ['a top-level __proto__', '{"cookie":{"expires":null},"__proto__":{"admin":true}}'],
  ['a nested __proto__', '{"cookie":{"expires":null},"user":{"__proto__":{"admin":true}}}'],
  ['constructor.prototype', '{"cookie":{"expires":null},"user":{"constructor":{"prototype":{"admin":true}}}}'],
  ['a \\u-escaped __proto__', '{"cookie":{"expires":null},"\\u005f_proto__":{"admin":true}}'],
  ['invalid JSON', '{"cookie":'],
  ['a number', '42'],
  ['an array', '[{"admin":true}]'],
  ['a cookie that is not an object', '{"cookie":"yes","admin":true}'],
  ['a cookie.expires that is not a date', '{"cookie":{"expires":"soon"},"admin":true}']
]

t.test('an unreadable or prototype-poisoning payload loads as a fresh session and is logged', async (t) => {
  const redis = await redisForTest(t)
  const { app, logs } = await sessionApp(t, redis, {}, (app) => {
    defaultRoutes(app)
    app.get('/admin', async (request) => ({
      admin: (fields(request) as { admin?: unknown }).admin ?? null,
      polluted: ({} as { admin?: unknown }).admin !== undefined
    }))
  })
  const cookie = signedId(ID)
  for (const [what, payload] of BAD_PAYLOADS) {
    logs.length = 0
    await redis.cli('SET', KEY, payload)
    const res = await app.inject({ url: '/admin', headers: cookieHeader(cookie) })
    t.equal(res.statusCode, 200, what)
    t.same(res.json(), { admin: null, polluted: false }, `${what}: nothing of it reaches the request`)
    const warning = logs.find((line) => line.msg.includes('unreadable session payload'))
    t.ok(warning, `${what}: logged`)
    t.equal((warning?.err as { code?: unknown } | undefined)?.code, 'FST_CODEX_CORRUPT_VALUE', `${what}: with the code`)
    t.notMatch(JSON.stringify(logs), ID, `${what}: the log does not give the session id away`)
    t.equal(await redis.cli('GET', KEY), `${payload}\n`, `${what}: a read does not overwrite it`)
  }
})

// Each of these once answered 500 on every request of the session until it expired.
const UNRESTORABLE: Array<[string, Record<string, unknown>]> = [
  ['an originalMaxAge that is not a number', { cookie: { expires: null, originalMaxAge: 'x' } }],
  ['an originalMaxAge past any date', { cookie: { expires: null, originalMaxAge: 1e300 } }],
  ['an originalMaxAge past year 9999', { cookie: { expires: null, originalMaxAge: 3e14 } }],
  ['a maxAge that is not a number', { cookie: { expires: null, maxAge: 'x' } }],
  ['an expires past year 9999', { cookie: { expires: '+010000-01-01T00:00:00.000Z', originalMaxAge: null } }],
  ['a sameSite that is no SameSite', { cookie: { expires: null, originalMaxAge: null, sameSite: 'bogus' } }],
  ['a sameSite of the wrong type', { cookie: { expires: null, originalMaxAge: null, sameSite: 1 } }],
  ['a secure that is no flag', { cookie: { expires: null, originalMaxAge: null, secure: 'yes' } }],
  ['a path with a ;', { cookie: { expires: null, originalMaxAge: null, path: '/;x' } }],
  ['a path of the wrong type', { cookie: { expires: null, originalMaxAge: null, path: 5 } }],
  ['a domain that is no host', { cookie: { expires: null, originalMaxAge: null, domain: 'a b' } }],
  ['an httpOnly that is no flag', { cookie: { expires: null, originalMaxAge: null, httpOnly: 'yes' } }],
  ['a partitioned that is no flag', { cookie: { expires: null, originalMaxAge: null, partitioned: 1 } }],
  ['a field shadowing save()', { cookie: { expires: null, originalMaxAge: null }, save: 1 }],
  ['a field shadowing isSaved()', { cookie: { expires: null, originalMaxAge: null }, isSaved: 1 }],
  ['a field shadowing isModified()', { cookie: { expires: null, originalMaxAge: null }, isModified: {} }]
]

t.test('a stored cookie the plugin cannot send, or a field shadowing a Session method, loads as a fresh session', async (t) => {
  const redis = await redisForTest(t)
  const { app, logs } = await sessionApp(t, redis)
  const cookie = signedId(ID)
  for (const [what, payload] of UNRESTORABLE) {
    const text = JSON.stringify({ ...payload, user: 'ada' })
    logs.length = 0
    await redis.cli('SET', KEY, text)
    const read = await app.inject({ url: '/read', headers: cookieHeader(cookie) })
    t.equal(read.statusCode, 200, `${what}: GET`)
    t.same(read.json(), {}, `${what}: GET gets a fresh session`)
    const warning = logs.find((line) => line.msg.includes('unreadable session payload'))
    t.equal((warning?.err as { code?: unknown } | undefined)?.code, 'FST_CODEX_CORRUPT_VALUE', `${what}: logged with the code`)
    const write = await app.inject({ method: 'POST', url: '/set', payload: { cart: ['tea'] }, headers: cookieHeader(cookie) })
    t.equal(write.statusCode, 200, `${what}: POST`)
    const fresh = setCookie(write)
    t.ok(fresh !== undefined && fresh.value !== cookie, `${what}: POST gets a fresh session under its own id`)
    t.same((await app.inject({ url: '/read', headers: cookieHeader(fresh?.value ?? '') })).json(), { cart: ['tea'] }, `${what}: and keeps it`)
    t.equal(await redis.cli('GET', KEY), `${text}\n`, `${what}: the bad payload is left to expire`)
  }
})

t.test('every cookie our writes store, and the usual ones of other stores, still loads', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  const cookie = signedId(ID)
  const later = new Date(Date.now() + 3_600_000).toISOString()
  const good: Array<Record<string, unknown>> = [
    { expires: null, originalMaxAge: null, sameSite: null, secure: null, path: null, httpOnly: null, domain: null },
    { expires: later, originalMaxAge: 3_600_000, sameSite: 'Lax', secure: false, path: '/', httpOnly: true, domain: 'example.com' },
    { expires: later, originalMaxAge: null, sameSite: true, secure: 'auto', path: '/app', httpOnly: false, domain: '.example.com', partitioned: true },
    { expires: later, maxAge: 3_600_000, sameSite: 'none', secure: true, partitioned: false, domain: '' },
    { expires: null, originalMaxAge: -5, sameSite: false }
  ]
  for (const stored of good) {
    await redis.cli('SET', KEY, JSON.stringify({ cookie: stored, user: 'ada' }), 'EX', '600')
    const read = await app.inject({ url: '/read', headers: cookieHeader(cookie) })
    t.equal(read.statusCode, 200, JSON.stringify(stored))
    // A lifetime already over (originalMaxAge -5) is the plugin's to end: a fresh session, as for an expired one.
    t.same(read.json(), stored.originalMaxAge === -5 ? {} : { user: 'ada' }, JSON.stringify(stored))
  }
})

t.test('a field named like a Session method only the app calls (options, touch…) is stored and loads as before', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  const written = await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada', options: { theme: 'dark' }, touch: 1 } })
  const cookie = setCookie(written)!.value
  for (let round = 0; round < 2; round++) {
    const read = await app.inject({ url: '/read', headers: cookieHeader(cookie) })
    t.equal(read.statusCode, 200)
    t.same(read.json(), { user: 'ada', options: { theme: 'dark' }, touch: 1 }, 'not taken for a corrupt payload')
  }
})

t.test('a fresh session replacing an unreadable one starts empty and gets its own id', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  await redis.cli('SET', KEY, '{"cookie":{"expires":null},"__proto__":{"admin":true}}')
  const res = await app.inject({ method: 'POST', url: '/set', payload: { cart: [] }, headers: cookieHeader(signedId(ID)) })
  t.equal(res.statusCode, 200)
  const cookie = setCookie(res)!
  t.not(cookie.value, signedId(ID))
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), { cart: [] })
})

t.test('a payload written by another express-session store loads, and is normalized once', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  // connect-redis's shape: JSON.stringify(session), with Date-typed expires turned into a string.
  const foreign = JSON.stringify({ cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, user: 'ada' })
  await redis.cli('SET', KEY, foreign, 'EX', '600')
  const cookie = signedId(ID)
  await redis.cli('CONFIG', 'RESETSTAT')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie) })).json(), { user: 'ada' })
  t.equal(await commandCalls(redis, 'set'), 1, 'rewritten in our canonical form')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie) })).json(), { user: 'ada' })
  t.equal(await commandCalls(redis, 'set'), 1, 'and then left alone')
  await app.inject({ method: 'POST', url: '/set', payload: { seen: true }, headers: cookieHeader(cookie) })
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie) })).json(), { user: 'ada', seen: true })
})

t.test("a custom serializer's failures get the contract's code and store nothing", async (t) => {
  const redis = await redisForTest(t)
  const throwing = { stringify: () => { throw new Error('nope') }, parse: JSON.parse }
  const { app } = await sessionApp(t, redis, { serializer: throwing })
  const res = await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } })
  t.equal(res.statusCode, 500)
  t.equal(res.json().code, 'FST_CODEX_NOT_SERIALIZABLE')
  t.same(await keys(redis), [], 'nothing stored')

  const redis2 = await redisForTest(t)
  const notText = { stringify: () => 42 as unknown as string, parse: JSON.parse }
  const { app: app2 } = await sessionApp(t, redis2, { serializer: notText })
  const res2 = await app2.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } })
  t.equal(res2.json().code, 'FST_CODEX_NOT_SERIALIZABLE', 'a serializer that returns no string is refused too')
  t.same(await keys(redis2), [])
})
