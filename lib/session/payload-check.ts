import { CorruptValueError } from '../errors.js'
import type { SessionData } from './payload.js'

/**
 * The Session methods @fastify/session itself calls on every request: a stored field of one of these names would be
 * copied over the method and fail every request. Other method names (`options`, `touch`…) are only called by the
 * app, which may well use them as field names, as it could before it stored them.
 */
const CALLED_BY_THE_PLUGIN: readonly string[] = ['save', 'isSaved', 'isModified']

// The latest time a cookie's Expires can say: the `cookie` serializer refuses a year past 9999 (a 500 on every reply).
const LATEST_EXPIRY = Date.UTC(9999, 11, 31, 23, 59, 59, 999)
// Printable ASCII but ";" (RFC 6265 path-value) and "<", which the serializer refuses too.
const PATH = /^[\x20-\x3A\x3D-\x7E]*$/
// A host name, optionally with a leading dot: what the serializer accepts as Domain.
const DOMAIN = /^\.?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i
const SAME_SITE: ReadonlySet<string> = new Set(['lax', 'strict', 'none'])

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const isAbsent = (value: unknown): boolean => value === undefined || value === null
const isFlag = (value: unknown): boolean => isAbsent(value) || typeof value === 'boolean'

/** A max-age (ms) @fastify/session can turn into a cookie expiry: absent, or a number giving a date the serializer takes. */
function isMaxAge (value: unknown): boolean {
  if (isAbsent(value)) return true
  if (typeof value !== 'number' || !Number.isFinite(value)) return false
  // A past expiry is fine (the plugin starts a fresh session); an unrepresentable or too late one is not.
  const at = Date.now() + value
  return Math.abs(at) <= 8.64e15 && at <= LATEST_EXPIRY
}

/** Why the stored cookie cannot be restored and sent, or `undefined` when it can. */
function cookieFault (cookie: Record<string, unknown>): string | undefined {
  const { expires, originalMaxAge, maxAge, sameSite, secure, path, domain } = cookie
  if (!isAbsent(expires)) {
    const at = typeof expires === 'string' ? Date.parse(expires) : Number.NaN
    if (Number.isNaN(at) || at > LATEST_EXPIRY) return 'expires is not a date'
  }
  if (!isMaxAge(originalMaxAge)) return 'originalMaxAge is not a lifetime'
  if (!isMaxAge(maxAge)) return 'maxAge is not a lifetime'
  if (!isFlag(sameSite) && !(typeof sameSite === 'string' && SAME_SITE.has(sameSite.toLowerCase()))) return 'sameSite is invalid'
  if (!isFlag(secure) && secure !== 'auto') return 'secure is invalid'
  if (!isAbsent(path) && !(typeof path === 'string' && PATH.test(path))) return 'path is invalid'
  if (!isAbsent(domain) && !(typeof domain === 'string' && (domain === '' || DOMAIN.test(domain)))) return 'domain is invalid'
  if (!isFlag(cookie.httpOnly)) return 'httpOnly is invalid'
  if (!isFlag(cookie.partitioned)) return 'partitioned is invalid'
  return undefined
}

/**
 * A parsed payload as session data, or FST_CODEX_CORRUPT_VALUE: anything @fastify/session could not restore and
 * answer with (a bad cookie field, a field shadowing a Session method) loads as no session rather than a 500.
 */
export function checkedPayload (value: unknown): SessionData {
  if (!isRecord(value)) throw new CorruptValueError('a session must be an object')
  if (Object.hasOwn(value, '__proto__')) throw new CorruptValueError('it holds a __proto__ key')
  for (const name of CALLED_BY_THE_PLUGIN) {
    if (Object.hasOwn(value, name)) throw new CorruptValueError(`its field "${name}" would replace the Session's own`)
  }
  const cookie = value.cookie
  if (cookie === undefined) return value
  if (!isRecord(cookie)) throw new CorruptValueError('its cookie is not an object')
  const fault = cookieFault(cookie)
  if (fault !== undefined) throw new CorruptValueError(`its cookie.${fault}`)
  return value as SessionData
}
