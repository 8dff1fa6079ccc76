/** Where codexSession records its session cookie's name on the Fastify instance (read by the route cache). */
export const SESSION_COOKIE_NAME = Symbol.for('fastify-codex.session-cookie-name')

/**
 * The name of the cookie that brought a request its @fastify/session session, whatever its `cookieName`: the cookie
 * whose value is the session's `encryptedSessionId` (after any `cookiePrefix`). `undefined`: no valid session cookie.
 */
export function sessionCookieSent (request: { session?: unknown, cookies?: unknown }): string | undefined {
  const id = (request.session as { encryptedSessionId?: unknown } | null | undefined)?.encryptedSessionId
  const cookies = request.cookies as Record<string, unknown> | null | undefined
  if (typeof id !== 'string' || id === '' || cookies === null || typeof cookies !== 'object') return undefined
  for (const name in cookies) {
    const value = cookies[name]
    if (typeof value === 'string' && value.endsWith(id)) return name
  }
  return undefined
}

/** Whether a request carries credentials: an `authorization` header or the session cookie. */
export function hasCredentials (headers: Readonly<Record<string, string | string[] | undefined>>, sessionCookie: string | undefined): boolean {
  if (headers.authorization !== undefined) return true
  if (sessionCookie === undefined) return false
  const cookie = headers.cookie
  if (cookie === undefined) return false
  const text = Array.isArray(cookie) ? cookie.join(';') : cookie
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=')
    const name = (eq === -1 ? pair : pair.slice(0, eq)).trim()
    if (name === sessionCookie && eq !== -1 && pair.slice(eq + 1).trim() !== '') return true
  }
  return false
}
