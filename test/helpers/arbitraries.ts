import fc from 'fast-check'

/** Any strict-JSON value, with the keys fast-check likes to try (`__proto__`, `constructor`, `toString`…). */
export const jsonValue = fc.jsonValue({ maxDepth: 4 })

/** What a strict-JSON value reads back as: JSON turns -0 into 0 and drops nothing else. */
export function asStored (value: unknown): unknown {
  return JSON.parse(JSON.stringify(value))
}

/** Does the value hold a key that reading refuses as prototype poisoning (so writing must refuse it too)? */
export function holdsPrototypeKey (value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) return value.some(holdsPrototypeKey)
  const object = value as Record<string, unknown>
  if (Object.prototype.hasOwnProperty.call(object, '__proto__')) return true
  const ctor = Object.prototype.hasOwnProperty.call(object, 'constructor') ? object.constructor : undefined
  if (typeof ctor === 'object' && ctor !== null && Object.prototype.hasOwnProperty.call(ctor, 'prototype')) return true
  return Object.keys(object).some((key) => holdsPrototypeKey(object[key]))
}

class Point { x = 1 }

/** Values that are not strict JSON anywhere they stand (objects allow undefined, so it is left to arrays). */
const notJsonAnywhere = fc.constantFrom<Array<[string, () => unknown]>>(
  ['NaN', () => Number.NaN],
['Infinity', () => Number.POSITIVE_INFINITY],
['-Infinity', () => Number.NEGATIVE_INFINITY],
['BigInt', () => 10n],
['Date', () => new Date()],
['Map', () => new Map([['a', 1]])],
['Set', () => new Set([1])],
['Buffer', () => Buffer.from('x')],
['Uint8Array', () => new Uint8Array(2)],
['function', () => () => 1],
['symbol', () => Symbol('s')],
['class instance', () => new Point()],
['toJSON', () => ({ toJSON: () => 'converted' })],
['URL', () => new URL('https://example.com/')],
['Error', () => new Error('boom')]
)

interface Step { inArray: boolean, key: string, siblings: unknown[], index: number }

const step: fc.Arbitrary<Step> = fc.record({
  inArray: fc.boolean(),
  key: fc.string({ minLength: 1, maxLength: 8 }),
  siblings: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  index: fc.nat(3)
})

/**
 * A JSON value with one non-JSON part somewhere inside it (or at the top), plus a name for it.
 * A circular reference is made by pointing the innermost container back at the outermost.
 */
export const valueWithNonJsonPart: fc.Arbitrary<{ what: string, value: unknown }> = fc.tuple(
  fc.oneof(notJsonAnywhere, fc.constant<[string, () => unknown]>(['circular', () => null]), fc.constant<[string, () => unknown]>(['undefined in an array', () => undefined])),
  fc.array(step, { maxLength: 4 })
).map(([[what, make], steps]) => {
  const undefinedInArray = what === 'undefined in an array'
  const circular = what === 'circular'
  const hole = {}
  const containers: object[] = []
  let value: unknown = circular ? hole : make()
  // Undefined is only refused where JSON cannot omit it: at the top or in an array.
  const path = undefinedInArray ? [{ inArray: true, key: 'x', siblings: [], index: 0 }, ...steps] : steps
  if (circular && path.length === 0) path.push({ inArray: false, key: 'self', siblings: [], index: 0 })
  for (const { inArray, key, siblings, index } of path) {
    if (inArray) {
      const array = [...siblings]
      array.splice(Math.min(index, array.length), 0, value)
      value = array
    } else {
      const object: Record<string, unknown> = {}
      siblings.forEach((sibling, i) => { object[`s${i}`] = sibling })
      Object.defineProperty(object, key === '__proto__' ? 'proto' : key, { value, enumerable: true, writable: true, configurable: true })
      value = object
    }
    containers.push(value as object)
  }
  if (circular) {
    // Replace the hole in the innermost container with the outermost one.
    const inner = containers[0] as Record<string, unknown> | unknown[]
    const outer = containers[containers.length - 1]
    if (Array.isArray(inner)) inner[inner.indexOf(hole)] = outer
    else for (const key of Object.keys(inner)) if (inner[key] === hole) inner[key] = outer
  }
  return { what, value }
})

/** Glob characters, separators and backslashes: the characters that would widen a SCAN MATCH or a key. */
const keyChar = fc.constantFrom('a', 'b', 'Z', '1', ':', '*', '?', '[', ']', '\\', '^', '-', '!', '{', '}', ' ', 'é')
export const namespaceText = fc.string({ unit: keyChar, minLength: 1, maxLength: 6 })
export const keyText = fc.string({ unit: keyChar, minLength: 1, maxLength: 8 })
export const version = fc.oneof(fc.integer({ min: -3, max: 99 }), namespaceText)

/** Two cache prefixes whose namespaces do not contain each other (`clear()` of P matches `P:*`). */
export function disjointPrefixes (a: string, b: string): boolean {
  return a !== b && !a.startsWith(`${b}:`) && !b.startsWith(`${a}:`)
}
