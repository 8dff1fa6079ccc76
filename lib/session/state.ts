/**
 * What the store knows about a session that exists in Redis: enough to tell an update (SET XX) from
 * a create (SET NX), a real change from a read, and whether the expiry needs a refresh.
 *
 * A loaded session carries its state to @fastify/session's `Session` under MARKER: the Session copies
 * loaded fields with `for…in`, which skips Symbol keys, so only a string key survives. `toJSON`
 * returning `undefined` keeps the marker out of JSON, out of @fastify/session's change hash, and we
 * never store it. codexSession then moves it off the Session (`adopt`) before any handler runs.
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
    public userId: string | undefined
  ) {}

  toJSON (): undefined {
    return undefined
  }
}

export const MARKER = 'fastify-codex:session-state'

type Carrier = Record<string, unknown>

/** Sessions saved or adopted in this process, keyed by @fastify/session's Session object. */
const states = new WeakMap<object, SessionState>()

/**
 * A save that failed on Redis or on a conflict, per Session. When `store.set` fails in onSend, Fastify runs
 * onSend again for the error reply and @fastify/session saves again: that save must fail the same way,
 * not reach a recovered Redis and store a session the client was told was not saved.
 */
const failures = new WeakMap<object, Error>()

export function failureOf (session: object): Error | undefined {
  return failures.get(session)
}

export function rememberFailure (session: object, err: Error): void {
  failures.set(session, err)
}

/** The state of a Session saved as `id`, whether it still carries the marker or was adopted. */
export function stateOf (session: object, id: string): SessionState | undefined {
  const carried = (session as Carrier)[MARKER]
  const state = states.get(session) ?? (carried instanceof SessionState ? carried : undefined)
  return state?.id === id ? state : undefined
}

export function rememberState (session: object, state: SessionState): void {
  states.set(session, state)
}

/** Moves a carried marker into the registry and off the Session, so user code never sees it. */
export function adoptState (session: unknown): void {
  if (typeof session !== 'object' || session === null || !Object.hasOwn(session, MARKER)) return
  const carried = (session as Carrier)[MARKER]
  if (carried instanceof SessionState) states.set(session, carried)
  delete (session as Carrier)[MARKER]
}
