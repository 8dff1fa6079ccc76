import t from 'tap'
import { redisForTest } from '../helpers/redis-server.js'
import { commandCalls, cookieHeader, fields, idOf, keys, sessionApp, setCookie, signedId } from '../helpers/session-app.js'
import type { FastifyInstance } from 'fastify'

const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0'
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1'

function routes (app: FastifyInstance): void {
  app.get('/read', async (request) => ({ ...fields(request), cookie: undefined }))
  app.post('/login', async (request) => {
    await request.session.regenerate()
    fields(request).user = (request.body as { user: string }).user
    return { id: request.session.sessionId }
  })
  // What a handler can reach from request.session, before and after a save in the handler.
  app.get('/inspect', async (request) => {
    const loaded = exposed(request.session)
    fields(request).visits = 1
    await request.session.save()
    return { loaded, saved: exposed(request.session) }
  })
}

/**
 * JSON, Object.values, every own string-keyed property (non-enumerables too) walked deep: the strings and numbers
 * found; and the session's own symbols named by us (@fastify/session's own symbols lead to the request and the store).
 */
function exposed (session: object): { json: string, values: string, walked: Array<string | number>, ours: string[] } {
  const walked: Array<string | number> = []
  const seen = new Set<object>()
  const walk = (value: unknown): void => {
    if (typeof value === 'string' || typeof value === 'number') walked.push(value)
    if (value instanceof Date) walked.push(value.getTime())
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return
    seen.add(value)
    for (const key of Object.getOwnPropertyNames(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key)
      if (descriptor !== undefined && 'value' in descriptor) walk(descriptor.value)
    }
  }
  walk(session)
  const ours = Object.getOwnPropertySymbols(session).map(String).filter((name) => name.includes('fastify-codex'))
  return { json: JSON.stringify(session), values: JSON.stringify(Object.values(session)), walked, ours }
}

async function devicesApp (t: Parameters<typeof sessionApp>[0], redis: Parameters<typeof sessionApp>[1], maxAge = 600_000): Promise<FastifyInstance> {
  const { app } = await sessionApp(t, redis, {
    cookie: { secure: false, maxAge }, userKey: 'user', devices: { userAgent: true, ip: 'truncated' }
  }, routes)
  return app
}

async function logIn (app: FastifyInstance, userAgent: string, remoteAddress: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' }, headers: { 'user-agent': userAgent }, remoteAddress })
  return setCookie(res)!.value
}

t.test('devices: two user agents listed with opaque handles; nothing of it in request.session; plain listUser still gives ids', async (t) => {
  const redis = await redisForTest(t)
  const app = await devicesApp(t, redis)
  const before = Date.now()
  const laptop = await logIn(app, LAPTOP, '203.0.113.77')
  const phone = await logIn(app, PHONE, '2001:db8:abcd:12::1')
  const ids = [idOf(laptop), idOf(phone)].sort()

  t.same(await app.sessions.listUser('ada'), ids, 'listUser(userId) keeps returning ids')
  const devices = await app.sessions.listUser('ada', { details: true })
  t.equal(devices.length, 2)
  const byAgent = Object.fromEntries(devices.map((d) => [d.userAgent, d]))
  t.equal(byAgent[LAPTOP]?.ip, '203.0.113.0', 'IPv4 truncated to its /24')
  t.equal(byAgent[PHONE]?.ip, '2001:db8:abcd::', 'IPv6 truncated to its /48')
  for (const device of devices) {
    t.ok(device.createdAt !== null && device.createdAt >= before && device.createdAt <= Date.now())
    t.equal(device.lastSeenAt, device.createdAt, 'seen last at login')
    t.ok(device.expiresAt !== null && device.expiresAt > Date.now() + 590_000)
    t.match(device.handle, /^[A-Za-z0-9_-]{22}$/)
    for (const id of ids) t.notOk(device.handle.includes(id) || id.includes(device.handle), 'the handle is not the id')
  }
  t.not(devices[0]!.handle, devices[1]!.handle)
  t.same((await app.sessions.listUser('ada', { details: true })).map((d) => d.handle).sort(), devices.map((d) => d.handle).sort(), 'stable')

  const read = await app.inject({ url: '/read', headers: { ...cookieHeader(laptop), 'user-agent': LAPTOP } })
  t.same(read.json(), { user: 'ada' }, 'the session holds only its own fields')
})

t.test('devices: neither the device, its creation time nor the stored payload is reachable from request.session', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { cookie: { secure: false }, userKey: 'user', devices: { userAgent: true, ip: 'full' } }, routes)
  const cookie = await logIn(app, LAPTOP, '203.0.113.77')
  const [device] = await app.sessions.listUser('ada', { details: true })
  const createdAt = device!.createdAt!
  const stored = (await redis.cli('GET', `session:${idOf(cookie)}`)).trim()
  t.match(stored, /^\{"cookie":.*"user":"ada"/, 'the payload as stored')
  const res = await app.inject({ url: '/inspect', headers: { ...cookieHeader(cookie), 'user-agent': LAPTOP }, remoteAddress: '203.0.113.77' })
  t.equal(res.statusCode, 200)
  const body = res.json<Record<'loaded' | 'saved', ReturnType<typeof exposed>>>()
  for (const [when, seen] of Object.entries(body)) {
    for (const text of [seen.json, seen.values]) {
      for (const secret of [LAPTOP, '203.0.113.77', String(createdAt), 'storeExpires', stored]) {
        t.notOk(text.includes(secret), `${when}: JSON and Object.values hold no ${secret.slice(0, 20)}`)
      }
    }
    const strings = seen.walked.filter((v): v is string => typeof v === 'string')
    t.notOk(strings.some((v) => v.includes(LAPTOP) || v.includes('203.0.113') || v.includes('storeExpires')), `${when}: no device or payload text in any property`)
    t.notOk(seen.walked.includes(createdAt), `${when}: no creation time in any property`)
    t.ok(strings.includes('ada'), `${when}: the walk does reach the fields`)
    t.same(seen.ours, [], `${when}: no symbol of ours on it either`)
  }
})

t.test('devices: the IP is kept whole with ip: \'full\' and not at all without the option', async (t) => {
  const redis = await redisForTest(t)
  const full = (await sessionApp(t, redis, { cookie: { secure: false }, userKey: 'user', keyPrefix: 'full', devices: { ip: 'full' } }, routes)).app
  await full.inject({ method: 'POST', url: '/login', payload: { user: 'ada' }, headers: { 'user-agent': LAPTOP }, remoteAddress: '203.0.113.77' })
  const [device] = await full.sessions.listUser('ada', { details: true })
  t.equal(device?.ip, '203.0.113.77')
  t.equal(device?.userAgent, undefined, 'no user agent unless asked')
  const none = (await sessionApp(t, redis, { cookie: { secure: false }, userKey: 'user', keyPrefix: 'none' }, routes)).app
  await none.inject({ method: 'POST', url: '/login', payload: { user: 'ada' }, headers: { 'user-agent': LAPTOP }, remoteAddress: '203.0.113.77' })
  const [plain] = await none.sessions.listUser('ada', { details: true })
  t.same(Object.keys(plain!).sort(), ['createdAt', 'expiresAt', 'handle', 'lastSeenAt'])
})

t.test('devices: revoke one by handle, then log out everywhere else', async (t) => {
  const redis = await redisForTest(t)
  const app = await devicesApp(t, redis)
  const laptop = await logIn(app, LAPTOP, '203.0.113.77')
  const phone = await logIn(app, PHONE, '198.51.100.4')
  const tablet = await logIn(app, 'Tablet', '198.51.100.5')
  const handleOf = async (agent: string): Promise<string> =>
    (await app.sessions.listUser('ada', { details: true })).find((d) => d.userAgent === agent)!.handle

  const phoneHandle = await handleOf(PHONE)
  t.equal(await app.sessions.revoke('ada', phoneHandle), true, 'the phone is logged out')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(phone) })).json(), {}, 'its cookie no longer logs in')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(laptop) })).json(), { user: 'ada' }, 'the laptop still is')
  t.equal(await app.sessions.revoke('ada', phoneHandle), false, 'a second time: nothing to end')
  t.equal(await app.sessions.revoke('bob', await handleOf(LAPTOP)), false, 'another user\'s handle ends nothing')
  t.equal(await app.sessions.revoke('ada', idOf(laptop)), false, 'a session id is not a handle')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(laptop) })).json(), { user: 'ada' })

  t.equal(await app.sessions.revokeUser('ada', { except: idOf(laptop) }), 1, 'every other device')
  t.same(await app.sessions.listUser('ada'), [idOf(laptop)], 'only the current device remains')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(tablet) })).json(), {})
  t.same((await app.inject({ url: '/read', headers: cookieHeader(laptop) })).json(), { user: 'ada' })
})

t.test('a handle is refused as a session cookie', async (t) => {
  const redis = await redisForTest(t)
  const app = await devicesApp(t, redis)
  const laptop = await logIn(app, LAPTOP, '203.0.113.77')
  const [device] = await app.sessions.listUser('ada', { details: true })
  const handle = device!.handle
  t.equal(await redis.cli('EXISTS', `session:${handle}`), '0\n', 'no session is stored under the handle')
  for (const cookie of [handle, signedId(handle)]) {
    const res = await app.inject({ url: '/read', headers: cookieHeader(cookie) })
    t.same(res.json(), {}, 'no session behind it, even correctly signed')
  }
  t.same((await app.inject({ url: '/read', headers: cookieHeader(laptop) })).json(), { user: 'ada' }, 'the real session is untouched')
  t.same((await keys(redis, 'session:*')).filter((k) => !k.includes(':user:') && !k.includes(':handles:')), [`session:${idOf(laptop)}`])
})

t.test('lastSeenAt moves with the rolling refresh only: no write of its own', async (t) => {
  const redis = await redisForTest(t)
  // A 3 s lifetime: the expiry is refreshed once a tenth of it (300 ms) has passed.
  const app = await devicesApp(t, redis, 3000)
  const laptop = await logIn(app, LAPTOP, '203.0.113.77')
  const [atLogin] = await app.sessions.listUser('ada', { details: true })
  await redis.cli('CONFIG', 'RESETSTAT')
  const quick = Date.now()
  await app.inject({ url: '/read', headers: cookieHeader(laptop) })
  if (Date.now() - atLogin!.lastSeenAt! < 250) {
    t.equal((await app.sessions.listUser('ada', { details: true }))[0]!.lastSeenAt, atLogin!.lastSeenAt, 'within a tenth: not moved')
    t.equal(await commandCalls(redis, 'evalsha'), 0, 'and nothing written')
  }
  await new Promise((resolve) => setTimeout(resolve, 600))
  await redis.cli('CONFIG', 'RESETSTAT')
  const readAt = Date.now()
  await app.inject({ url: '/read', headers: cookieHeader(laptop) })
  t.equal(await commandCalls(redis, 'evalsha'), 2, 'the refresh, and the user index\'s expiry as before')
  t.equal(await commandCalls(redis, 'set'), 1, 'its one SET: nothing else is written for lastSeenAt')
  const [later] = await app.sessions.listUser('ada', { details: true })
  t.ok(later!.lastSeenAt! >= readAt && later!.lastSeenAt! > quick, 'moved with the refresh')
  t.equal(later!.createdAt, atLogin!.createdAt)
})
