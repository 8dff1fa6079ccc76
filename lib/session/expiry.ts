/** The part of @fastify/session's Cookie the expiry rules read. */
export interface ExpiringCookie {
  expires?: unknown
  originalMaxAge?: unknown
}

// With `rolling`, @fastify/session re-sends the cookie on every response: the Redis expiry moves (a write) only once
// this fraction of the lifetime is used up; until then the cookie goes out with the expiry Redis has.
export const REFRESH_FRACTION = 0.1

/** Epoch ms at which the session cookie expires, `null` for a browser-session cookie (no Expires). */
export function cookieExpiry (cookie: ExpiringCookie | undefined): number | null {
  const expires = cookie?.expires
  if (expires === null || expires === undefined) return null
  const time = expires instanceof Date ? expires.getTime() : new Date(expires as string | number).getTime()
  return Number.isNaN(time) ? null : time
}

/**
 * Whether the cookie rolls (`maxAge`): its expiry moves with use. Otherwise a set expiry is absolute: it is
 * part of the session's content, stored exactly, and never moved by a read.
 */
export function hasMaxAge (cookie: ExpiringCookie | undefined): boolean {
  const maxAge = cookie?.originalMaxAge
  return typeof maxAge === 'number' && maxAge > 0
}

/** Whole seconds, rounded up: Redis keeps a session at least as long as the cookie that names it. */
export function roundUpToSecond (ms: number): number {
  return Math.ceil(ms / 1000) * 1000
}

/** PX for writing a session now: `0` when it has already expired (delete it, never write it). */
export function writeTtl (now: number, expiresAt: number | null, ttlMs: number): number {
  if (expiresAt === null) return ttlMs
  return expiresAt <= now ? 0 : roundUpToSecond(expiresAt - now)
}

export type ExpiryPlan =
  /** No command. `cookieExpires`: send the cookie with this expiry (the one Redis has) instead. */
  | { readonly kind: 'keep', readonly cookieExpires?: number }
  | { readonly kind: 'refresh', readonly ttlMs: number }
  | { readonly kind: 'delete' }

const KEEP: ExpiryPlan = Object.freeze({ kind: 'keep' })
const DELETE: ExpiryPlan = Object.freeze({ kind: 'delete' })

/**
 * For a session whose content did not change: what to do about its expiry. `redisExpiresAt`: when Redis drops the
 * key, `null` for never. Invariant kept: the browser's cookie never outlives the Redis key.
 */
export function planExpiry (
  now: number,
  redisExpiresAt: number | null,
  cookie: ExpiringCookie | undefined,
  ttlMs: number
): ExpiryPlan {
  const cookieExpiresAt = cookieExpiry(cookie)
  if (cookieExpiresAt === null) {
    // A browser-session cookie: the `ttl` option is the server-side idle limit.
    if (ttlMs <= 0) return DELETE
    if (redisExpiresAt === null) return KEEP
    return now + ttlMs - redisExpiresAt >= ttlMs * REFRESH_FRACTION ? { kind: 'refresh', ttlMs } : KEEP
  }
  if (cookieExpiresAt <= now) return DELETE
  // An absolute expiry is written with the payload (a change of it is a change of content): nothing to roll.
  if (!hasMaxAge(cookie)) return KEEP
  if (redisExpiresAt === null) return KEEP
  // Shortened by the handler (writes round up by less than a second): Redis must not keep it longer.
  if (redisExpiresAt - cookieExpiresAt >= 1000) return { kind: 'refresh', ttlMs: roundUpToSecond(cookieExpiresAt - now) }
  if (cookieExpiresAt <= redisExpiresAt) return KEEP
  const lifetime = cookie?.originalMaxAge as number
  if (cookieExpiresAt - redisExpiresAt >= lifetime * REFRESH_FRACTION) {
    return { kind: 'refresh', ttlMs: roundUpToSecond(cookieExpiresAt - now) }
  }
  return { kind: 'keep', cookieExpires: redisExpiresAt }
}
