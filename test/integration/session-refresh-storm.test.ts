import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { REFRESH_FRACTION } from '../../lib/session/expiry.js'
import { redisForTest } from '../helpers/redis-server.js'
import { commandCalls, cookieHeader, defaultRoutes, fields, sessionApp, setCookie } from '../helpers/session-app.js'

// A whole number of seconds; the tests wait a little over a tenth of it, so every request below plans a refresh.
const MAX_AGE = 10_000
// Not smaller: setup requests share this deadline, and a loaded machine can stall a few hundred ms.
const COMMAND_TIMEOUT = 600

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Holds requests after they have loaded their session until the test opens it; `all(n)` resolves once n are held. */
class Barrier {
  #held = 0
  #wanted = 0
  #arrivedAll: () => void = () => {}
  #open!: () => void
  readonly #released = new Promise<void>((resolve) => { this.#open = resolve })

  async hold (): Promise<void> {
    if (++this.#held === this.#wanted) this.#arrivedAll()
    await this.#released
  }

  all (n: number): Promise<void> {
    this.#wanted = n
    return this.#held >= n ? Promise.resolve() : new Promise((resolve) => { this.#arrivedAll = resolve })
  }

  open (): void {
    this.#open()
  }
}

/** GET /held/:group reads the session after waiting at that group's barrier. */
function heldReads (barriers: Record<string, Barrier>) {
  return (app: FastifyInstance): void => {
    defaultRoutes(app)
    app.get('/held/:group', async (request) => {
      await barriers[(request.params as { group: string }).group]!.hold()
      return { user: fields(request).user }
    })
  }
}

/** A session with `user: 'ada'`, aged past the refresh threshold: its next read-only request moves the expiry. */
async function agedSession (app: FastifyInstance): Promise<string> {
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!
  await sleep(REFRESH_FRACTION * MAX_AGE + 100)
  return cookie.value
}

function held (app: FastifyInstance, group: string, cookie: string, n: number): Array<Promise<LightMyRequestResponse>> {
  return Array.from({ length: n }, async () => await app.inject({ url: `/held/${group}`, headers: cookieHeader(cookie) }))
}

/** One EVALSHA per refresh (an EVAL follows only the first, NOSCRIPT one). */
async function refreshCalls (redis: Parameters<typeof commandCalls>[0]): Promise<number> {
  return await commandCalls(redis, 'evalsha')
}

function assertRead (t: Test, responses: LightMyRequestResponse[], what: string): void {
  t.same(responses.map((r) => r.statusCode), responses.map(() => 200), `${what}: all answered 200`)
  t.ok(responses.every((r) => r.json<{ user: unknown }>().user === 'ada'), `${what}: all read the session`)
  t.ok(responses.every((r) => setCookie(r)?.expires !== undefined), `${what}: each re-sent its rolling cookie`)
}

t.test('concurrent read-only requests of one session send one expiry refresh between them', async (t) => {
  const redis = await redisForTest(t)
  const barriers = { many: new Barrier(), late: new Barrier() }
  const { app } = await sessionApp(t, redis, { cookie: { secure: false, maxAge: MAX_AGE } }, heldReads(barriers))
  const cookie = await agedSession(app)
  await redis.cli('CONFIG', 'RESETSTAT')

  const N = 20
  const many = held(app, 'many', cookie, N)
  // One more, loaded over the same text, saving only after the refresh has landed.
  const late = held(app, 'late', cookie, 1)
  await Promise.all([barriers.many.all(N), barriers.late.all(1)])
  t.equal(await commandCalls(redis, 'get'), N + 1, 'every request loaded the session before any saved')
  barriers.many.open()
  assertRead(t, await Promise.all(many), 'the concurrent requests')
  t.equal(await refreshCalls(redis), 1, 'Redis saw one refresh for them all')
  barriers.late.open()
  assertRead(t, await Promise.all(late), 'the late request')
  t.equal(await refreshCalls(redis), 1, 'none for a request that loaded the text that refresh replaced')
  t.equal(await commandCalls(redis, 'set'), 1, 'the one refresh wrote')

  const next = await app.inject({ url: '/read', headers: cookieHeader(cookie) })
  t.same(next.json(), { user: 'ada' }, 'a later request reads the refreshed session')
  t.equal(await refreshCalls(redis), 1, 'and has nothing to move')
})

t.test('a refresh that failed in an outage is not joined afterwards', async (t) => {
  const redis = await redisForTest(t)
  const barriers = { outage: new Barrier(), after: new Barrier() }
  const options = { commandTimeout: COMMAND_TIMEOUT, cookie: { secure: false, maxAge: MAX_AGE } }
  const { app } = await sessionApp(t, redis, options, heldReads(barriers))
  const cookie = await agedSession(app)

  const N = 5
  const during = held(app, 'outage', cookie, N)
  const after = held(app, 'after', cookie, 1)
  await Promise.all([barriers.outage.all(N), barriers.after.all(1)])
  redis.pause()
  t.teardown(() => redis.resume())
  barriers.outage.open()
  for (const res of await Promise.all(during)) {
    t.equal(res.statusCode, 503, 'a request whose refresh met the hung Redis: 503')
    t.equal(res.json().code, 'FST_CODEX_REDIS_UNAVAILABLE')
    t.equal(setCookie(res), undefined, 'and no cookie')
  }
  redis.resume()
  // On the app's own connection: answered once Redis has run what it received while stopped.
  await app.sessions.count()
  await redis.cli('CONFIG', 'RESETSTAT')
  barriers.after.open()
  // It loaded the same text: had the failed refresh been kept, it would fail with it.
  assertRead(t, await Promise.all(after), 'a request over the same text after the outage')
  t.equal(await refreshCalls(redis), 1, 'it sent a refresh of its own')
})
