import { CorruptValueError, NotSerializableError } from '../errors.js'
import { jsonSerializer, type Serializer } from '../serializer.js'
import { decodeValue, encodeValue } from '../value-codec.js'
import type { ExpiringCookie } from './expiry.js'
import { checkedPayload } from './payload-check.js'
import { CARRIED, NO_META, type StoreMeta } from './state.js'

/** The part of @fastify/session's Cookie that is stored: what it restores a session's cookie from. */
export interface SessionCookie extends ExpiringCookie {
  sameSite?: unknown
  secure?: unknown
  path?: unknown
  httpOnly?: unknown
  domain?: unknown
  partitioned?: unknown
}

/** A @fastify/session Session as the store sees it: a `cookie` and the user's fields. */
export type SessionLike = { cookie?: SessionCookie } & Record<string, unknown>

/** A parsed payload: the object @fastify/session restores a session from. */
export type SessionData = { cookie?: Record<string, unknown> } & Record<string, unknown>

/**
 * The stored text: `{"cookie":{…},…fields}`, the shape every express-session store writes, in strict JSON.
 * `storeExpires` (when the key's PX runs out, never later than Redis's) is written with every PX: a load needs no PTTL.
 */
export function encodePayload (
  serializer: Serializer, session: SessionLike, expires: string | null, storeExpires?: number, seenAt?: number, meta: StoreMeta = NO_META
): string {
  // encodeValue: a custom serializer's failure (or non-string) gets FST_CODEX_NOT_SERIALIZABLE too.
  return encodeValue(serializer, buildPayload(session, expires, storeExpires, seenAt, meta))
}

/** A payload built once: its text by bare JSON.stringify (default serializer) or by the serializer (`strict`). */
export interface DraftPayload {
  readonly payload: Record<string, unknown>
  /** `undefined`: bare JSON.stringify threw (a cycle, a bigint); encodePayload names the culprit. */
  readonly text: string | undefined
  readonly strict: boolean
}

/**
 * The session as it would be stored, for comparing with the stored text. With the default serializer by bare
 * JSON.stringify: an equal text writes nothing, so the strict walk is left to a write (`finishPayload`).
 */
export function draftPayload (
  serializer: Serializer, session: SessionLike, expires: string | null, storeExpires: number | undefined, seenAt?: number, meta: StoreMeta = NO_META
): DraftPayload {
  const payload = buildPayload(session, expires, storeExpires, seenAt, meta)
  if (serializer !== jsonSerializer) return { payload, text: encodeValue(serializer, payload), strict: true }
  let text: string | undefined
  try {
    text = JSON.stringify(payload)
  } catch {}
  return { payload, text, strict: false }
}

/** The draft's text once it passes the serializer's checks (FST_CODEX_NOT_SERIALIZABLE otherwise): what is written. */
export function finishPayload (serializer: Serializer, draft: DraftPayload): string {
  if (draft.strict && draft.text !== undefined) return draft.text
  if (draft.text === undefined) return encodeValue(serializer, draft.payload)
  return jsonSerializer.checked(draft.payload, draft.text)
}

function buildPayload (
  session: SessionLike, expires: string | null, storeExpires: number | undefined, seenAt: number | undefined, meta: StoreMeta
): Record<string, unknown> {
  const cookie = session.cookie
  const { createdAt, userAgent, ip } = meta
  // A plain object (JSON.stringify's fast path): an own "__proto__" field would set its prototype, so it is refused.
  // JSON leaves out what is undefined: without userKey or absoluteTimeout the text is as before.
  const payload: Record<string, unknown> = {
    cookie: cookie === undefined
      ? { expires, storeExpires, seenAt, createdAt, userAgent, ip }
      : {
          expires,
          storeExpires,
          seenAt,
          createdAt,
          userAgent,
          ip,
          originalMaxAge: cookie.originalMaxAge ?? null,
          sameSite: cookie.sameSite,
          secure: cookie.secure,
          path: cookie.path,
          httpOnly: cookie.httpOnly,
          domain: cookie.domain,
          partitioned: cookie.partitioned
        }
  }
  // Object.keys: own enumerable fields, as JSON sees them; the Session's methods live on its prototype.
  for (const key of Object.keys(session)) {
    if (key === 'cookie' || key === CARRIED) continue
    if (key === '__proto__') throw new NotSerializableError('value.__proto__', 'a field named __proto__, which reading refuses as prototype poisoning')
    payload[key] = session[key]
  }
  return payload
}

// encodePayload writes the cookie first, `expires` then `storeExpires` first within it: with a JSON serializer, the text starts so.
const EXPIRES_PREFIX = '{"cookie":{"expires":'

function head (expires: string | null, storeExpires?: number, seenAt?: number): string {
  // Quoted as is: an ISO date needs no escape, and a stored one that did would only fail to match (then re-encoded).
  let text = EXPIRES_PREFIX + (expires === null ? 'null' : `"${expires}"`)
  if (storeExpires !== undefined) text += `,"storeExpires":${storeExpires}`
  return seenAt === undefined ? text : `${text},"seenAt":${seenAt}`
}

/**
 * The same payload text with another `cookie.expires` and `storeExpires`, by splicing rather than serializing the
 * session again; `undefined` when the text is not laid out as encodePayload's JSON (a custom serializer).
 */
export function replaceExpires (
  text: string, from: string | null, fromStore: number | undefined, to: string | null, toStore: number | undefined,
  fromSeen?: number, toSeen?: number
): string | undefined {
  if (from === to && fromStore === toStore && fromSeen === toSeen) return text
  const was = head(from, fromStore, fromSeen)
  // The next character ends the head: `,"storeExpires":12` must not match a text holding `,"storeExpires":123`.
  const next = text.charCodeAt(was.length)
  if (!text.startsWith(was) || (next !== 44 && next !== 125)) return undefined
  return head(to, toStore, toSeen) + text.slice(was.length)
}

/** The stored cookie as @fastify/session's Cookie reads it; one object shape, since its Session constructor spreads it. */
export function restoredCookie (stored: Record<string, unknown>): Record<string, unknown> {
  const { expires, originalMaxAge, sameSite, secure, path, httpOnly, domain } = stored
  // What our writes store (JSON has no undefined): one literal, one map.
  if (expires !== undefined && originalMaxAge !== undefined && sameSite !== undefined && secure !== undefined &&
    path !== undefined && httpOnly !== undefined && domain !== undefined && stored.partitioned === undefined && stored.maxAge === undefined) {
    return { expires, originalMaxAge, sameSite, secure, path, httpOnly, domain }
  }
  // Anything else (another writer's layout): the fields present, so an absent one leaves the plugin's option in place.
  const cookie: Record<string, unknown> = {}
  for (const key of COOKIE_FIELDS) if (stored[key] !== undefined) cookie[key] = stored[key]
  return cookie
}

// What @fastify/session's Cookie constructor reads from a restored cookie.
const COOKIE_FIELDS = ['expires', 'originalMaxAge', 'maxAge', 'sameSite', 'secure', 'path', 'httpOnly', 'domain', 'partitioned'] as const

/**
 * Text from Redis → session data, or FST_CODEX_CORRUPT_VALUE for what @fastify/session could not restore (payload-check.ts).
 * A promise only when the serializer's `parse` returns one (connect-redis documents an async parse).
 */
export function decodePayload (serializer: Serializer, text: string): SessionData | Promise<SessionData> {
  const value = decodeValue(serializer, text)
  if (!isThenable(value)) return checkedPayload(value)
  return Promise.resolve(value).then(checkedPayload, (err: unknown) => {
    throw new CorruptValueError(err instanceof Error ? err.message : String(err), { cause: err })
  })
}

/** The stored payload, or `undefined` when it is unreadable (it loads as no session). */
export async function readablePayload (serializer: Serializer, text: string): Promise<SessionData | undefined> {
  try {
    const decoded = decodePayload(serializer, text)
    return decoded instanceof Promise ? await decoded : decoded
  } catch {
    return undefined
  }
}

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

function finiteOrUndefined (value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** What the store wrote in a payload's cookie beside the Cookie's own fields (SessionState says what each is). */
export interface StoredStamps {
  readonly expires: string | null
  readonly storeExpires: number | undefined
  readonly seenAt: number | undefined
  readonly meta: StoreMeta
}

export function storedStamps (data: SessionData): StoredStamps {
  const cookie = data.cookie
  const expires = typeof cookie?.expires === 'string' ? cookie.expires : null
  const createdAt = finiteOrUndefined(cookie?.createdAt)
  const userAgent = typeof cookie?.userAgent === 'string' ? cookie.userAgent : undefined
  const ip = typeof cookie?.ip === 'string' ? cookie.ip : undefined
  const meta = createdAt === undefined && userAgent === undefined && ip === undefined ? NO_META : { createdAt, userAgent, ip }
  return { expires, storeExpires: finiteOrUndefined(cookie?.storeExpires), seenAt: finiteOrUndefined(cookie?.seenAt), meta }
}

/** Past its absoluteTimeout at `now` (`timeoutMs` undefined: never): it loads as no session. */
export function pastAbsoluteTimeout (data: SessionData, timeoutMs: number | undefined, now: number): boolean {
  const createdAt = storedStamps(data).meta.createdAt
  return timeoutMs !== undefined && createdAt !== undefined && createdAt + timeoutMs <= now
}

/** The user's fields of a payload or Session: everything but the cookie and the carried state. */
export function fieldNames (session: Record<string, unknown>): string[] {
  return Object.keys(session).filter((key) => key !== 'cookie' && key !== CARRIED)
}

/** The user id a session field holds: a non-empty string or a finite number, else none. */
export function userIdOf (value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}
