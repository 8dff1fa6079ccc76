import t from 'tap'
import fc from 'fast-check'
import { cloneJson, SharedRead } from '../../lib/cache/reader.js'
import { jsonSerializer, type Serializer } from '../../lib/serializer.js'

/** Every object or array reachable from a value. */
function containers (value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value !== 'object' || value === null) return into
  into.add(value)
  for (const item of Object.values(value)) containers(item, into)
  return into
}

t.test('cloneJson gives what JSON.parse would give again, sharing no object with its source', async (t) => {
  fc.assert(fc.property(fc.jsonValue(), (value) => {
    const text = JSON.stringify(value)
    const parsed: unknown = JSON.parse(text)
    const copy = cloneJson(parsed)
    t.same(copy, JSON.parse(text))
    if (JSON.stringify(copy) !== text) throw new Error(`order or content differs for ${text}`)
    const theirs = containers(parsed)
    for (const mine of containers(copy)) if (theirs.has(mine)) throw new Error(`shares an object for ${text}`)
    for (const mine of containers(copy)) {
      const proto: unknown = Object.getPrototypeOf(mine)
      if (proto !== (Array.isArray(mine) ? Array.prototype : Object.prototype)) throw new Error('not a plain object or array')
    }
  }), { numRuns: 500 })
})

t.test('cloneJson keeps a "__proto__" own key as an own key, and copies no inherited property', async (t) => {
  const parsed = JSON.parse('{"__proto__":{"polluted":true},"a":[1,{"b":null}]}') as Record<string, unknown>
  const copy = cloneJson(parsed)
  t.equal(Object.getPrototypeOf(copy), Object.prototype, 'the prototype is untouched')
  t.same(Object.keys(copy), ['__proto__', 'a'])
  t.equal(JSON.stringify(copy), JSON.stringify(parsed))
  const proto = Object.prototype as Record<string, unknown>
  proto.inherited = 1
  try {
    t.notOk(Object.hasOwn(cloneJson({ a: 1 }), 'inherited'), 'an enumerable Object.prototype property is not copied in')
  } finally {
    delete proto.inherited
  }
})

/** A read joined by `callers` callers, its reply in. */
function sharedRead (serializer: Serializer, text: string, callers = 8): { take: () => unknown } {
  const read = new SharedRead(serializer, 0, Promise.resolve(text), new Map(), 'key')
  read.callers = callers
  return { take: () => read.take(text) }
}

t.test('SharedRead: every take is the caller\'s own value, mutating one changes no later take', async (t) => {
  const shared = sharedRead(jsonSerializer, '{"list":[1],"nested":{"n":1}}')
  const taken = Array.from({ length: 4 }, () => shared.take() as { list: number[], nested: { n: number } })
  for (const value of taken) {
    value.list.push(2)
    value.nested.n++
  }
  const later = shared.take()
  t.same(later, { list: [1], nested: { n: 1 } }, 'the kept original was never handed out')
  t.equal(new Set([...taken, later]).size, 5)
  t.equal(new Set([...taken, later].map((v) => (v as { list: unknown }).list)).size, 5, 'no nested object shared either')
})

t.test('SharedRead: an unreadable payload fails every take with FST_CODEX_CORRUPT_VALUE', async (t) => {
  const shared = sharedRead(jsonSerializer, '{"broken"')
  for (let i = 0; i < 3; i++) t.throws(() => shared.take(), { code: 'FST_CODEX_CORRUPT_VALUE' })
  const poisoned = sharedRead(jsonSerializer, '{"__proto__":{"x":1}}')
  for (let i = 0; i < 3; i++) t.throws(() => poisoned.take(), { code: 'FST_CODEX_CORRUPT_VALUE' }, 'prototype poisoning refused on every take')
})

t.test('SharedRead: a lone caller gets the parse itself', async (t) => {
  let parses = 0
  const counting: Serializer = { stringify: (value) => JSON.stringify(value), parse: (text) => { parses++; return jsonSerializer.parse(text) } }
  t.same(sharedRead(counting, '{"a":1}', 1).take(), { a: 1 })
  t.equal(parses, 1)
})

t.test('SharedRead: a custom serializer parses for every caller (its values may not be plain JSON)', async (t) => {
  let parses = 0
  const dated: Serializer = {
    stringify: (value) => JSON.stringify(value),
    parse: (text) => { parses++; return { at: new Date(JSON.parse(text) as string) } }
  }
  const shared = sharedRead(dated, '"2026-01-01T00:00:00.000Z"')
  const a = shared.take() as { at: Date }
  const b = shared.take() as { at: Date }
  t.equal(parses, 2)
  t.ok(a.at instanceof Date && b.at instanceof Date)
  t.not(a.at, b.at)
})
