import t from 'tap'
import type { Serializer } from '../../lib/serializer.js'
import type { SessionData } from '../../lib/session/payload.js'
import { jsonSerializer } from '../../lib/serializer.js'
import { decodePayload as decodeMaybeAsync, draftPayload, encodePayload, finishPayload, replaceExpires, storedStamps, userIdOf, restoredCookie } from '../../lib/session/payload.js'
import { CARRIED, FAILURES, STATES, SessionState, carryState, inTurn, sealFailure, stateOf } from '../../lib/session/state.js'

const json = jsonSerializer

// A synchronous serializer's payload: never a promise.
function decodePayload (serializer: Serializer, text: string): SessionData {
  const decoded = decodeMaybeAsync(serializer, text)
  if (decoded instanceof Promise) throw new Error('a promise from a synchronous parse')
  return decoded
}
const cookie = { expires: new Date(0), originalMaxAge: 1000, sameSite: 'lax', secure: true, path: '/', httpOnly: true, domain: null, partitioned: undefined }

t.test('the payload is the cookie and the fields, in strict JSON, without the marker', async (t) => {
  const session = { cookie, user: 'ada', cart: [1, 2], [CARRIED]: new SessionState('id', '', null, null, undefined) }
  const text = encodePayload(json, session, '2030-01-01T00:00:00.000Z')
  t.same(JSON.parse(text), {
    cookie: { expires: '2030-01-01T00:00:00.000Z', originalMaxAge: 1000, sameSite: 'lax', secure: true, path: '/', httpOnly: true, domain: null },
    user: 'ada',
    cart: [1, 2]
  })
  t.equal(encodePayload(json, { ...session }, '2030-01-01T00:00:00.000Z'), text, 'deterministic')
})

t.test('a field that is not strict JSON is refused with its path', async (t) => {
  t.throws(() => encodePayload(json, { cookie, when: new Date() }, null), { code: 'FST_CODEX_NOT_SERIALIZABLE', message: /value\.when/ })
  t.throws(() => encodePayload(json, { cookie, n: 1n }, null), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
})

t.test('a field named __proto__ is refused when written, and on load', async (t) => {
  const session: Record<string, unknown> = { cookie }
  Object.defineProperty(session, '__proto__', { value: { admin: true }, enumerable: true })
  t.throws(() => encodePayload(json, session, null), { code: 'FST_CODEX_NOT_SERIALIZABLE', message: /__proto__/ })
  t.throws(() => decodePayload(json, '{"cookie":{"expires":null},"__proto__":{"admin":true}}'), { code: 'FST_CODEX_CORRUPT_VALUE' })
  t.equal(({} as { admin?: unknown }).admin, undefined)
})

t.test('draftPayload compares without the strict walk; finishPayload still refuses what is not strict JSON', async (t) => {
  const session = { cookie, user: 'ada', when: '2030-01-01T00:00:00.000Z' }
  const text = encodePayload(json, session, null, 5)
  t.equal(draftPayload(json, session, null, 5).text, text, 'the same text')
  const changed = draftPayload(json, { ...session, user: 'bob' }, null, 5)
  t.not(changed.text, text, 'a change')
  t.equal(finishPayload(json, changed), encodePayload(json, { ...session, user: 'bob' }, null, 5), 'written as encodePayload would')
  const cyclic: Record<string, unknown> = { cookie }
  cyclic.self = cyclic
  const draft = draftPayload(json, cyclic, null, 5)
  t.equal(draft.text, undefined, 'a cycle is no match, never a throw')
  t.throws(() => finishPayload(json, draft), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
  const dated = draftPayload(json, { ...session, when: new Date() }, null, 5)
  t.throws(() => finishPayload(json, dated), { code: 'FST_CODEX_NOT_SERIALIZABLE', message: /value\.when/ })
  const lax = { stringify: JSON.stringify, parse: JSON.parse }
  const custom = draftPayload(lax, session, null, 5)
  t.ok(custom.strict, 'a custom serializer encodes at once')
  t.equal(finishPayload(lax, custom), custom.text)
})

t.test('decode refuses what @fastify/session cannot restore safely', async (t) => {
  const bad = ['{', '1', 'null', '[]', '"s"', '{"cookie":[]}', '{"cookie":"x"}', '{"cookie":{"expires":5}}', '{"cookie":{"expires":"never"}}',
    '{"cookie":{"originalMaxAge":"x"}}', '{"cookie":{"originalMaxAge":1e300}}', '{"cookie":{"maxAge":true}}',
    '{"cookie":{"expires":"+010000-01-01T00:00:00.000Z"}}', '{"cookie":{"sameSite":"bogus"}}', '{"cookie":{"sameSite":{}}}',
    '{"cookie":{"secure":1}}', '{"cookie":{"path":"/\\u0000"}}', '{"cookie":{"path":[]}}', '{"cookie":{"domain":"a;b"}}',
    '{"cookie":{"httpOnly":"no"}}', '{"cookie":{"partitioned":"yes"}}', '{"save":1}', '{"isModified":null}', '{"isSaved":0}']
  for (const text of bad) t.throws(() => decodePayload(json, text), { code: 'FST_CODEX_CORRUPT_VALUE' }, text)
  const good = ['{}', '{"cookie":{}}', '{"cookie":{"expires":null,"originalMaxAge":null,"sameSite":null,"secure":null,"path":null,"httpOnly":null,"domain":null}}',
    '{"cookie":{"originalMaxAge":-1,"sameSite":"STRICT","secure":"auto","path":"/a b","domain":".example.com","partitioned":false}}',
    '{"cookie":{"sameSite":true,"domain":""},"saved":1,"id":2}',
    '{"options":{"theme":"dark"},"touch":1,"get":2,"set":3,"regenerate":4,"destroy":5,"reload":6,"sessionId":"x"}']
  for (const text of good) t.doesNotThrow(() => decodePayload(json, text), text)
  const lax = { stringify: JSON.stringify, parse: JSON.parse }
  t.throws(() => decodePayload(lax, '{"__proto__":{"admin":true}}'), { code: 'FST_CODEX_CORRUPT_VALUE' },
    'a top-level __proto__ even from a serializer that lets it through')
  const throwing = { stringify: JSON.stringify, parse () { throw new Error('nope') } }
  t.throws(() => decodePayload(throwing, '{}'), { code: 'FST_CODEX_CORRUPT_VALUE' }, "a custom serializer's failure")
  const data = decodePayload(json, '{"cookie":{"expires":"2030-01-01T00:00:00.000Z"},"a":1}')
  t.equal(storedStamps(data).expires, '2030-01-01T00:00:00.000Z')
  t.equal(storedStamps(decodePayload(json, '{"a":1}')).expires, null)
})

t.test('user ids: non-empty strings and finite numbers', async (t) => {
  t.equal(userIdOf('ada'), 'ada')
  t.equal(userIdOf(42), '42')
  for (const none of ['', Number.NaN, null, undefined, {}, ['a']]) t.equal(userIdOf(none), undefined)
})

t.test('the carried state survives a for…in copy yet stays out of JSON; a later state wins', async (t) => {
  const state = new SessionState('id', 'text', null, null, undefined)
  const loaded = { a: 1 }
  carryState(loaded, state)
  const copy: Record<string, unknown> = {}
  for (const key in loaded) copy[key] = (loaded as Record<string, unknown>)[key]
  t.equal(stateOf(copy, 'id'), state, 'carried')
  t.equal(JSON.stringify(copy), '{"a":1}')
  const written = new SessionState('id', 'written', null, null, undefined)
  STATES.set(copy, written)
  t.equal(stateOf(copy, 'id'), written, 'the state of the last write, not the one loaded')
  t.same(Object.keys(copy), ['a', CARRIED], 'no key added by the store after the load')
})

t.test('an async parse is awaited and checked; its rejection is a corrupt value', async (t) => {
  const async = { stringify: JSON.stringify, parse: async (text: string) => JSON.parse(text) as unknown }
  const decoded = decodeMaybeAsync(async, '{"a":1}')
  t.ok(decoded instanceof Promise)
  t.same(await decoded, { a: 1 })
  await t.rejects(Promise.resolve(decodeMaybeAsync(async, '[1]')), { code: 'FST_CODEX_CORRUPT_VALUE' }, 'checked like a sync one')
  const failing = { stringify: JSON.stringify, parse: async () => { throw new Error('nope') } }
  await t.rejects(Promise.resolve(decodeMaybeAsync(failing, '{}')), { code: 'FST_CODEX_CORRUPT_VALUE' })
})

t.test('inTurn: the saves of one session run one after the other, a failure does not stop the next', async (t) => {
  const session = {}
  const order: string[] = []
  let release: () => void = () => {}
  const first = inTurn(session, async () => {
    order.push('first start')
    await new Promise<void>((resolve) => { release = resolve })
    order.push('first end')
    throw new Error('first failed')
  })
  const second = inTurn(session, async () => { order.push('second') })
  const other = inTurn({}, async () => { order.push('another session') })
  await other
  release()
  await t.rejects(first, { message: 'first failed' })
  await second
  t.same(order, ['first start', 'another session', 'first end', 'second'])
})

t.test('states and failures remembered per session object', async (t) => {
  const session = {}
  t.equal(stateOf(session, 'id'), undefined)
  const state = new SessionState('id', 'x', null, 1, 'u')
  STATES.set(session, state)
  t.equal(stateOf(session, 'id'), state)
  t.equal(stateOf({}, 'id'), undefined, 'per object')
  const failure = { error: new Error('down'), sealed: false, created: undefined }
  FAILURES.set(session, failure)
  t.equal(FAILURES.get(session), failure)
  t.equal(FAILURES.get({}), undefined)
  sealFailure(session)
  t.equal(FAILURES.get(session)?.sealed, true, 'sealed once the reply is an error')
  FAILURES.delete(session)
  t.equal(FAILURES.get(session), undefined, 'a save that succeeded clears it')
  sealFailure({})
  sealFailure(null)
  t.equal(stateOf({ [CARRIED]: { text: 'forged' } }, 'id'), undefined, 'a field set by user code is not a state')
})

t.test('replaceExpires swaps the stored expiry (and the key\'s) without serializing the session again', async t => {
  const session = { cookie: { originalMaxAge: null }, user: 'ada' }
  const before = encodePayload(json, session, '2026-01-01T00:00:00.000Z')
  const after = encodePayload(json, session, '2026-02-01T00:00:00.000Z')
  t.equal(replaceExpires(before, '2026-01-01T00:00:00.000Z', undefined, '2026-02-01T00:00:00.000Z', undefined), after)
  t.equal(replaceExpires(encodePayload(json, session, null), null, undefined, '2026-02-01T00:00:00.000Z', undefined), after)
  t.equal(replaceExpires(before, '2026-01-01T00:00:00.000Z', undefined, '2026-01-01T00:00:00.000Z', undefined), before, 'same expiry: same text')
  t.equal(replaceExpires('X' + before, '2026-01-01T00:00:00.000Z', undefined, null, undefined), undefined, 'another layout: no splice')
  const withStore = encodePayload(json, session, '2026-01-01T00:00:00.000Z', 1_000)
  t.match(withStore, /^\{"cookie":\{"expires":"2026-01-01T00:00:00.000Z","storeExpires":1000,/, 'storeExpires follows expires')
  t.equal(replaceExpires(withStore, '2026-01-01T00:00:00.000Z', 1_000, '2026-02-01T00:00:00.000Z', 2_000),
    encodePayload(json, session, '2026-02-01T00:00:00.000Z', 2_000), 'both moved')
  t.equal(replaceExpires(before, '2026-01-01T00:00:00.000Z', undefined, '2026-01-01T00:00:00.000Z', 3_000),
    encodePayload(json, session, '2026-01-01T00:00:00.000Z', 3_000), 'an older payload gains storeExpires')
  t.equal(replaceExpires(withStore, '2026-01-01T00:00:00.000Z', 100, null, 5), undefined, 'a prefix of the stored number is no match')
})

t.test('a state carried into a Session with another id is not that session’s state', async (t) => {
  const state = new SessionState('old-id', 'text', null, null, undefined)
  const loaded = {}
  carryState(loaded, state)
  const copy = { ...loaded }
  t.equal(stateOf(copy, 'new-id'), undefined, 'regenerate(keys) copies the marker, not the identity')
  t.equal(stateOf(copy, 'old-id'), state)
})

t.test('restoredCookie: what @fastify/session restores a cookie from, without storeExpires, absent fields left absent', async (t) => {
  const ours = { expires: null, storeExpires: 1000, originalMaxAge: 60_000, sameSite: 'lax', secure: true, path: '/', httpOnly: true, domain: null }
  const restored = restoredCookie(ours)
  t.same(Object.keys(restored), ['expires', 'originalMaxAge', 'sameSite', 'secure', 'path', 'httpOnly', 'domain'], 'the fields the Cookie reads, storeExpires gone')
  const { storeExpires, ...asWritten } = ours
  t.ok(storeExpires > 0)
  t.same(restored, asWritten, 'every other field as stored')
  t.same(restoredCookie({ ...ours, partitioned: true }).partitioned, true, 'partitioned is kept')
  t.same(restoredCookie({ ...ours, maxAge: 5 }).maxAge, 5, 'so is maxAge, which the Cookie reads too')
  // Another writer's layout: a missing path must not be restored as undefined (it would override the plugin's option).
  const partial = restoredCookie({ originalMaxAge: null, expires: null, secure: false, extra: 'x' })
  t.same(partial, { expires: null, originalMaxAge: null, secure: false })
  t.notOk('path' in partial, 'an absent field stays absent')
})
