import t from 'tap'
import { REFRESH_FRACTION, cookieExpiry, planExpiry, roundUpToSecond, writeTtl } from '../../lib/session/expiry.js'

const NOW = 1_700_000_000_000
const DAY = 86_400_000

t.test('the cookie expiry: a Date, a date string, or none', async (t) => {
  t.equal(cookieExpiry({ expires: new Date(NOW) }), NOW)
  t.equal(cookieExpiry({ expires: new Date(NOW).toISOString() }), NOW)
  t.equal(cookieExpiry({ expires: null }), null)
  t.equal(cookieExpiry({}), null)
  t.equal(cookieExpiry(undefined), null)
  t.equal(cookieExpiry({ expires: new Date(Number.NaN) }), null)
})

t.test('a write lasts until the cookie expires, rounded up to whole seconds', async (t) => {
  t.equal(roundUpToSecond(1), 1000)
  t.equal(roundUpToSecond(1000), 1000)
  t.equal(roundUpToSecond(1001), 2000)
  t.equal(writeTtl(NOW, NOW + 5500, 99), 6000)
  t.equal(writeTtl(NOW, null, 1234), 1234, 'no cookie expiry: the ttl option')
  t.equal(writeTtl(NOW, NOW, 1234), 0, 'expired now: delete')
  t.equal(writeTtl(NOW, NOW - 1, 1234), 0, 'expired: delete')
})

t.test('an unchanged session with a maxAge cookie', async (t) => {
  const cookie = (expiresAt: number) => ({ expires: new Date(expiresAt), originalMaxAge: DAY })
  const redisExpiresAt = NOW + DAY - 1000
  t.same(planExpiry(NOW, redisExpiresAt, cookie(NOW + DAY), DAY), { kind: 'keep', cookieExpires: redisExpiresAt },
    'barely used: no command, and the cookie goes out with the expiry Redis has')
  const stale = NOW + DAY - DAY * REFRESH_FRACTION
  t.same(planExpiry(NOW, stale, cookie(NOW + DAY), DAY), { kind: 'refresh', ttlMs: DAY },
    'a tenth of the lifetime used: refresh to the full lifetime')
  t.same(planExpiry(NOW, stale + 1, cookie(NOW + DAY), DAY).kind, 'keep', 'just under a tenth: keep')
  t.same(planExpiry(NOW, NOW + DAY, cookie(NOW + DAY - 5), DAY), { kind: 'keep' }, 'cookie ends before Redis: leave both')
  t.same(planExpiry(NOW, null, cookie(NOW + DAY), DAY), { kind: 'keep' }, 'a key without expiry outlives any cookie')
  t.same(planExpiry(NOW, NOW + 5, cookie(NOW), DAY), { kind: 'delete' }, 'the cookie has expired: delete')
  t.same(planExpiry(NOW, NOW + 1000, { expires: new Date(NOW + 1500), originalMaxAge: 1500 }, DAY),
    { kind: 'refresh', ttlMs: 2000 }, 'the refresh TTL is rounded up to whole seconds')
})

t.test('an unchanged session with an absolute expiry does not roll', async (t) => {
  const expires = new Date(NOW + DAY)
  t.same(planExpiry(NOW, NOW + DAY + 400, { expires, originalMaxAge: null }, DAY), { kind: 'keep' })
  t.same(planExpiry(NOW, NOW + DAY - 400, { expires, originalMaxAge: null }, DAY), { kind: 'keep' },
    'not even when Redis seems to drop it first: the write that set the expiry gave Redis its TTL')
})

t.test('a maxAge cookie shortened by the handler shortens the Redis TTL', async (t) => {
  const cookie = { expires: new Date(NOW + 5000), originalMaxAge: DAY }
  t.same(planExpiry(NOW, NOW + DAY, cookie, DAY), { kind: 'refresh', ttlMs: 5000 })
  t.same(planExpiry(NOW, NOW + 5999, cookie, DAY), { kind: 'keep' }, 'less than the rounding of a write: as written')
})

t.test('an unchanged session with a browser-session cookie rolls its ttl', async (t) => {
  const ttl = 10 * DAY
  t.same(planExpiry(NOW, NOW + ttl - 1000, { expires: null }, ttl), { kind: 'keep' })
  t.same(planExpiry(NOW, NOW + ttl - ttl * REFRESH_FRACTION, { expires: null }, ttl), { kind: 'refresh', ttlMs: ttl })
  t.same(planExpiry(NOW, null, { expires: null }, ttl), { kind: 'keep' })
  t.same(planExpiry(NOW, NOW + 1000, { expires: null }, 0), { kind: 'delete' }, 'a ttl function that answered <= 0: not kept')
})

t.test('whatever the timing, the cookie never outlives Redis and refreshes stay rare', async (t) => {
  const maxAge = 60_000
  let redisExpiresAt = NOW + maxAge
  let refreshes = 0
  for (let now = NOW; now < NOW + 10 * maxAge; now += 250) {
    const plan = planExpiry(now, redisExpiresAt, { expires: new Date(now + maxAge), originalMaxAge: maxAge }, DAY)
    let sent = now + maxAge
    if (plan.kind === 'refresh') {
      refreshes++
      redisExpiresAt = now + plan.ttlMs
    } else if (plan.kind === 'keep' && plan.cookieExpires !== undefined) {
      sent = plan.cookieExpires
    }
    if (sent > redisExpiresAt) t.fail(`cookie outlives Redis at +${now - NOW} ms`)
    if (redisExpiresAt - now < maxAge * (1 - REFRESH_FRACTION)) t.fail(`idle limit shrank below 90% at +${now - NOW} ms`)
  }
  t.ok(refreshes <= 10 / REFRESH_FRACTION + 1, `${refreshes} refreshes over ten lifetimes of 4 requests a second`)
})
