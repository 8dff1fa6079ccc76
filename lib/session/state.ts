/**
 * What the store keeps of a session beside its fields, in the stored cookie object and never handed to the Session
 * (restoredCookie drops it): when it was created (`absoluteTimeout`, devices) and the device that created it.
 */
export interface StoreMeta {
  readonly createdAt?: number
  readonly userAgent?: string
  readonly ip?: string
}

export const NO_META: StoreMeta = Object.freeze({})

/** What the store knows of a session as loaded, or as last written here. */
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
    public textStoreExpires?: number,
    /** `cookie.seenAt` as in `text` (with `userKey`): the last write or expiry refresh. */
    public textSeenAt?: number,
    /** Creation time and device, as stored: kept by every later write. */
    public meta: StoreMeta = NO_META
  ) {}
}

/**
 * The store's one seam with @fastify/session and express-session: both copy a loaded session's enumerable string keys
 * onto the Session they build (`for…in`), so the object `store.get` hands back carries, under CARRIED, an opaque token
 * that `save` reads its state from. The token shows nothing (its state is private) and its `toJSON` keeps it out of
 * JSON and both plugins' change hashes. test/unit/session-seam.test.ts fails loudly if an upgrade stops the copy.
 */
export const CARRIED = 'fastify-codex:session-state'

/** What CARRIED holds: frozen, its state in a private field that no reflection reaches (cheaper than a WeakMap). */
class CarriedToken {
  readonly #state: SessionState

  constructor (state: SessionState) {
    this.#state = state
    Object.freeze(this)
  }

  static stateOf (token: unknown): SessionState | undefined {
    return typeof token === 'object' && token !== null && #state in token ? token.#state : undefined
  }

  toJSON (): undefined {
    return undefined
  }
}

type Carrier = Record<PropertyKey, unknown>

// Keyed by object, never on it: no field, symbol or value of a session shows the store's bookkeeping.
/** The state of each Session's last write here. */
export const STATES = new WeakMap<object, SessionState>()
/** The last failed save of each Session, until one succeeds. */
export const FAILURES = new WeakMap<object, SaveFailure>()
/** The device of the request that may create each Session. */
export const DEVICES = new WeakMap<object, DeviceNote>()
const SAVING = new WeakMap<object, Promise<void>>()

/** The device a request came from (codexSession's hook), for the session it creates: never a session field. */
export interface DeviceNote { readonly userAgent?: string, readonly ip?: string }

/** Puts a loaded session's token on the object `store.get` hands back, for the Session built from it. */
export function carryState (data: object, state: SessionState): void {
  (data as Carrier)[CARRIED] = new CarriedToken(state)
}

/** The state of a Session saved as `id`: the one of its last write here, else the one carried from its load. */
export function stateOf (session: object, id: string): SessionState | undefined {
  const kept = STATES.get(session) ?? CarriedToken.stateOf((session as Carrier)[CARRIED])
  return kept !== undefined && kept.id === id ? kept : undefined
}

/** A save of this Session that failed on Redis or on a conflict. */
export interface SaveFailure {
  readonly error: Error
  /**
   * Sealed: every later save fails the same way without reaching Redis. When `store.set` fails in onSend, Fastify runs
   * onSend again for the error reply and @fastify/session saves again: that save must not store a session the client
   * was told was not saved. codexSession seals in `onError` (a handler may still retry); a lone store seals at once.
   */
  sealed: boolean
  /** The text of a create (SET NX) that timed out and may have landed: a retry that finds exactly it owns the key. */
  readonly created: string | undefined
}

/** From the request's onError hook: the reply is an error now, and no later save of this Session may write. */
export function sealFailure (session: unknown): void {
  if (typeof session !== 'object' || session === null) return
  const failure = FAILURES.get(session)
  if (failure !== undefined) failure.sealed = true
}

/**
 * Runs the saves of one Session one after the other: a second save while the first is in flight (a `save()` not
 * awaited before the plugin's own) then sees what the first wrote, an update and not a second create.
 */
export function inTurn (session: object, save: () => Promise<void>): Promise<void> {
  const before = SAVING.get(session)
  const saving = before === undefined ? save() : before.then(save)
  const settled = saving.then(undefined, () => {})
  SAVING.set(session, settled)
  settled.then(() => { if (SAVING.get(session) === settled) SAVING.delete(session) }, () => {})
  return saving
}
