import t from 'tap'
import { NearCache } from '../../lib/cache/near/near-cache.js'

function deferred<T> (): { promise: Promise<T>, resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((_resolve) => { resolve = _resolve })
  return { promise, resolve }
}

const now = (): number => performance.now()

t.test('holds at most maxEntries, dropping the least recently used', async (t) => {
  const near = new NearCache({ maxEntries: 3, ttl: null })
  for (const key of ['a', 'b', 'c']) await near.load(key, async () => [key, -1])
  t.equal(near.get('a', now()), 'a', 'a is now the most recent')
  await near.load('d', async () => ['d', -1])
  t.equal(near.size, 3)
  t.equal(near.get('b', now()), undefined, 'b was the least recently used')
  for (let i = 0; i < 10_000; i++) await near.load(`k${i}`, async () => ['v', -1])
  t.equal(near.size, 3, 'no growth under churn')
})

t.test('a reply outdated while on the wire is not stored', async (t) => {
  const near = new NearCache({ maxEntries: 10, ttl: null })
  const reply = deferred<readonly [string | null, number]>()
  const loading = near.load('k', () => reply.promise)
  near.invalidate('k')
  reply.resolve(['old', -1])
  t.equal(await loading, 'old', 'the caller still gets what Redis answered')
  t.equal(near.get('k', now()), undefined, 'but it is not kept')

  const second = deferred<readonly [string | null, number]>()
  const again = near.load('k', () => second.promise)
  near.clear()
  second.resolve(['old', -1])
  await again
  t.equal(near.get('k', now()), undefined, 'a flush outdates replies on the wire too')

  await near.load('k', async () => ['new', -1])
  t.equal(near.get('k', now()), 'new', 'a load started after the invalidation is kept')
})

t.test('concurrent readers share one load; a reader after an invalidation does not join an outdated one', async (t) => {
  const near = new NearCache({ maxEntries: 10, ttl: null })
  let fetches = 0
  const first = deferred<readonly [string | null, number]>()
  const a = near.load('k', () => { fetches++; return first.promise })
  const b = near.load('k', () => { fetches++; return first.promise })
  t.equal(fetches, 1)
  near.invalidate('k')
  const c = near.load('k', async () => { fetches++; return ['fresh', -1] })
  t.equal(fetches, 2, 'a new load after the invalidation')
  first.resolve(['stale', -1])
  t.same(await Promise.all([a, b, c]), ['stale', 'stale', 'fresh'])
  t.equal(near.get('k', now()), 'fresh')
})

t.test('a copy dies with its Redis TTL or the near ttl, whichever is first', async (t) => {
  const near = new NearCache({ maxEntries: 10, ttl: 1000 })
  // A copy's life starts when its load is sent, somewhere between these two readings (a loaded machine spreads them).
  const before = now()
  await near.load('short', async () => ['v', 50])
  await near.load('capped', async () => ['v', -1])
  const after = now()
  await near.load('missing', async () => [null, -2])
  await near.load('vanished', async () => ['v', -2])
  t.equal(near.get('short', before + 49), 'v')
  t.equal(near.get('short', after + 51), undefined, 'the Redis TTL ends it')
  t.equal(near.get('capped', before + 999), 'v')
  t.equal(near.get('capped', after + 1001), undefined, 'the near ttl ends it')
  t.equal(near.get('missing', after), undefined, 'misses are not kept')
  t.equal(near.get('vanished', after), undefined, 'a key gone before PTTL ran is not kept')
})
