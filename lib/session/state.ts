/**
 * What the store knows about a session that exists in Redis: enough to tell an update (SET XX) from
 * a create (SET NX), a real change from a read, and whether the expiry needs a refresh.
 *
 * A loaded session carries its state to @fastify/session's `Session` under MARKER: the Session copies
 * loaded fields with `for…in`, which skips Symbol keys, so only a string key survives. `toJSON`
 * returning `undefined` keeps the marker out of JSON, out of @fastify/session's change hash, and we
 * never store it. An accessor on the Session prototype (`installMarker`) takes it off as it is copied.
 */
export class SessionState {
  constructor (
    /** The session id this state belongs to: a copy carried into another Session (regenerate) is not its state. */
    readonly id: string,
    /** The payload text as stored: the session is unchanged while it would serialize to this again. */
    public text: string,
    /** `cookie.expires` exactly as stored (an ISO string), `null` for a browser-session cookie. */
    public storedExpires: string | null,
    /** When Redis drops the key (epoch ms, never later than the real expiry), `null` for no expiry. */
    public expiresAt: number | null,
    /** The indexed user id, when the store has a `userKey`. */
    public userId: string | undefined,
    /** `cookie.storeExpires` as in `text`: `undefined` for a payload written before it existed. */
    public textStoreExpires?: number
  ) {}

  toJSON (): undefined {
    return undefined
  }
}

export const MARKER = 'fastify-codex:session-state'

type Carrier = Record<PropertyKey, unknown>

// Symbol keys on the Session itself, not WeakMaps: invisible to Object.keys, for…in, JSON and @fastify/session's
// hash, and adding one keeps the Session a fast-mode object (a WeakMap set+get costs more per request).
const STATE = Symbol('fastify-codex:session-state')
const FAILURE = Symbol('fastify-codex:save-failure')

/** A save of this Session that failed on Redis or on a conflict. */
export interface SaveFailure {
  readonly error: Error
  /**
   * Sealed: every later save of the Session fails the same way without reaching Redis. When `store.set` fails in
   * onSend, Fastify runs onSend again for the error reply and @fastify/session saves again: that save must not reach
   * a recovered Redis and store a session the client was told was not saved. codexSession seals in `onError`, so a
   * handler that catches the error may still retry; a store used on its own seals at once (it sees no reply).
   */
  sealed: boolean
  /** The text of a create (SET NX) that timed out and may have landed: a retry that finds exactly it owns the key. */
  readonly created: string | undefined
}

export function failureOf (session: object): SaveFailure | undefined {
  return (session as Carrier)[FAILURE] as SaveFailure | undefined
}

export function rememberFailure (session: object, failure: SaveFailure): void {
  (session as Carrier)[FAILURE] = failure
}

export function forgetFailure (session: object): void {
  (session as Carrier)[FAILURE] = undefined
}

/** From the request's onError hook: the reply is an error now, and no later save of this Session may write. */
export function sealFailure (session: unknown): void {
  if (typeof session !== 'object' || session === null) return
  const failure = failureOf(session)
  if (failure !== undefined) failure.sealed = true
}

/** The state of a Session saved as `id`, whether it still carries the marker or was adopted. */
export function stateOf (session: object, id: string): SessionState | undefined {
  const kept = (session as Carrier)[STATE] ?? (session as Carrier)[MARKER]
  return kept instanceof SessionState && kept.id === id ? kept : undefined
}

export function rememberState (session: object, state: SessionState): void {
  (session as Carrier)[STATE] = state
}

/**
 * Makes MARKER an accessor on @fastify/session's Session prototype: the constructor's `this[key] = loaded[key]`
 * then keeps the state under a Symbol key and creates no string field, so `Object.keys(session)` never shows it (also after
 * `reload()`), and no `delete` turns the Session into a slow dictionary-mode object. Idempotent.
 */
export function installMarker (prototype: object): void {
  if (Object.hasOwn(prototype, MARKER)) return
  Object.defineProperty(prototype, MARKER, {
    configurable: true,
    enumerable: false,
    get (): undefined { return undefined },
    set (this: Carrier, value: unknown) { if (value instanceof SessionState) this[STATE] = value }
  })
}

/**
 * Moves a carried marker under the Symbol key and off the object: for a Session class whose prototype has no accessor
 * yet (another copy of @fastify/session), which gets one here, so the next Session of that copy needs no `delete`.
 */
export function adoptState (session: unknown): void {
  if (typeof session !== 'object' || session === null || !Object.hasOwn(session, MARKER)) return
  const carried = (session as Carrier)[MARKER]
  if (carried instanceof SessionState) (session as Carrier)[STATE] = carried
  delete (session as Carrier)[MARKER]
  const prototype = Object.getPrototypeOf(session) as object | null
  if (prototype !== null && prototype !== Object.prototype) installMarker(prototype)
}
