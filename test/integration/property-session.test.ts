import assert from 'node:assert/strict'
import { Signer } from '@fastify/cookie'
import fc from 'fast-check'
import t from 'tap'
import { asStored, holdsPrototypeKey, jsonValue } from '../helpers/arbitraries.js'
import { redisForTest } from '../helpers/redis-server.js'
import { COOKIE, SECRET, cookieHeader, idOf, sessionApp, setCookie, signedId } from '../helpers/session-app.js'

const OTHER_SECRET = 'another-secret-of-at-least-32-characters'

t.test('property: any strict-JSON value round-trips exactly through a session', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis)
  const cookie = setCookie(await app.inject({ method: 'POST', url: '/set', payload: { user: 'ada' } }))!.value
  // Fastify's body parser refuses __proto__ keys itself (400), so those values cannot reach a session over HTTP.
  await fc.assert(fc.asyncProperty(jsonValue.filter((value) => !holdsPrototypeKey(value)), async (value) => {
    const set = await app.inject({ method: 'POST', url: '/set', payload: { value }, headers: cookieHeader(cookie) })
    assert.equal(set.statusCode, 200, set.body)
    const read = await app.inject({ url: '/read', headers: cookieHeader(cookie) })
    assert.deepStrictEqual(read.json(), { user: 'ada', value: asStored(value) })
  }), { numRuns: 100 })
  t.pass('100 values round-tripped through the session')
})

t.test('hostile cookies get a fresh session or a 4xx: never another session, never a 500', async (t) => {
  const redis = await redisForTest(t)
  const { app } = await sessionApp(t, redis, { userKey: 'user' })
  const login = async (user: string): Promise<string> =>
    setCookie(await app.inject({ method: 'POST', url: '/login', payload: { user } }))!.value
  const ada = await login('ada')
  const bob = await login('bob')

  /** The user a cookie header logs in as (undefined: a fresh session), asserting the reply is no 5xx. */
  async function userFor (header: string): Promise<unknown> {
    const res = await app.inject({ url: '/read', headers: { cookie: header } })
    assert.ok(res.statusCode < 500, `status ${res.statusCode} for cookie ${JSON.stringify(header.slice(0, 80))}: ${res.body}`)
    return res.statusCode === 200 ? (res.json() as { user?: unknown }).user : undefined
  }

  t.equal(await userFor(`${COOKIE}=${ada}`), 'ada', 'the genuine cookie works')

  await t.test('tampered: any single character of the cookie changed', async (t) => {
    await fc.assert(fc.asyncProperty(fc.nat(ada.length - 1), fc.constantFrom(...'abcXYZ019-_.+/=%'), async (at, char) => {
      const tampered = ada.slice(0, at) + char + ada.slice(at + 1)
      const user = await userFor(`${COOKIE}=${tampered}`)
      assert.ok(tampered === ada ? user === 'ada' : user === undefined, `tampered cookie logged in as ${String(user)}`)
    }), { numRuns: 150 })
    t.pass('no tampered cookie logged anybody in')
  })

  await t.test('truncated at any length', async (t) => {
    for (let length = 0; length < ada.length; length++) {
      assert.equal(await userFor(`${COOKIE}=${ada.slice(0, length)}`), undefined, `truncated to ${length}`)
    }
    t.pass('no truncation logged anybody in')
  })

  await t.test('arbitrary cookie headers', async (t) => {
    const header = fc.oneof(
      fc.string({ maxLength: 300 }).map((value) => `${COOKIE}=${value}`),
      fc.string({ maxLength: 300 }),
      fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 })).map(([a, b]) => `${COOKIE}=${a}; ${COOKIE}=${b}`)
    ).filter((value) => !/[\r\n\0]/.test(value) && /^[\t\x20-\x7e\x80-\xff]*$/.test(value))
    await fc.assert(fc.asyncProperty(header, async (value) => {
      assert.equal(await userFor(value), undefined)
    }), { numRuns: 200 })
    t.pass('no arbitrary header logged anybody in')
  })

  await t.test('oversized', async (t) => {
    t.equal(await userFor(`${COOKIE}=${'a'.repeat(8000)}.${'b'.repeat(8000)}`), undefined)
    t.equal(await userFor(`${COOKIE}=${ada}${'x'.repeat(16_000)}`), undefined)
    t.equal(await userFor(`${COOKIE}=${idOf(ada)}${'x'.repeat(4000)}.${ada.slice(ada.lastIndexOf('.') + 1)}`), undefined)
  })

  await t.test("signed with a wrong secret, or naming another session's id with a forged signature", async (t) => {
    const forged = new Signer(OTHER_SECRET, 'sha256').sign(idOf(ada))
    t.equal(await userFor(`${COOKIE}=${forged}`), undefined)
    const swapped = `${idOf(ada)}.${bob.slice(bob.lastIndexOf('.') + 1)}`
    t.equal(await userFor(`${COOKIE}=${swapped}`), undefined, "ada's id with bob's signature")
    t.equal(await userFor(`${COOKIE}=${signedId('not-a-session-id-at-all-00000000')}`), undefined, 'a well-signed unknown id')
  })

  await t.test('replayed after logout, and after revokeUser', async (t) => {
    const carol = await login('carol')
    t.equal(await userFor(`${COOKIE}=${carol}`), 'carol')
    await app.inject({ method: 'POST', url: '/logout', headers: cookieHeader(carol) })
    t.equal(await userFor(`${COOKIE}=${carol}`), undefined, 'replayed after logout')

    const devices = [await login('dave'), await login('dave')]
    t.equal(await app.sessions.revokeUser('dave'), 2)
    for (const device of devices) t.equal(await userFor(`${COOKIE}=${device}`), undefined, 'replayed after revokeUser')
    t.equal(await userFor(`${COOKIE}=${bob}`), 'bob', 'other users stay logged in')
  })
})

t.test('secret rotation: an old secret still in the list keeps the user; once dropped, the cookie is a fresh session', async (t) => {
  const redis = await redisForTest(t)
  const { app: before } = await sessionApp(t, redis, { secret: OTHER_SECRET })
  const cookie = setCookie(await before.inject({ method: 'POST', url: '/login', payload: { user: 'ada' } }))!.value

  const { app: rotated } = await sessionApp(t, redis, { secret: [SECRET, OTHER_SECRET] })
  const kept = await rotated.inject({ url: '/read', headers: cookieHeader(cookie) })
  t.equal(kept.statusCode, 200)
  t.same(kept.json(), { user: 'ada' }, 'signed with the previous secret: still the same user')

  const { app: dropped } = await sessionApp(t, redis, { secret: SECRET })
  const fresh = await dropped.inject({ url: '/read', headers: cookieHeader(cookie) })
  t.equal(fresh.statusCode, 200)
  t.same(fresh.json(), {}, 'the old secret is gone: a fresh session')
})
