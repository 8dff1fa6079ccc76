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
