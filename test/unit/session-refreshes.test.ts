import t from 'tap'
import { Refreshes } from '../../lib/session/refreshes.js'

t.test('a refresh is joined only over the very text it was sent over', async (t) => {
  const refreshes = new Refreshes()
  const reply = Promise.resolve(1)
  refreshes.keep('a', 'text-1', reply)
  t.equal(refreshes.over('a', 'text-1'), reply)
  t.equal(refreshes.over('a', 'text-2'), undefined, 'another text loaded: its own refresh')
  t.equal(refreshes.over('b', 'text-1'), undefined, 'another session')
  const next = Promise.resolve(1)
  refreshes.keep('a', 'text-2', next)
  t.equal(refreshes.over('a', 'text-1'), undefined, 'replaced by the newer refresh')
  t.equal(refreshes.over('a', 'text-2'), next)
})

t.test('a failed refresh is forgotten once it settles', async (t) => {
  const refreshes = new Refreshes()
  let fail!: (err: Error) => void
  const reply = new Promise<unknown>((_resolve, reject) => { fail = reject })
  refreshes.keep('a', 'text', reply)
  t.equal(refreshes.over('a', 'text'), reply, 'joined while in flight')
  fail(new Error('down'))
  await reply.catch(() => {})
  t.equal(refreshes.over('a', 'text'), undefined, 'gone after the failure')
})

t.test('a store keeps the refreshes of a bounded number of sessions, forgetting the oldest', async (t) => {
  const refreshes = new Refreshes()
  for (let i = 0; i <= 1024; i++) refreshes.keep(`s${i}`, 'text', Promise.resolve(1))
  t.equal(refreshes.over('s0', 'text'), undefined, 'the oldest is forgotten')
  t.not(refreshes.over('s1', 'text'), undefined)
  t.not(refreshes.over('s1024', 'text'), undefined)
})

t.test('the texts kept are bounded too: large sessions push out the oldest, one past the bound is not kept', async (t) => {
  const refreshes = new Refreshes()
  const big = 'x'.repeat(400_000)
  refreshes.keep('a', `a${big}`, Promise.resolve(1))
  refreshes.keep('b', `b${big}`, Promise.resolve(1))
  refreshes.keep('c', `c${big}`, Promise.resolve(1))
  t.equal(refreshes.over('a', `a${big}`), undefined, 'the oldest made room')
  t.not(refreshes.over('b', `b${big}`), undefined)
  t.not(refreshes.over('c', `c${big}`), undefined)
  refreshes.keep('d', 'y'.repeat(2_000_000), Promise.resolve(1))
  t.equal(refreshes.over('d', 'y'.repeat(2_000_000)), undefined, 'too large to keep: its requests send their own')
  t.not(refreshes.over('c', `c${big}`), undefined, 'and nothing else was dropped for it')
})
