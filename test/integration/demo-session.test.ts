import t from 'tap'
import { buildApp } from '../../examples/app.js'
import { redisForTest } from '../helpers/redis-server.js'

// The demo's session cookie: its name is @fastify/session's default, which the demo keeps.
const COOKIE = 'sessionId'

t.test('the demo: logging out clears the session cookie', async t => {
  const redis = await redisForTest(t)
  const app = await buildApp(redis.url)
  t.teardown(() => app.close())

  async function logIn (name: string): Promise<string> {
    const res = await app.inject({
      method: 'POST', url: '/login', payload: `username=${name}&password=demo`, headers: { 'content-type': 'application/x-www-form-urlencoded' }
    })
    t.equal(res.statusCode, 303)
    const cookie = res.cookies.find(c => c.name === COOKIE)
    t.ok(cookie?.value, 'logged in with a session cookie')
    return `${COOKIE}=${cookie?.value ?? ''}`
  }
  const cleared = (res: Awaited<ReturnType<typeof app.inject>>): boolean => {
    const sent = res.cookies.filter(c => c.name === COOKIE)
    return sent.length === 1 && sent[0]?.value === '' && (sent[0]?.expires?.getTime() ?? Infinity) <= Date.now() && sent[0]?.path === '/'
  }

  const cookie = await logIn('bob')
  t.equal((await app.inject({ url: '/me', headers: { cookie } })).statusCode, 200)
  const out = await app.inject({ method: 'POST', url: '/logout', headers: { cookie } })
  t.equal(out.statusCode, 303)
  t.ok(cleared(out), 'logout sends one Set-Cookie that expires the session cookie')
  t.equal((await app.inject({ url: '/me', headers: { cookie } })).statusCode, 401, 'the old cookie is logged out')

  const laptop = await logIn('alice')
  await logIn('alice')
  const everywhere = await app.inject({ method: 'POST', url: '/logout-everywhere', headers: { cookie: laptop } })
  t.equal(everywhere.statusCode, 303)
  t.ok(cleared(everywhere), 'log out everywhere clears this browser\'s cookie too')
  t.same(await app.sessions.listUser('alice'), [])
})

t.test('the demo: the active devices page lists each browser, logs one out, then every other one', async t => {
  const redis = await redisForTest(t)
  const app = await buildApp(redis.url)
  t.teardown(() => app.close())

  async function logIn (agent: string): Promise<string> {
    const res = await app.inject({
      method: 'POST',
      url: '/login',
      payload: 'username=carol&password=demo',
      remoteAddress: '203.0.113.9',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': agent }
    })
    return `${COOKIE}=${res.cookies.find(c => c.name === COOKIE)?.value ?? ''}`
  }
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const laptop = await logIn('Laptop browser')
  const phone = await logIn('Phone browser')
  const tablet = await logIn('Tablet browser')

  const page = await app.inject({ url: '/devices', headers: { cookie: laptop } })
  t.equal(page.statusCode, 200)
  t.equal(page.body.match(/class="device"/g)?.length, 3, 'three devices')
  t.match(page.body, /Phone browser — 203\.0\.113\.0/, 'browser and truncated network shown')
  const ids = await app.sessions.listUser('carol')
  for (const id of ids) t.notOk(page.body.includes(id), 'no session id in the page')

  const handles = [...page.body.matchAll(/name="handle" value="([^"]+)"/g)].map(m => m[1]!)
  const phoneHandle = (await app.sessions.listUser('carol', { details: true })).find(d => d.userAgent === 'Phone browser')!.handle
  t.ok(handles.includes(phoneHandle))
  const revoked = await app.inject({ method: 'POST', url: '/devices/revoke', payload: `handle=${phoneHandle}`, headers: { ...form, cookie: laptop } })
  t.equal(revoked.statusCode, 303)
  t.equal((await app.inject({ url: '/me', headers: { cookie: phone } })).statusCode, 401, 'the phone is logged out')
  t.equal((await app.inject({ url: '/me', headers: { cookie: tablet } })).statusCode, 200, 'the tablet is not')

  const others = await app.inject({ method: 'POST', url: '/logout-others', headers: { cookie: laptop } })
  t.equal(others.statusCode, 303)
  t.equal((await app.inject({ url: '/me', headers: { cookie: tablet } })).statusCode, 401, 'the tablet is logged out')
  t.equal((await app.inject({ url: '/me', headers: { cookie: laptop } })).statusCode, 200, 'this device stays logged in')
  t.equal((await app.sessions.listUser('carol')).length, 1)
})
