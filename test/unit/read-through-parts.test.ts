import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { runFactory } from '../../lib/cache/read-through/factory.js'
import { InternalKeys } from '../../lib/cache/internal-keys.js'
import { DEFAULT_HARD_TIMEOUT_MS, resolveCacheOptions } from '../../lib/cache/options.js'
import { resolvePlan } from '../../lib/cache/options.js'
import { ManyBatch, NOT_RETURNED } from '../../lib/cache/read-through/many.js'
import { UncacheableKeys, uncacheableMs } from '../../lib/cache/read-through/uncacheable.js'
import { resolveTags } from '../../lib/cache/tags.js'

t.test('tags: arrays of non-empty strings, duplicates dropped; anything else is FST_CODEX_INVALID_OPTIONS, saying what tags must be', async t => {
  t.equal(resolveTags(undefined), undefined)
  t.equal(resolveTags([]), undefined)
  t.same(resolveTags(['a', 'b', 'a']), ['a', 'b'])
  for (const bad of ['a', [''], [1], [null], {}, new Set(['a'])]) {
    t.throws(() => resolveTags(bad), { code: 'FST_CODEX_INVALID_OPTIONS', message: /tags must be an array of non-empty strings/ }, JSON.stringify(bad))
  }
})

t.test('bookkeeping keys live under the namespace, apart from the values', async t => {
  const keys = new InternalKeys('app')
  t.equal(keys.stale('app:1:k'), 'app:~codex:stale:app:1:k')
  t.equal(keys.computeLock('app:1:k'), 'app:~codex:compute:app:1:k')
  t.equal(keys.tag('t'), 'app:~codex:tag:t')
  t.equal(keys.tagEpoch('t'), 'app:~codex:tagv:t')
  t.equal(keys.channel, 'app:~codex:landed')
})

t.test('runFactory: sync and async factories, setTtl, skip, uncacheable, tag, errors', async t => {
  t.same(await runFactory(() => 1, undefined, DEFAULT_HARD_TIMEOUT_MS), { value: 1, skipped: false, uncacheable: false, ttl: undefined })
  t.same(await runFactory(async (ctx) => { ctx.setTtl(1.5); ctx.skip(); return 'x' }, undefined, DEFAULT_HARD_TIMEOUT_MS), { value: 'x', skipped: true, uncacheable: false, ttl: 1500 })
  t.same((await runFactory((ctx) => { ctx.setTtl(null); return ctx.stale }, 'old', DEFAULT_HARD_TIMEOUT_MS)), { value: 'old', skipped: false, uncacheable: false, ttl: null })
  t.same(await runFactory((ctx) => { ctx.uncacheable(); ctx.tag('a'); ctx.tag('b', 'c'); return 2 }, undefined, DEFAULT_HARD_TIMEOUT_MS), { value: 2, skipped: false, uncacheable: true, tags: ['a', 'b', 'c'], ttl: undefined })
  // A failure is returned (with what the factory said before it), not thrown.
  const sync = await runFactory(() => { throw new Error('sync') }, undefined, DEFAULT_HARD_TIMEOUT_MS)
  t.match(sync, { value: undefined, uncacheable: false, failure: { error: { message: 'sync' } } })
  t.match((await runFactory((ctx) => { ctx.setTtl(Number.NaN); return 1 }, undefined, DEFAULT_HARD_TIMEOUT_MS)).failure, { error: { code: 'FST_CODEX_INVALID_TTL' } })
  const said = await runFactory(async (ctx) => { ctx.uncacheable(); throw new Error('after uncacheable') }, undefined, DEFAULT_HARD_TIMEOUT_MS)
  t.match(said, { uncacheable: true, failure: { error: { message: 'after uncacheable' } } }, 'uncacheable() before the failure still counts')
  t.equal((await runFactory(() => 1, undefined, DEFAULT_HARD_TIMEOUT_MS)).failure, undefined)
})

t.test('runFactory: hardTimeout aborts the signal and fails with FST_CODEX_FACTORY_TIMEOUT', async t => {
  let signal: AbortSignal | undefined
  const started = performance.now()
  const run = await runFactory(async (ctx) => { signal = ctx.signal; await sleep(2000); return 1 }, undefined, 50)
  t.match(run.failure, { error: { code: 'FST_CODEX_FACTORY_TIMEOUT', statusCode: 504 } })
  t.ok(performance.now() - started < 1500)
  t.equal(signal?.aborted, true)
  t.equal((signal?.reason as { code?: string }).code, 'FST_CODEX_FACTORY_TIMEOUT', 'the signal says why')
  t.same(await runFactory(async () => { await sleep(10); return 2 }, undefined, 1000), { value: 2, skipped: false, uncacheable: false, ttl: undefined }, 'in time')
})

t.test('runFactory: a computation abandoned before it began (its controller aborted) never calls the factory', async t => {
  const controller = new AbortController()
  const reason = Object.assign(new Error('abandoned'), { code: 'FST_CODEX_FACTORY_TIMEOUT' })
  controller.abort(reason)
  let called = false
  const run = await runFactory(() => { called = true; return 1 }, undefined, 1000, controller)
  t.equal(run.failure?.error, reason, 'it fails with the abort\'s reason')
  t.equal(run.uncacheable, false)
  t.notOk(called, 'the factory never ran')
})

t.test('getOrSet options: grace and ttl in seconds, timeouts in ms, lockTimeout 10000 by default; bad values coded', async t => {
  const d = { ttl: 1000, hardTimeout: 30_000 }
  const plan = resolvePlan(undefined, { ttl: 300_000, hardTimeout: 30_000 })
  t.match(plan, { ttl: 300_000, graceMs: 0, timeout: undefined, hardTimeout: 30_000, lockTimeout: 10_000, tags: undefined })
  t.match(resolvePlan({ ttl: 1.5, grace: 2.25, timeout: 0, hardTimeout: 250, lockTimeout: 40, tags: ['a'] }, d),
    { ttl: 1500, graceMs: 2250, timeout: 0, hardTimeout: 250, lockTimeout: 40, tags: ['a'] })
  t.equal(resolvePlan({ ttl: null }, d).ttl, null)
  for (const grace of [-1, Number.NaN, Infinity, '5']) {
    t.throws(() => resolvePlan({ grace: grace as number }, d), { code: 'FST_CODEX_INVALID_TTL' }, `grace ${String(grace)}`)
  }
  t.throws(() => resolvePlan({ ttl: Number.NaN }, d), { code: 'FST_CODEX_INVALID_TTL' })
  for (const name of ['timeout', 'hardTimeout', 'lockTimeout'] as const) {
    for (const bad of [-1, Number.NaN, Infinity, '100', 2 ** 31]) {
      t.throws(() => resolvePlan({ [name]: bad as number }, d), { code: 'FST_CODEX_INVALID_OPTIONS' }, `${name} ${String(bad)}`)
    }
  }
})

t.test('hardTimeout has a finite default (30 s at most), a cache option, that a call can override', async t => {
  const defaults = resolveCacheOptions({})
  t.equal(defaults.hardTimeout, DEFAULT_HARD_TIMEOUT_MS)
  t.ok(Number.isFinite(DEFAULT_HARD_TIMEOUT_MS) && DEFAULT_HARD_TIMEOUT_MS <= 30_000)
  t.equal(resolvePlan(undefined, defaults).hardTimeout, DEFAULT_HARD_TIMEOUT_MS, 'a call without one gets the default')
  t.equal(resolvePlan(undefined, resolveCacheOptions({ hardTimeout: 250 })).hardTimeout, 250, 'the cache option')
  t.equal(resolvePlan({ hardTimeout: 40 }, resolveCacheOptions({ hardTimeout: 250 })).hardTimeout, 40, 'the call wins')
  for (const bad of [0, -1, Number.NaN, Infinity, '100', null, 2 ** 31]) {
    t.throws(() => resolveCacheOptions({ hardTimeout: bad as number }), { code: 'FST_CODEX_INVALID_OPTIONS' }, `hardTimeout ${String(bad)}`)
  }
})

t.test('uncacheable marks: min(ttl, 10 s), forgotten once expired, cleared by a stored value', async t => {
  t.equal(uncacheableMs(2000), 2000)
  t.equal(uncacheableMs(60_000), 10_000)
  t.equal(uncacheableMs(null), 10_000)
  t.equal(uncacheableMs(0), 0)
  const marks = new UncacheableKeys()
  marks.mark('a', 10_000)
  marks.mark('b', 0)
  t.ok(marks.has('a'))
  t.notOk(marks.has('b'), 'a zero mark is no mark')
  marks.clear('a')
  t.notOk(marks.has('a'))
  marks.mark('c', 1)
  await sleep(5)
  t.notOk(marks.has('c'), 'expired')
})

t.test('ManyBatch: keys whose turn comes together make one factory call; left-out keys are marked uncacheable', async t => {
  const calls: string[][] = []
  const batch = new ManyBatch<number>((keys, ctx) => {
    calls.push(keys)
    ctx.setTtl(5)
    ctx.tag('t')
    return { a: 1 }
  })
  const seen: string[] = []
  const ctxFor = (key: string) => ({
    signal: new AbortController().signal,
    stale: undefined,
    setTtl: () => { seen.push(`${key}:ttl`) },
    skip: () => {},
    uncacheable: () => { seen.push(`${key}:uncacheable`) },
    tag: () => { seen.push(`${key}:tag`) }
  })
  const [a, b] = await Promise.all([batch.forKey('a')(ctxFor('a')), batch.forKey('b')(ctxFor('b'))])
  t.same(calls, [['a', 'b']])
  t.equal(a, 1)
  t.equal(b, NOT_RETURNED)
  t.same(seen.sort(), ['a:tag', 'a:ttl', 'b:tag', 'b:ttl', 'b:uncacheable'])
  const failing = new ManyBatch<number>(() => { throw new Error('down') })
  await t.rejects(failing.forKey('x')(ctxFor('x')), { message: 'down' })
})
