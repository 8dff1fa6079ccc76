import t, { type Test } from 'tap'
import { JsonSerializer, jsonSerializer, type Serializer } from '../../lib/serializer.js'

const s: Serializer = new JsonSerializer()

function notSerializable (t: Test, value: unknown, path: string, why: string): void {
  t.test(why, async (t) => {
    let error: unknown
    try {
      s.stringify(value)
    } catch (err) {
      error = err
    }
    t.ok(error instanceof TypeError, 'is a TypeError')
    t.equal((error as { code?: unknown }).code, 'FST_CODEX_NOT_SERIALIZABLE')
    t.equal((error as { statusCode?: unknown }).statusCode, 500)
    t.match((error as Error).message, `Value at ${path} is not strict JSON`, 'names the path')
  })
}

function corrupt (t: Test, text: string, why: string): unknown {
  let error: unknown
  try {
    s.parse(text)
  } catch (err) {
    error = err
  }
  t.equal((error as { code?: unknown }).code, 'FST_CODEX_CORRUPT_VALUE', why)
  return error
}

t.test('every strict JSON type round-trips unchanged', async (t) => {
  const values: unknown[] = [
    null, true, false, 0, 1, -1.5, 1e21, Number.MAX_SAFE_INTEGER, '', 'text', 'ünïcødé 🎉 "quoted" \\ \n',
    [], [1, 'two', null, false, [3]], {}, { a: 1, b: 'x', c: null, d: true, e: [{ f: [] }], g: { h: { i: 'deep' } } },
    { 'key with spaces': 1, ключ: 2, '': 3, 42: 'numeric key' }
  ]
  for (const value of values) {
    const text = s.stringify(value)
    t.equal(text, JSON.stringify(value), `same text as JSON.stringify for ${text}`)
    t.same(s.parse(text), value, `round-trips ${text}`)
  }
})

t.test('the shared instance is a JsonSerializer and its methods work detached', async (t) => {
  t.ok(jsonSerializer instanceof JsonSerializer)
  const { stringify, parse } = jsonSerializer
  t.same(parse(stringify({ a: [1] })), { a: [1] })
})

t.test('properties whose value is undefined are omitted, as JSON does', async (t) => {
  t.equal(s.stringify({ a: 1, b: undefined, c: { d: undefined } }), '{"a":1,"c":{}}')
})

t.test('objects without a prototype are allowed', async (t) => {
  const bare = Object.create(null) as Record<string, unknown>
  bare.x = 1
  bare.nested = Object.assign(Object.create(null) as object, { y: [2] })
  t.equal(s.stringify(bare), '{"x":1,"nested":{"y":[2]}}')
})

t.test('symbol-keyed properties are ignored, as JSON does', async (t) => {
  t.equal(s.stringify({ a: 1, [Symbol('hidden')]: new Date() }), '{"a":1}')
})

t.test('a getter on a plain object is serialized by its value', async (t) => {
  t.equal(s.stringify({ get answer () { return 42 } }), '{"answer":42}')
})

t.test('shared (non-circular) references are fine', async (t) => {
  const shared = { n: 1 }
  t.equal(s.stringify({ a: shared, b: [shared] }), '{"a":{"n":1},"b":[{"n":1}]}')
})

t.test('moderately deep values pass (beyond the fast path depth)', async (t) => {
  const root: Record<string, unknown> = {}
  let node = root
  for (let i = 0; i < 500; i++) {
    const next: Record<string, unknown> = {}
    node.a = next
    node = next
  }
  t.equal(s.stringify(root), '{"a":'.repeat(500) + '{}' + '}'.repeat(500))
})

t.test('values that are not strict JSON throw FST_CODEX_NOT_SERIALIZABLE naming the path', async (t) => {
  class User { name = 'ada' }
  const cases: Array<[unknown, string, string]> = [
    [undefined, 'value', 'undefined at the top'],
    [[1, undefined], 'value[1]', 'undefined in an array'],
    // eslint-disable-next-line no-sparse-arrays
    [[1, , 3], 'value[1]', 'a hole in a sparse array'],
    [NaN, 'value', 'NaN'],
    [{ n: Infinity }, 'value.n', 'Infinity'],
    [{ n: -Infinity }, 'value.n', '-Infinity'],
    [10n, 'value', 'a BigInt'],
    [new Date(), 'value', 'a Date'],
    [{ a: { b: new Date() } }, 'value.a.b', 'a nested Date'],
    [new Map([[1, 2]]), 'value', 'a Map'],
    [{ m: new Map() }, 'value.m', 'an empty Map'],
    [new Set([1]), 'value', 'a Set'],
    [Buffer.from('hi'), 'value', 'a Buffer'],
    [{ bytes: new Uint8Array(2) }, 'value.bytes', 'a Uint8Array'],
    [[new Float64Array(1)], 'value[0]', 'a Float64Array'],
    [new ArrayBuffer(4), 'value', 'an ArrayBuffer'],
    [() => 1, 'value', 'a function'],
    [{ fn () {} }, 'value.fn', 'a method'],
    [Symbol('s'), 'value', 'a symbol'],
    [{ s: Symbol('s') }, 'value.s', 'a symbol property'],
    [new User(), 'value', 'a class instance'],
    [{ user: new User() }, 'value.user', 'a nested class instance'],
    [Object.create({ inherited: 1 }), 'value', 'an object with a custom prototype'],
    [Object('text'), 'value', 'a boxed string'],
    [{ n: Object(1) }, 'value.n', 'a boxed number'],
    [[Object(true)], 'value[0]', 'a boxed boolean'],
    [{ toJSON () { return 'x' } }, 'value', 'an object with toJSON'],
    [{ a: Object.defineProperty({}, 'toJSON', { value: () => 'x', enumerable: false }) }, 'value.a', 'a hidden toJSON'],
    [Object.assign([1], { toJSON: () => 'x' }), 'value', 'an array with toJSON'],
    [new URL('https://example.com'), 'value', 'a URL'],
    [/regex/, 'value', 'a RegExp'],
    [new Error('boom'), 'value', 'an Error'],
    [Promise.resolve(1), 'value', 'a Promise'],
    [new (class Items extends Array {})(), 'value', 'an Array subclass'],
    [{ user: { tags: ['a', 'b', new Date()] } }, 'value.user.tags[2]', 'a Date deep in an array'],
    [{ 'odd key': { 'x-y': [NaN] } }, 'value["odd key"]["x-y"][0]', 'keys that are not identifiers']
  ]
  for (const [value, path, why] of cases) notSerializable(t, value, path, why)
})

t.test('the message names the type but never prints the value', async (t) => {
  t.throws(() => s.stringify({ secret: new Date(0) }), { message: /a Date/ })
  let message = ''
  try {
    s.stringify({ secret: 12345678901234567890n })
  } catch (err) {
    message = (err as Error).message
  }
  t.match(message, 'value.secret is not strict JSON: a bigint')
  t.notMatch(message, '12345678901234567890')
})

t.test('circular references are reported with their path', async (t) => {
  const root: { user: { tags: unknown[] } } = { user: { tags: ['a', 'b'] } }
  root.user.tags.push(root.user)
  t.throws(() => s.stringify(root), {
    code: 'FST_CODEX_NOT_SERIALIZABLE',
    message: 'Value at value.user.tags[2] is not strict JSON: a circular reference to value.user'
  })

  const self: Record<string, unknown> = { a: 1 }
  self.me = self
  t.throws(() => s.stringify(self), { code: 'FST_CODEX_NOT_SERIALIZABLE', message: /value\.me .*circular reference to value$/ })

  const list: unknown[] = []
  list.push(list)
  t.throws(() => s.stringify(list), { code: 'FST_CODEX_NOT_SERIALIZABLE', message: /value\[0\] / })
})

t.test('absurdly deep values are refused rather than overflowing the stack', async (t) => {
  const root: Record<string, unknown> = {}
  let node = root
  for (let i = 0; i < 5000; i++) {
    const next: Record<string, unknown> = {}
    node.a = next
    node = next
  }
  t.throws(() => s.stringify(root), { code: 'FST_CODEX_NOT_SERIALIZABLE', message: /nested more than 1024 levels/ })
})

t.test('stringify does not modify its input', async (t) => {
  const value = { a: [1, { b: 'c' }], d: undefined }
  s.stringify(value)
  t.same(value, { a: [1, { b: 'c' }], d: undefined })
  t.ok(Object.hasOwn(value, 'd'))
})

t.test('prototype-poisoning payloads are refused and Object.prototype stays clean', async (t) => {
  const payloads = [
    '{"__proto__":{"polluted":true}}',
    '{"a":{"b":[{"__proto__":{"polluted":true}}]}}',
    '{"\\u005f_proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"a":[{"constructor":{"prototype":{"polluted":true}}}]}',
    '{"\\u0063onstructor":{"prototype":{"polluted":true}}}'
  ]
  for (const text of payloads) {
    const err = corrupt(t, text, `refuses ${text}`)
    t.ok((err as { cause?: unknown }).cause instanceof Error, 'keeps the cause')
    t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is not polluted')
  }
  t.equal(Object.hasOwn(Object.prototype, 'polluted'), false)
})

t.test('__proto__ and constructor as values, or harmless constructor keys, still parse', async (t) => {
  t.same(s.parse('{"note":"__proto__ is a key name","kind":"constructor"}'), { note: '__proto__ is a key name', kind: 'constructor' })
  t.same(s.parse('{"constructor":"Ada"}'), { constructor: 'Ada' })
  t.same(s.parse('{"constructor":{"name":"x"}}'), { constructor: { name: 'x' } })
  t.same(s.parse('"__proto__"'), '__proto__')
  t.same(s.parse('{"s":"caf\\u00e9"}'), { s: 'café' })
})

t.test('invalid JSON is refused with FST_CODEX_CORRUPT_VALUE and the parse error as cause', async (t) => {
  for (const text of ['', '{', '{"a":1,}', 'undefined', 'NaN', "{'a':1}", '[1,]', '\uFEFF{}']) {
    const err = corrupt(t, text, `refuses ${JSON.stringify(text)}`)
    t.ok((err as { cause?: unknown }).cause instanceof SyntaxError, 'cause is the SyntaxError')
  }
})

t.test('a payload that is not a string is refused', async (t) => {
  corrupt(t, Buffer.from('{}') as unknown as string, 'refuses a Buffer')
  corrupt(t, 42 as unknown as string, 'refuses a number')
})

t.test('a value that parse() would refuse as prototype poisoning is refused by stringify, so nothing unreadable is written', async (t) => {
  const viaJson = JSON.parse('{"a":[{"__proto__":{"admin":true}}]}') as unknown
  t.throws(() => jsonSerializer.stringify(viaJson), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
  t.throws(() => jsonSerializer.stringify({ constructor: { prototype: { admin: true } } }), { code: 'FST_CODEX_NOT_SERIALIZABLE' })
  t.equal(jsonSerializer.stringify({ constructor: 'a name', text: '__proto__' }), '{"constructor":"a name","text":"__proto__"}', 'harmless uses still pass')
  t.equal(({} as Record<string, unknown>).admin, undefined)
})

t.test('what stringify and checked write, parse reads back: prototype keys at any depth, fast walk or slow', async (t) => {
  const nest = (depth: number, leaf: unknown): unknown => depth === 0 ? leaf : { a: [nest(depth - 1, leaf)] }
  const poisoned = [
    JSON.parse('{"__proto__":{"admin":true}}') as unknown,
    { constructor: { prototype: { admin: true } } },
    { list: [1, { constructor: { prototype: {} } }] }
  ]
  const harmless: unknown[] = [{ constructor: 'Ada' }, { constructor: { name: 'x' } }, { note: '__proto__' }]
  // Depth 70 is past the fast walk's limit: the slow path must find them too.
  for (const depth of [0, 3, 70]) {
    for (const leaf of poisoned) {
      const value = nest(depth, leaf)
      t.throws(() => jsonSerializer.stringify(value), { code: 'FST_CODEX_NOT_SERIALIZABLE' }, `stringify refuses at depth ${depth}`)
      t.throws(() => jsonSerializer.checked(value, JSON.stringify(value)), { code: 'FST_CODEX_NOT_SERIALIZABLE' }, `checked refuses at depth ${depth}`)
      t.throws(() => jsonSerializer.parse(JSON.stringify(value)), { code: 'FST_CODEX_CORRUPT_VALUE' }, 'as parse would')
    }
    for (const leaf of harmless) {
      const value = nest(depth, leaf)
      const text = JSON.stringify(value)
      t.equal(jsonSerializer.stringify(value), text, `a harmless key at depth ${depth} is written`)
      t.equal(jsonSerializer.checked(value, text), text)
      t.same(jsonSerializer.parse(text), value, 'and read back')
    }
  }
})
