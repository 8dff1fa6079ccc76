import t from 'tap'
import { truncateIp } from '../../lib/session/device.js'
import { mergeFields, mergeLifetime } from '../../lib/session/merge.js'

t.test('mergeFields: per field against what this request loaded; the cookie is left to mergeLifetime', async (t) => {
  const base = { cookie: { expires: null }, a: 1, b: 1, c: 1, d: 1, e: 1, both: 0, gone: 1, same: [1] }
  const session: Record<string, unknown> = { cookie: { expires: 'mine' }, a: 1, b: 2, c: 1, e: 1, both: 'mine', same: [1], mine: true }
  delete session.d
  const theirs = { cookie: { expires: 'theirs' }, a: 2, b: 1, d: 5, e: 7, both: 'theirs', same: [1], theirs: true }
  mergeFields(base, session, theirs)
  t.same(session, {
    cookie: { expires: 'mine' },
    a: 2, // only theirs changed it
    b: 2, // only mine
    // c deleted by them only
    d: 5, // deleted here, changed there: the change stays
    e: 7,
    both: 'mine', // both changed: this (later) save's
    same: [1],
    mine: true,
    theirs: true
    // gone: deleted by them (and absent here)
  })
})

t.test('mergeLifetime: the other save\'s maxAge or absolute expiry is taken when only it changed the lifetime', async (t) => {
  const hour = 3_600_000
  const at = (ms: number): string => new Date(ms).toISOString()
  const base = { cookie: { originalMaxAge: hour, expires: at(1e12) } }
  const remembered = { cookie: { originalMaxAge: 30 * 24 * hour, expires: at(2e12) } }
  const rolled = { cookie: { originalMaxAge: hour, expires: at(1.5e12) } }

  const session = { cookie: { originalMaxAge: hour as unknown, expires: new Date(1.2e12) as unknown } }
  t.equal(mergeLifetime(base, session, remembered), true, 'only theirs changed the maxAge')
  t.same(session.cookie, { originalMaxAge: 30 * 24 * hour, expires: new Date(2e12) }, 'taken as they stored it')

  const rolling = { cookie: { originalMaxAge: hour as unknown, expires: new Date(1.2e12) as unknown } }
  t.equal(mergeLifetime(base, rolling, rolled), false, 'a rolled expiry under the same maxAge is no change')
  t.same(rolling.cookie.expires, new Date(1.2e12))

  const mine = { cookie: { originalMaxAge: 7 * 24 * hour as unknown, expires: new Date(1.7e12) as unknown } }
  t.equal(mergeLifetime(base, mine, remembered), false, 'changed by both: this (later) save keeps its own')
  t.equal(mine.cookie.originalMaxAge, 7 * 24 * hour)

  const absolute = { cookie: { originalMaxAge: null, expires: null } }
  const browser = { cookie: { originalMaxAge: null as unknown, expires: null as unknown } }
  t.equal(mergeLifetime(absolute, browser, { cookie: { originalMaxAge: null, expires: at(3e12) } }), true, 'an absolute expiry set there')
  t.same(browser.cookie, { originalMaxAge: null, expires: new Date(3e12) })
  const back = { cookie: { originalMaxAge: null as unknown, expires: new Date(3e12) as unknown } }
  t.equal(mergeLifetime({ cookie: { originalMaxAge: null, expires: at(3e12) } }, back, absolute), true, 'and one taken away there')
  t.same(back.cookie, { originalMaxAge: null, expires: null })
  t.equal(mergeLifetime(base, {}, remembered), false, 'a session without a cookie is left alone')
})

t.test('truncateIp: IPv4 /24, IPv6 /48, IPv4-mapped IPv6 as IPv4, anything else nothing', async (t) => {
  t.equal(truncateIp('203.0.113.77'), '203.0.113.0')
  t.equal(truncateIp('::ffff:198.51.100.7'), '198.51.100.0')
  t.equal(truncateIp('2001:db8:abcd:12::1'), '2001:db8:abcd::')
  t.equal(truncateIp('2001:0db8::1'), '2001:db8::')
  t.equal(truncateIp('::1'), '::')
  t.equal(truncateIp('fe80::1%eth0'), 'fe80::')
  t.equal(truncateIp('not an ip'), undefined)
})
