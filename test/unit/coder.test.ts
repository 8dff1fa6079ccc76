import t, { type Test } from 'tap'
import { CacheCoder } from '../../lib/coder.js'
import { jsonSerializer } from '../../lib/serializer.js'

// Every dumped value must survive the strict serializer, as it would on its way through Redis.
function throughJson (value: unknown): unknown {
  return jsonSerializer.parse(jsonSerializer.stringify(value))
}

// A TypeError whose message names the CacheCoder function that refused the input.
function rejects (t: Test, fn: () => unknown, why: string): void {
  let error: unknown
  try {
    fn()
  } catch (err) {
    error = err
  }
  t.ok(error instanceof TypeError, `${why} throws a TypeError`)
  t.match((error as Error | undefined)?.message, /^CacheCoder\.(dump|load)\w+ expects /, `${why} says what was expected`)
}

t.test('CacheCoder is frozen', async (t) => {
  t.ok(Object.isFrozen(CacheCoder))
})

t.test('dates round-trip as ISO strings', async (t) => {
  const date = new Date('2024-03-01T12:34:56.789Z')
  const raw = CacheCoder.dumpDate(date)
  t.equal(raw, '2024-03-01T12:34:56.789Z')
  const back = CacheCoder.loadDate(throughJson(raw))
  t.ok(back instanceof Date)
  t.equal(back.getTime(), date.getTime())
  t.equal(CacheCoder.loadDate('2024-03-01').toISOString(), '2024-03-01T00:00:00.000Z', 'a date alone is midnight UTC')
  t.equal(CacheCoder.loadDate('2024-03-01T14:00:00+02:00').toISOString(), '2024-03-01T12:00:00.000Z', 'offsets apply')
  t.equal(CacheCoder.loadDate('2024-02-29T00:00:00Z').getUTCDate(), 29, 'leap day in a leap year')
  t.equal(CacheCoder.loadDate('+275760-09-13T00:00:00.000Z').getTime(), 8.64e15, 'extended years')
})

t.test('loadDate and dumpDate reject bad input with a TypeError', async (t) => {
  for (const raw of ['', 'yesterday', 'March 7, 2024', '2024-03-01T12:00:00', '2024-02-30', '2023-02-29',
    '2024-13-01', '2024-00-10', '2024-03-01T25:00:00Z', '1709296496789', ' 2024-03-01']) {
    rejects(t, () => CacheCoder.loadDate(raw), `loadDate(${JSON.stringify(raw)})`)
  }
  for (const raw of [null, undefined, 1709296496789, new Date(), {}]) rejects(t, () => CacheCoder.loadDate(raw), `loadDate(${String(raw)})`)
  rejects(t, () => CacheCoder.dumpDate(new Date(NaN)), 'dumpDate(Invalid Date)')
  rejects(t, () => CacheCoder.dumpDate('2024-03-01' as unknown as Date), 'dumpDate(string)')
})

t.test('bigints round-trip as decimal strings', async (t) => {
  for (const value of [0n, 1n, -1n, 2n ** 64n + 1n, -(10n ** 30n)]) {
    const raw = CacheCoder.dumpBigInt(value)
    t.equal(raw, value.toString())
    t.equal(CacheCoder.loadBigInt(throughJson(raw)), value)
  }
  for (const raw of ['', ' 1', '1.5', '0x1f', '1e3', '+1', '12n', 'abc']) rejects(t, () => CacheCoder.loadBigInt(raw), `loadBigInt(${JSON.stringify(raw)})`)
  for (const raw of [1, null, undefined]) rejects(t, () => CacheCoder.loadBigInt(raw), `loadBigInt(${String(raw)})`)
  rejects(t, () => CacheCoder.dumpBigInt(1 as unknown as bigint), 'dumpBigInt(number)')
})

t.test('sets round-trip as arrays, keeping order', async (t) => {
  const set = new Set(['b', 'a', 3])
  const raw = CacheCoder.dumpSet(set)
  t.same(raw, ['b', 'a', 3])
  const back = CacheCoder.loadSet<string | number>(throughJson(raw))
  t.ok(back instanceof Set)
  t.same([...back], ['b', 'a', 3])
  rejects(t, () => CacheCoder.loadSet({ a: 1 }), 'loadSet(object)')
  rejects(t, () => CacheCoder.loadSet('abc'), 'loadSet(string)')
  rejects(t, () => CacheCoder.dumpSet([1] as unknown as Set<number>), 'dumpSet(array)')
})

t.test('maps round-trip as arrays of [key, value] pairs, keeping non-string keys', async (t) => {
  const map = new Map<unknown, unknown>([['a', 1], [2, { b: [true] }], [null, 'n']])
  const raw = CacheCoder.dumpMap(map)
  t.same(raw, [['a', 1], [2, { b: [true] }], [null, 'n']])
  const back = CacheCoder.loadMap(throughJson(raw))
  t.ok(back instanceof Map)
  t.same(back.get(2), { b: [true] }, 'a numeric key stays a number')
  t.same([...back], [...map])
  rejects(t, () => CacheCoder.loadMap({ a: 1 }), 'loadMap(object)')
  rejects(t, () => CacheCoder.loadMap([['a', 1], ['b']]), 'loadMap with a one-element entry')
  rejects(t, () => CacheCoder.loadMap([['a', 1, 2]]), 'loadMap with a three-element entry')
  rejects(t, () => CacheCoder.loadMap(['ab']), 'loadMap with a string entry')
  rejects(t, () => CacheCoder.dumpMap({} as unknown as Map<string, number>), 'dumpMap(object)')
})

t.test('bytes round-trip as base64 and load as a Buffer', async (t) => {
  const bytes = Uint8Array.from([0, 1, 2, 250, 251, 252, 253, 254, 255])
  const raw = CacheCoder.dumpBytes(bytes)
  t.equal(raw, 'AAEC+vv8/f7/')
  const back = CacheCoder.loadBytes(throughJson(raw))
  t.ok(Buffer.isBuffer(back))
  t.same([...back], [...bytes])
  t.equal(CacheCoder.dumpBytes(Buffer.from('hello')), 'aGVsbG8=')
  t.equal(CacheCoder.loadBytes('aGVsbG8=').toString(), 'hello')
  t.equal(CacheCoder.loadBytes('').length, 0)
  // A view into a larger buffer dumps only its own bytes.
  const view = new Uint8Array(Uint8Array.from([9, 1, 2, 9]).buffer, 1, 2)
  t.equal(CacheCoder.dumpBytes(view), Buffer.from([1, 2]).toString('base64'))
  for (const raw of ['a', 'aGVsbG8', 'aGVs bG8=', 'aGVsbG8*', 'aGVsbG8_', '====']) rejects(t, () => CacheCoder.loadBytes(raw), `loadBytes(${JSON.stringify(raw)})`)
  rejects(t, () => CacheCoder.loadBytes([1, 2]), 'loadBytes(array)')
  rejects(t, () => CacheCoder.dumpBytes([1, 2] as unknown as Uint8Array), 'dumpBytes(array)')
  rejects(t, () => CacheCoder.dumpBytes(new Uint16Array(2) as unknown as Uint8Array), 'dumpBytes(Uint16Array)')
})

t.test('URLs round-trip as their href', async (t) => {
  const url = new URL('https://user@example.com:8443/a b?q=1#frag')
  const raw = CacheCoder.dumpUrl(url)
  t.equal(raw, 'https://user@example.com:8443/a%20b?q=1#frag')
  const back = CacheCoder.loadUrl(throughJson(raw))
  t.ok(back instanceof URL)
  t.equal(back.href, url.href)
  rejects(t, () => CacheCoder.loadUrl('/relative/path'), 'loadUrl(relative)')
  rejects(t, () => CacheCoder.loadUrl('not a url'), 'loadUrl(garbage)')
  rejects(t, () => CacheCoder.loadUrl(42), 'loadUrl(number)')
  rejects(t, () => CacheCoder.dumpUrl('https://example.com' as unknown as URL), 'dumpUrl(string)')
})

t.test('dump converts nested non-JSON values so the strict serializer accepts them', async (t) => {
  const input = {
    user: {
      seen: new Date('2024-01-02T03:04:05.000Z'),
      id: 9007199254740993n,
      avatar: Buffer.from('png'),
      site: new URL('https://ada.example/'),
      tags: new Set(['x', new Date(0)]),
      scores: new Map<unknown, unknown>([[new Date(1000), new Set([1n])], ['k', [new URL('https://a.example/b')]]])
    },
    list: [new Date(0), { deep: [new Set([1, 2])] }],
    plain: { n: 1, s: 's', b: false, z: null, u: undefined }
  }
  const dumped = CacheCoder.dump(input)
  t.same(JSON.parse(jsonSerializer.stringify(dumped)), {
    user: {
      seen: '2024-01-02T03:04:05.000Z',
      id: '9007199254740993',
      avatar: 'cG5n',
      site: 'https://ada.example/',
      tags: ['x', '1970-01-01T00:00:00.000Z'],
      scores: [['1970-01-01T00:00:01.000Z', ['1']], ['k', ['https://a.example/b']]]
    },
    list: ['1970-01-01T00:00:00.000Z', { deep: [[1, 2]] }],
    plain: { n: 1, s: 's', b: false, z: null }
  })
  t.ok(input.user.seen instanceof Date, 'the input is not modified')
  t.ok(input.user.tags instanceof Set, 'the input is not modified')
})

t.test('dump leaves JSON values and unknown types as they are', async (t) => {
  for (const value of [null, true, 1, 'x']) t.equal(CacheCoder.dump(value), value)
  t.equal(CacheCoder.dump(new Date(0)), '1970-01-01T00:00:00.000Z')
  class Point { x = 1 }
  const point = new Point()
  t.equal(CacheCoder.dump(point), point, 'a class instance is kept, for the serializer to refuse')
  t.throws(() => jsonSerializer.stringify(CacheCoder.dump({ at: point })), { code: 'FST_CODEX_NOT_SERIALIZABLE', message: /value\.at / })
  const bare = Object.create(null) as Record<string, unknown>
  bare.d = new Date(0)
  const dumpedBare = CacheCoder.dump(bare) as Record<string, unknown>
  t.equal(Object.getPrototypeOf(dumpedBare), null, 'a null-prototype object stays one')
  t.equal(dumpedBare.d, '1970-01-01T00:00:00.000Z')
})

t.test('dump copies an own __proto__ key as a key, never as a prototype', async (t) => {
  const input = JSON.parse('{"__proto__":{"d":"x"}}') as object
  const dumped = CacheCoder.dump(input) as object
  t.equal(Object.getPrototypeOf(dumped), Object.prototype)
  t.ok(Object.hasOwn(dumped, '__proto__'))
})

t.test('dump keeps circular references circular, so the serializer reports them', async (t) => {
  const input: { a: unknown[] } = { a: [] }
  input.a.push(input)
  const dumped = CacheCoder.dump(input) as { a: unknown[] }
  t.equal(dumped.a[0], dumped)
  t.throws(() => jsonSerializer.stringify(dumped), { code: 'FST_CODEX_NOT_SERIALIZABLE', message: /value\.a\[0\] .*circular/ })
})
