// Explicit converters for values strict JSON refuses. Pure functions: the caller decides what to convert,
// so no type tags ever leak into what is stored in Redis.

const ISO_DATE = /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/
const DECIMAL = /^-?\d+$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

// Names the type of bad input without echoing it: it may be a secret.
function typeName (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value !== 'object') return typeof value
  const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'an object'
}

function dumpDate (value: Date): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(`CacheCoder.dumpDate expects a valid Date, got ${value instanceof Date ? 'an invalid Date' : typeName(value)}`)
  }
  return value.toISOString()
}

/** Accepts ISO 8601 dates (`2024-03-01`) and date-times with `Z` or an offset; a local time would be ambiguous. */
function loadDate (raw: unknown): Date {
  if (typeof raw !== 'string') throw new TypeError(`CacheCoder.loadDate expects an ISO 8601 string, got ${typeName(raw)}`)
  const match = ISO_DATE.exec(raw)
  const date = new Date(raw)
  // Date rolls 2024-02-31 over to March 2; a calendar day that does not exist is bad input, not a date.
  if (match === null || Number.isNaN(date.getTime()) || !isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw new TypeError('CacheCoder.loadDate expects an ISO 8601 date such as 2024-03-01T12:00:00.000Z')
  }
  return date
}

function isCalendarDay (year: number, month: number, day: number): boolean {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
  return month >= 1 && month <= 12 && day >= 1 && day <= days
}

function dumpBigInt (value: bigint): string {
  if (typeof value !== 'bigint') throw new TypeError(`CacheCoder.dumpBigInt expects a bigint, got ${typeName(value)}`)
  return value.toString()
}

function loadBigInt (raw: unknown): bigint {
  // BigInt() alone would also take '', ' 1 ' and '0x1f'.
  if (typeof raw !== 'string' || !DECIMAL.test(raw)) {
    throw new TypeError(`CacheCoder.loadBigInt expects a decimal integer string, got ${typeof raw === 'string' ? 'another string' : typeName(raw)}`)
  }
  return BigInt(raw)
}

function dumpSet<T> (value: ReadonlySet<T>): T[] {
  if (!(value instanceof Set)) throw new TypeError(`CacheCoder.dumpSet expects a Set, got ${typeName(value)}`)
  return [...value]
}

/** Elements are not checked against `T`: pass what dumpSet produced. */
function loadSet<T = unknown> (raw: unknown): Set<T> {
  if (!Array.isArray(raw)) throw new TypeError(`CacheCoder.loadSet expects an array, got ${typeName(raw)}`)
  return new Set(raw as T[])
}

function dumpMap<K, V> (value: ReadonlyMap<K, V>): Array<[K, V]> {
  if (!(value instanceof Map)) throw new TypeError(`CacheCoder.dumpMap expects a Map, got ${typeName(value)}`)
  return [...value]
}

/** Keys and values are not checked against `K`/`V`: pass what dumpMap produced. */
function loadMap<K = unknown, V = unknown> (raw: unknown): Map<K, V> {
  if (!Array.isArray(raw)) throw new TypeError(`CacheCoder.loadMap expects an array of [key, value] pairs, got ${typeName(raw)}`)
  const map = new Map<K, V>()
  for (let i = 0; i < raw.length; i++) {
    const entry: unknown = raw[i]
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new TypeError(`CacheCoder.loadMap expects an array of [key, value] pairs; entry ${i} is not a pair`)
    }
    map.set(entry[0] as K, entry[1] as V)
  }
  return map
}

function dumpBytes (value: Uint8Array): string {
  if (!(value instanceof Uint8Array)) throw new TypeError(`CacheCoder.dumpBytes expects a Buffer or Uint8Array, got ${typeName(value)}`)
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
}

/** Returns a Buffer: it is a Uint8Array, so code written for either keeps working. */
function loadBytes (raw: unknown): Buffer {
  // Buffer.from(…, 'base64') skips characters it does not know; corrupt text must not become other bytes.
  if (typeof raw !== 'string' || !BASE64.test(raw)) {
    throw new TypeError(`CacheCoder.loadBytes expects a padded base64 string, got ${typeof raw === 'string' ? 'another string' : typeName(raw)}`)
  }
  return Buffer.from(raw, 'base64')
}

function dumpUrl (value: URL): string {
  if (!(value instanceof URL)) throw new TypeError(`CacheCoder.dumpUrl expects a URL, got ${typeName(value)}`)
  return value.href
}

function loadUrl (raw: unknown): URL {
  if (typeof raw !== 'string') throw new TypeError(`CacheCoder.loadUrl expects an absolute URL string, got ${typeName(raw)}`)
  try {
    return new URL(raw)
  } catch (cause) {
    throw new TypeError('CacheCoder.loadUrl expects an absolute URL string', { cause })
  }
}

function dumpValue (value: unknown, copies: Map<object, unknown>): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (typeof value !== 'object' || value === null) return value
  // A shared or circular reference stays one: the serializer then reports the cycle with its path.
  const known = copies.get(value)
  if (known !== undefined) return known
  if (value instanceof Date) return dumpDate(value)
  if (value instanceof URL) return value.href
  if (value instanceof Uint8Array) return dumpBytes(value)
  if (Array.isArray(value) || value instanceof Set) {
    const out: unknown[] = []
    copies.set(value, out)
    for (const item of value) out.push(dumpValue(item, copies))
    return out
  }
  if (value instanceof Map) {
    const out: unknown[] = []
    copies.set(value, out)
    for (const [key, item] of value) out.push([dumpValue(key, copies), dumpValue(item, copies)])
    return out
  }
  const proto: unknown = Object.getPrototypeOf(value)
  // Anything else (class instances, boxed primitives…) is left for the serializer to refuse by name.
  if (proto !== Object.prototype && proto !== null) return value
  const out: Record<string, unknown> = proto === null ? Object.create(null) : {}
  copies.set(value, out)
  for (const key of Object.keys(value)) {
    const item = dumpValue((value as Record<string, unknown>)[key], copies)
    // Assigning `out.__proto__` would replace the copy's prototype instead of adding a key.
    if (key === '__proto__') {
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true })
    } else {
      out[key] = item
    }
  }
  return out
}

/**
 * Returns a copy of `value` in which Dates, bigints, Sets, Maps, Buffers/Uint8Arrays and URLs, at any depth
 * (inside Set and Map entries too), are replaced by what the dump* function for that type returns.
 * Everything else is copied or kept as it is; the input is never modified.
 */
function dump (value: unknown): unknown {
  return dumpValue(value, new Map())
}

/** Converters between common non-JSON types and strict JSON values; `load*` functions throw a TypeError on bad input. */
export const CacheCoder = Object.freeze({
  dumpDate,
  loadDate,
  dumpBigInt,
  loadBigInt,
  dumpSet,
  loadSet,
  dumpMap,
  loadMap,
  dumpBytes,
  loadBytes,
  dumpUrl,
  loadUrl,
  dump
})
