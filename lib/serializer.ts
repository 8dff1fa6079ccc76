import sjson from 'secure-json-parse'
import { CorruptValueError, NotSerializableError } from './errors.js'

/** Turns values into the text stored in Redis and back. */
export interface Serializer {
  stringify (value: unknown): string
  parse (text: string): unknown
}

// Past this depth the allocation-free check hands over to the exact walk, which looks for a cycle.
const FAST_DEPTH = 64
// RFC 8259 lets parsers limit nesting; V8's JSON.stringify itself overflows the stack a few thousand levels down.
const MAX_DEPTH = 1024

const ObjectProto = Object.prototype
const ArrayProto = Array.prototype
const { getPrototypeOf } = Object
const { isArray } = Array
const { isFinite } = Number

function isStrict (value: unknown): boolean {
  const type = typeof value
  if (type === 'string' || type === 'boolean') return true
  if (type === 'number') return isFinite(value)
  return type === 'object' && (value === null || isStrictContainer(value as object, 0))
}

/**
 * Hot path: is this object or array strict JSON? Allocates nothing, builds no path, checks leaves inline (no call per
 * value); `false` sends us to `checkSlowly`. for…in sees enumerable string keys only, as JSON.stringify does.
 */
function isStrictContainer (value: object, depth: number): boolean {
  if (depth === FAST_DEPTH) return false
  // JSON.stringify would call it, even when it is not enumerable: a silent conversion.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false
  const proto = getPrototypeOf(value)
  if (proto === ArrayProto && isArray(value)) {
    const array = value as unknown[]
    for (let i = 0; i < array.length; i++) {
      const item = array[i]
      const type = typeof item
      if (type === 'string' || type === 'boolean') continue
      if (type === 'number') {
        if (isFinite(item)) continue
        return false
      }
      if (type === 'object' && (item === null || isStrictContainer(item as object, depth + 1))) continue
      return false
    }
    return true
  }
  if (proto !== ObjectProto && proto !== null) return false
  const object = value as Record<string, unknown>
  for (const key in object) {
    // A key parse() may refuse as prototype poisoning: the exact check (refusePrototypeKeys) decides.
    if (key === '__proto__' || key === 'constructor') return false
    const item = object[key]
    const type = typeof item
    // An undefined property is omitted, as JSON.stringify does.
    if (type === 'string' || type === 'boolean' || type === 'undefined') continue
    if (type === 'number') {
      if (isFinite(item)) continue
      return false
    }
    if (type === 'object' && (item === null || isStrictContainer(item as object, depth + 1))) continue
    return false
  }
  return true
}

function childPath (path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

// Names the offender without printing it: cached values may be secrets.
function reason (value: unknown): string {
  switch (typeof value) {
    case 'undefined': return 'undefined (only object properties may be undefined, and are then omitted)'
    case 'number': return `${value} (only finite numbers are JSON)`
    case 'bigint': return 'a bigint (use CacheCoder.dumpBigInt)'
    case 'function': return 'a function'
    case 'symbol': return 'a symbol'
  }
  if (value instanceof Date) return 'a Date (use CacheCoder.dumpDate)'
  if (value instanceof Map) return 'a Map (use CacheCoder.dumpMap)'
  if (value instanceof Set) return 'a Set (use CacheCoder.dumpSet)'
  if (value instanceof Uint8Array) return 'binary data (use CacheCoder.dumpBytes)'
  if (value instanceof URL) return 'a URL (use CacheCoder.dumpUrl)'
  const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name !== '' && name !== 'Object'
    ? `an instance of ${name} (only plain objects and arrays are JSON)`
    : 'an object whose prototype is neither Object.prototype nor null'
}

/**
 * Error path only: walks again in the same order as `isStrict`, keeping paths and ancestors,
 * and throws for the first offending value. Returns normally if the value is merely deep.
 */
function explain (value: unknown, path: string, ancestors: object[], paths: string[]): void {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return
  if (typeof value === 'number' && isFinite(value)) return
  if (typeof value !== 'object') throw new NotSerializableError(path, reason(value))
  const seen = ancestors.indexOf(value)
  if (seen !== -1) throw new NotSerializableError(path, `a circular reference to ${paths[seen] ?? 'an ancestor'}`)
  if (ancestors.length === MAX_DEPTH) throw new NotSerializableError(path, `nested more than ${MAX_DEPTH} levels deep`)
  const proto = getPrototypeOf(value)
  const isPlainArray = proto === ArrayProto && isArray(value)
  if (!isPlainArray && proto !== ObjectProto && proto !== null) throw new NotSerializableError(path, reason(value))
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    throw new NotSerializableError(path, 'an object with a toJSON method (JSON.stringify would convert it)')
  }
  ancestors.push(value)
  paths.push(path)
  if (isPlainArray) {
    const array = value as unknown[]
    for (let i = 0; i < array.length; i++) explain(array[i], `${path}[${i}]`, ancestors, paths)
  } else {
    const object = value as Record<string, unknown>
    for (const key in object) {
      const item = object[key]
      if (item !== undefined) explain(item, childPath(path, key), ancestors, paths)
    }
  }
  ancestors.pop()
  paths.pop()
}

// Cheap pre-check of a stored text: a key that decodes to __proto__ or constructor holds that text or a \u escape.
function mayHidePrototypeKey (text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')
}

function refusePrototypeKeys (value: object, root: string): void {
  try {
    sjson.scan(value, { protoAction: 'error', constructorAction: 'error' })
  } catch {
    throw new NotSerializableError(root, 'it holds a __proto__ or constructor.prototype key, which reading refuses as prototype poisoning')
  }
}

/**
 * The slow path, for a value the fast walk did not pass: throws for what JSON.stringify would drop or convert, and
 * for what parse() would refuse (a key would then hold a value nobody can read). The fast walk passes neither.
 */
function checkSlowly (value: unknown, root: string): void {
  explain(value, root, [], [])
  if (typeof value === 'object' && value !== null) refusePrototypeKeys(value, root)
}

/**
 * Strict JSON: refuses, with the path of the culprit, anything JSON.stringify would drop or convert silently.
 * Getters are read by the check and again by JSON.stringify: they must return the same kind of value each time.
 */
export class JsonSerializer implements Serializer {
  /** `root` names the value in errors (a batch names the entry). */
  stringify (value: unknown, root = 'value'): string {
    if (!isStrict(value)) checkSlowly(value, root)
    return JSON.stringify(value)
  }

  /**
   * `text`, made by JSON.stringify(value) already (a comparison that found a change), once `value` passes what
   * stringify() checks: what stringify(value) would return, or its error, without stringifying twice.
   */
  checked (value: unknown, text: string): string {
    if (!isStrict(value)) checkSlowly(value, 'value')
    return text
  }

  parse (text: string): unknown {
    if (typeof text !== 'string') throw new CorruptValueError(`expected a string, got ${typeof text}`)
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (cause) {
      throw new CorruptValueError('invalid JSON', { cause })
    }
    if (typeof value === 'object' && value !== null && mayHidePrototypeKey(text)) {
      try {
        sjson.scan(value, { protoAction: 'error', constructorAction: 'error' })
      } catch (cause) {
        throw new CorruptValueError('it holds a __proto__ or constructor.prototype key', { cause })
      }
    }
    return value
  }
}

/** Shared default instance; it holds no state. */
export const jsonSerializer = new JsonSerializer()
