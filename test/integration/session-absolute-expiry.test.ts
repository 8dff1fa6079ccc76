import t from 'tap'
import { redisForTest } from '../helpers/redis-server.js'
import { commandCalls, cookieHeader, defaultRoutes, fields, idOf, keys, sessionApp, setCookie } from '../helpers/session-app.js'

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** POST /absolute {ms} → the session expires `ms` from now, exactly (no maxAge); POST /expires {at} → set it to `at`. */
function routes (app: Parameters<typeof defaultRoutes>[0]): void {
  defaultRoutes(app)
  app.post('/absolute', async (request) => {
    const { ms } = request.body as { ms: number }
    const at = Date.now() + ms
    request.session.cookie.expires = new Date(at)
    fields(request).user = 'ada'
    return { at }
  })
  app.post('/expires', async (request) => {
    request.session.cookie.expires = new Date((request.body as { at: number }).at)
    return { ok: true }
  })
}

t.test('an absolute expiry holds to the millisecond, however often the session is written', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {}, routes)
  const first = await app.inject({ method: 'POST', url: '/absolute', payload: { ms: 3000 } })
  const { at } = first.json<{ at: number }>()
  const cookie = setCookie(first)!
  const expiresHeader = cookie.expires?.getTime()
  t.equal(expiresHeader, Math.floor(at / 1000) * 1000, 'the browser gets the expiry (to the second, as HTTP dates go)')

  let served = 0
  let lateServed = 0
  const moved: number[] = []
  for (let i = 0; Date.now() < at + 600; i++) {
    const sentAt = Date.now()
    const res = await app.inject({ method: 'POST', url: '/set', payload: { n: i }, headers: cookieHeader(cookie.value) })
    const back = setCookie(res)
    const read = await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })
    const user = read.json<{ user?: string }>().user
    if (user === 'ada') {
      served++
      if (sentAt >= at) lateServed++
      if (back !== undefined && back.value === cookie.value && back.expires?.getTime() !== expiresHeader) moved.push(back.expires!.getTime())
    }
    await sleep(150)
  }
  t.ok(served >= 5, `the session was in use until its expiry (${served} requests)`)
  t.equal(lateServed, 0, 'no request after the expiry sees the session')
  t.same(moved, [], 'the Expires the browser holds never moves')
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), {}, 'over')
})

t.test('a load hands back the exact stored expiry, not the rounded Redis TTL', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {}, (app) => {
    routes(app)
    app.get('/expiry', async (request) => ({ expires: (request.session.cookie.expires as Date).getTime() }))
    app.post('/absolute-options', async (request) => {
      const at = Date.now() + 45_678
      request.session.options({ expires: new Date(at) })
      fields(request).user = 'bob'
      return { at }
    })
  })
  for (const url of ['/absolute', '/absolute-options']) {
    const first = await app.inject({ method: 'POST', url, payload: { ms: 60_250 } })
    const { at } = first.json<{ at: number }>()
    const cookie = setCookie(first)!
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ url: '/expiry', headers: cookieHeader(cookie.value) })
      t.equal(res.json<{ expires: number }>().expires, at, `${url}: exact on load ${i + 1}`)
    }
  }
})

t.test('changing only the expiry is stored: shortened, then lengthened', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, {}, routes)
  const first = await app.inject({ method: 'POST', url: '/absolute', payload: { ms: 3_600_000 } })
  const cookie = setCookie(first)!
  const key = `session:${idOf(cookie.value)}`

  const short = Date.now() + 2200   // far enough ahead that a stalled machine still saves before it passes
  const res = await app.inject({ method: 'POST', url: '/expires', payload: { at: short }, headers: cookieHeader(cookie.value) })
  t.equal(setCookie(res)?.expires?.getTime(), Math.floor(short / 1000) * 1000, 'the browser is told the shorter expiry')
  const pttl = Number(await redis.cli('PTTL', key))
  t.ok(pttl > 0 && pttl <= 3000, `Redis was told too (PTTL ${pttl})`)
  await sleep(Math.max(0, short - Date.now()) + 50)
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), {}, 'a replayed cookie no longer logs in')

  const second = await app.inject({ method: 'POST', url: '/absolute', payload: { ms: 2000 } })
  const other = setCookie(second)!
  const long = Date.now() + 120_000
  await redis.cli('CONFIG', 'RESETSTAT')
  await app.inject({ method: 'POST', url: '/expires', payload: { at: long }, headers: cookieHeader(other.value) })
  t.equal(await commandCalls(redis, 'set'), 1, 'lengthened: written')
  const longer = Number(await redis.cli('PTTL', `session:${idOf(other.value)}`))
  t.ok(longer > 110_000, `PTTL ${longer}`)
  await sleep(2200)
  t.same((await app.inject({ url: '/read', headers: cookieHeader(other.value) })).json(), { user: 'ada' }, 'still there past the old expiry')
  t.same((await keys(redis)).length, 1)
})

t.test('a maxAge session whose expiry the handler shortens is shortened in Redis too', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: 3_600_000 } }, routes)
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  const short = Date.now() + 2500   // far enough ahead that a stalled machine still saves before it passes
  await redis.cli('CONFIG', 'RESETSTAT')
  const res = await app.inject({ method: 'POST', url: '/expires', payload: { at: short }, headers: cookieHeader(cookie.value) })
  t.equal(setCookie(res)?.expires?.getTime(), Math.floor(short / 1000) * 1000, 'the browser is told the shorter expiry')
  t.equal(await commandCalls(redis, 'evalsha'), 1, 'one refresh, over the text loaded')
  t.equal(await commandCalls(redis, 'set'), 1, 'no other write: the refresh\'s SET')
  const stored = JSON.parse(await redis.cli('GET', `session:${idOf(cookie.value)}`) as string) as { user: string, cookie: { expires: string } }
  t.equal(stored.user, 'ada', 'the content as it was')
  t.ok(Math.abs(Date.parse(stored.cookie.expires) - short) < 1000, 'no stale stored expiry: the shorter one is stored')
  const pttl = Number(await redis.cli('PTTL', `session:${idOf(cookie.value)}`))
  t.ok(pttl > 0 && pttl <= 3000, `PTTL ${pttl}`)
  // Redis keeps it until the whole second after `short` (PTTL above, <= 3000): a load before that is not the point here.
  await sleep(pttl + 50)
  t.same((await app.inject({ url: '/read', headers: cookieHeader(cookie.value) })).json(), {}, 'a replayed cookie no longer logs in')
})
