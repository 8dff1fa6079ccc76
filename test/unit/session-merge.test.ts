import t from 'tap'
import { truncateIp } from '../../lib/session/device.js'
import { mergeFields } from '../../lib/session/merge.js'

t.test('mergeFields: per field against what this request loaded; the cookie is left to the save', async (t) => {
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

t.test('truncateIp: IPv4 /24, IPv6 /48, IPv4-mapped IPv6 as IPv4, anything else nothing', async (t) => {
  t.equal(truncateIp('203.0.113.77'), '203.0.113.0')
  t.equal(truncateIp('::ffff:198.51.100.7'), '198.51.100.0')
  t.equal(truncateIp('2001:db8:abcd:12::1'), '2001:db8:abcd::')
  t.equal(truncateIp('2001:0db8::1'), '2001:db8::')
  t.equal(truncateIp('::1'), '::')
  t.equal(truncateIp('fe80::1%eth0'), 'fe80::')
  t.equal(truncateIp('not an ip'), undefined)
})
