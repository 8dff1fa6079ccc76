import { InvalidOptionsError } from '../errors.js'
import { rejectUnknownOptions } from '../known-options.js'

/** @fastify/cookie's `fastify.serializeCookie`: the function that writes every Set-Cookie header. */
type SerializeCookie = (name: string, value: string, options: Record<string, unknown>) => string

// @fastify/session's `CookieOptions` (its types), @fastify/cookie's serialize options without `signed`.
const COOKIE_OPTIONS: ReadonlySet<string> = new Set([
  'domain', 'encode', 'expires', 'httpOnly', 'maxAge', 'partitioned', 'path', 'priority', 'sameSite', 'secure'
])

function check (ok: boolean, message: string): void {
  if (!ok) throw new InvalidOptionsError(message)
}

const isBoolean = (value: unknown): boolean => value === undefined || typeof value === 'boolean'
const oneOf = (value: unknown, names: readonly string[]): boolean =>
  value === undefined || (typeof value === 'string' && names.includes(value.toLowerCase()))

/**
 * Checks the session cookie's options at registration. A value the cookie serializer refuses would otherwise throw
 * in the first save's Set-Cookie, after the session was written. `serializeCookie` then writes one probe cookie with
 * them, so a domain or path is judged by the very rules (RFC 6265's) that write the real header.
 */
export function checkCookieOptions (cookie: unknown, cookieName: string, serializeCookie: SerializeCookie): void {
  if (cookie === undefined) return probe(cookieName, {}, serializeCookie)
  check(typeof cookie === 'object' && cookie !== null && !Array.isArray(cookie), 'cookie must be an object of cookie options')
  const options = cookie as Record<string, unknown>
  rejectUnknownOptions(options, COOKIE_OPTIONS, 'codexSession cookie')
  const { domain, path, expires, maxAge, secure, httpOnly, partitioned, sameSite, priority, encode } = options
  check(domain === undefined || typeof domain === 'string', 'cookie.domain must be a string')
  check(path === undefined || typeof path === 'string', 'cookie.path must be a string')
  check(expires === undefined || (expires instanceof Date && !Number.isNaN(expires.getTime())), 'cookie.expires must be a valid Date')
  check(maxAge === undefined || (typeof maxAge === 'number' && Number.isFinite(maxAge) && maxAge >= 0),
    `cookie.maxAge must be a finite, non-negative number of milliseconds, got ${typeof maxAge === 'string' ? `'${maxAge}'` : String(maxAge)}`)
  check(secure === undefined || typeof secure === 'boolean' || secure === 'auto', "cookie.secure must be true, false or 'auto'")
  check(isBoolean(httpOnly), 'cookie.httpOnly must be a boolean')
  check(isBoolean(partitioned), 'cookie.partitioned must be a boolean')
  check(typeof sameSite === 'boolean' || oneOf(sameSite, ['lax', 'strict', 'none']), "cookie.sameSite must be a boolean, 'lax', 'strict' or 'none'")
  check(oneOf(priority, ['low', 'medium', 'high']), "cookie.priority must be 'low', 'medium' or 'high'")
  check(encode === undefined || typeof encode === 'function', 'cookie.encode must be a function')
  // The Expires attribute @fastify/session derives from maxAge must be a date the serializer can write.
  const attributes: Record<string, unknown> = { ...options, secure: secure === true || secure === 'auto', maxAge: undefined }
  if (typeof maxAge === 'number' && maxAge > 0) attributes.expires = new Date(Date.now() + maxAge)
  probe(cookieName, attributes, serializeCookie)
}

function probe (cookieName: string, attributes: Record<string, unknown>, serializeCookie: SerializeCookie): void {
  try {
    serializeCookie(cookieName, 'probe', attributes)
  } catch (err) {
    throw new InvalidOptionsError(`the session cookie cannot be written with these options: ${(err as Error).message}`)
  }
}
