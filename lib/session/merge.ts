import { cookieExpiry, hasMaxAge, type ExpiringCookie } from './expiry.js'
import { fieldNames, type SessionLike } from './payload.js'

/** Two values are the same field value when they serialize alike (payloads are strict JSON). */
function same (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Folds another request's save into this Session, field by field (top-level fields; the cookie: mergeLifetime).
 * `base`: the payload this request loaded; `theirs`: the payload stored since. For each field:
 * - changed only by them (set, changed or deleted): theirs is taken;
 * - changed only here: this request's value stays;
 * - changed by both: this, the later save, wins, except that a deletion on one side never beats a value the
 *   other side set (a field deleted by one stays deleted unless the other changed it).
 */
export function mergeFields (base: Record<string, unknown>, session: Record<string, unknown>, theirs: Record<string, unknown>): void {
  const names = new Set([...fieldNames(base), ...fieldNames(session), ...fieldNames(theirs)])
  for (const name of names) {
    const was = base[name]
    const mine = session[name]
    const other = theirs[name]
    const changedHere = !same(mine, was)
    const changedThere = !same(other, was)
    if (!changedThere) continue
    if (changedHere && !(mine === undefined && other !== undefined)) continue
    if (other === undefined) delete session[name]
    else session[name] = other
  }
}

/** A cookie's lifetime as a handler sets it: its `maxAge` when it rolls, else its absolute expiry (or none). */
function lifetimeOf (cookie: ExpiringCookie | undefined): string {
  return hasMaxAge(cookie) ? `maxAge ${String(cookie?.originalMaxAge)}` : `expires ${String(cookieExpiry(cookie))}`
}

/**
 * Folds the other save's cookie lifetime ("remember me": `cookie.maxAge`, or an absolute `expires`) into this
 * Session's cookie when only that save changed it; changed by both, this (later) save's stays. Whether it was taken:
 * then the write's PX and expiry are computed again from the cookie.
 */
export function mergeLifetime (base: Record<string, unknown>, session: SessionLike, theirs: Record<string, unknown>): boolean {
  const was = lifetimeOf(cookieOf(base))
  const other = cookieOf(theirs)
  const cookie = session.cookie
  if (cookie === undefined || lifetimeOf(other) === was || lifetimeOf(cookie) !== was) return false
  // As the other save stored it: a rolling expiry then rolls on from there, like any loaded one.
  const maxAge = other?.originalMaxAge
  const expiresAt = cookieExpiry(other)
  cookie.originalMaxAge = hasMaxAge(other) ? maxAge : null
  cookie.expires = expiresAt === null ? null : new Date(expiresAt)
  return true
}

function cookieOf (payload: Record<string, unknown>): ExpiringCookie | undefined {
  const cookie = payload.cookie
  return typeof cookie === 'object' && cookie !== null ? cookie : undefined
}
