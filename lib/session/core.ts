import { NotSerializableError, SessionInterruptedError } from '../errors.js'
import type { RedisConnection } from '../connection/connection.js'
import { cookieExpiry, hasMaxAge, planExpiry, writeTtl } from './expiry.js'
import { assertSessionId, isSessionId, redactSessionId, sessionKey } from './keys.js'
import type { ResolvedSessionOptions } from './options.js'
import { LuaScript } from '../connection/scripts.js'
import { decodePayload, draftPayload, encodePayload, finishPayload, readablePayload, replaceExpires, restoredCookie, storedStamps, userIdOf, type SessionData, type SessionLike } from './payload.js'
import { DEVICES, FAILURES, NO_META, STATES, SessionState, carryState, inTurn, stateOf, type StoreMeta } from './state.js'
import type { UserIndex } from './user-index.js'
import { updateIfLoaded, type Lifetime, type Write } from './update.js'
import { Refreshes } from './refreshes.js'
import { SessionObserver } from '../observe/session-observer.js'

// A refresh rewrites the payload (its storeExpires): only if it is still the text loaded, else another write has set both.
const REFRESH_UNCHANGED = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`)

// Unlinks a session and answers what it held: store.destroy is given only the id, and the index needs the user.
const TAKE = new LuaScript(`
local text = redis.pcall('GET', KEYS[1])
local removed = redis.call('UNLINK', KEYS[1])
if type(text) ~= 'string' then text = '' end
return {removed, text}`)

/** What one save attempt sent: the text of a SET NX, should it time out and land later. */
interface Attempt { created: string | undefined }

/** PX no later than the cap (absoluteTimeout); `0` once it has passed. */
function capTtl (px: number, now: number, cap: number | undefined): number {
  if (cap === undefined || px === 0) return px
  return Math.max(0, Math.min(px, cap - now))
}

/** A cookie with an expiry is sent with no later one than the cap; a browser-session cookie stays one. */
function capCookie (session: SessionLike, cap: number): void {
  const expiresAt = cookieExpiry(session.cookie)
  if (expiresAt !== null && expiresAt > cap && session.cookie !== undefined) session.cookie.expires = new Date(cap)
}

/**
 * The one async implementation of load, save, touch and destroy. Every Redis failure surfaces as a coded
 * error (503/500/409); none is ever turned into "no session".
 */
export class SessionCore {
  readonly #connection: RedisConnection
  readonly #options: ResolvedSessionOptions
  readonly #users: UserIndex | undefined
  /** Whether something outside (codexSession's onError hook) seals failures once the reply is an error. */
  readonly #sealedOnError: boolean
  /** Counts (stats()) and traces (`fastify-codex:session`) loads, writes and destroys. */
  readonly observer = new SessionObserver()
  /** The refresh of each session last sent: concurrent requests of one session send one between them. */
  readonly #refreshes = new Refreshes()

  constructor (connection: RedisConnection, options: ResolvedSessionOptions, users: UserIndex | undefined, sealedOnError: boolean) {
    this.#connection = connection
    this.#options = options
    this.#users = users
    this.#sealedOnError = sealedOnError
  }

  /** The stored session (carrying its state, see state.ts), or `null` when there is none, it has expired or is unreadable. */
  load (id: string): Promise<SessionData | null> {
    return this.observer.load(() => this.#load(id))
  }

  async #load (id: string): Promise<SessionData | null> {
    if (!isSessionId(id)) return null
    const key = sessionKey(this.#options.prefix, id)
    const sentAt = Date.now()
    // One GET: the key's expiry travels in the payload (`storeExpires`, written with every PX).
    const text = await this.#connection.run((c) => c.get(key))
    if (text === null) return null
    let data: SessionData
    try {
      const decoded = decodePayload(this.#options.serializer, text)
      data = decoded instanceof Promise ? await decoded : decoded
    } catch (err) {
      this.#options.logger.warn({ err, session: redactSessionId(id) },
        'fastify-codex: unreadable session payload ignored; the request gets a fresh session')
      return null
    }
    const { expires: stored, storeExpires: inText, seenAt, meta } = storedStamps(data)
    // absoluteTimeout: over at creation + the timeout, to the millisecond, whatever the TTL says.
    const cap = this.#capOf(meta)
    if (cap !== undefined && cap <= sentAt) return null
    if (data.cookie !== undefined) data.cookie = restoredCookie(data.cookie)
    let expiresAt: number | null = inText ?? null
    if (inText === undefined || inText <= sentAt) {
      // Written before storeExpires, or the key outlived it (moved out by store.touch or by hand): Redis has the truth.
      const askedAt = Date.now()
      const pttl = await this.#connection.run((c) => c.pTTL(key))
      if (pttl === -2) return null
      expiresAt = pttl >= 0 ? askedAt + pttl : null
    }
    if (stored !== null && data.cookie !== undefined) {
      if (hasMaxAge(data.cookie)) {
        // A rolling expiry: hand @fastify/session the one the key has, never a later one.
        if (expiresAt !== null) data.cookie.expires = new Date(expiresAt).toISOString()
      } else if (Date.parse(stored) <= sentAt) {
        // An absolute expiry is exact in the payload (Redis's TTL is rounded up to the second): over, to the millisecond.
        return null
      }
    }
    carryState(data, new SessionState(id, text, stored, expiresAt, this.#userIdOf(data), inText, seenAt, meta))
    return data
  }

  /**
   * Stores the session if it changed, else at most moves its expiry. `deferCreate`: a new session handed over
   * by `regenerate()`, which @fastify/session saves again before any cookie names it: written then, once.
   */
  save (id: string, session: SessionLike, deferCreate: boolean): Promise<void> {
    assertSessionId(id)
    return inTurn(session, () => this.#saveInTurn(id, session, deferCreate))
  }

  async #saveInTurn (id: string, session: SessionLike, deferCreate: boolean): Promise<void> {
    const failure = FAILURES.get(session)
    if (failure?.sealed === true) throw failure.error
    const attempt: Attempt = { created: undefined }
    try {
      // A read settles without waiting on anything: only a write, a refresh or a delete hands back a promise.
      const pending = this.#save(id, session, stateOf(session, id), failure?.created, attempt, deferCreate)
      if (pending !== undefined) await pending
    } catch (err) {
      // Refused data fails the same way again by itself, and the handler may have fixed it since.
      if (!(err instanceof NotSerializableError)) {
        FAILURES.set(session, { error: err as Error, sealed: !this.#sealedOnError, created: attempt.created ?? failure?.created })
      }
      throw err
    }
    if (failure !== undefined) FAILURES.delete(session)
  }

  /** Moves a stored session's expiry as `set` would compute it, never creating it: whether it exists. */
  async touch (id: string, session: SessionLike): Promise<boolean> {
    assertSessionId(id)
    if (this.#options.disableTouch) return true
    const now = Date.now()
    const cap = this.#capOf(stateOf(session, id)?.meta ?? NO_META)
    const px = capTtl(writeTtl(now, cookieExpiry(session.cookie), this.#options.idleTtlMs(session)), now, cap)
    if (px === 0) return await this.#unlink(id, undefined)
    return await this.#connection.run((c) => c.pExpire(sessionKey(this.#options.prefix, id), px)) === 1
  }

  /** Whether a session was removed. */
  destroy (id: string): Promise<boolean> {
    return this.observer.write('destroy', () => this.#destroy(id))
  }

  async #destroy (id: string): Promise<boolean> {
    if (!isSessionId(id)) return false
    const users = this.#users
    if (users === undefined) return await this.#unlink(id, undefined)
    const key = sessionKey(this.#options.prefix, id)
    // Logout and regenerate: the id leaves its user's index, else an active user's set grows with every login.
    const [removed, text] = await this.#connection.run((c) => TAKE.run(c, [key], [])) as [number, string]
    // An unreadable payload names no user: the index prunes its entry when read.
    const data = text === '' ? undefined : await readablePayload(this.#options.serializer, text)
    const userId = data === undefined ? undefined : this.#userIdOf(data)
    if (userId !== undefined) await users.remove(userId, id)
    return removed > 0
  }

  #save (
    id: string, session: SessionLike, state: SessionState | undefined,
    created: string | undefined, attempt: Attempt, deferCreate: boolean
  ): Promise<void> | undefined {
    const now = Date.now()
    const serializer = this.#options.serializer
    // A session stored before absoluteTimeout was on has no creation time: its count starts at this write.
    const stamp = state !== undefined && state.meta.createdAt === undefined && this.#options.absoluteTimeoutMs !== undefined
    const meta = stamp ? { ...state.meta, createdAt: now } : state?.meta ?? this.#newMeta(session, now)
    const cap = this.#capOf(meta)
    const { cookieExpiresAt, expires, px, storeExpires } = this.#lifetime(session, now, cap)
    const seenAt = this.#options.userKey === undefined ? undefined : now
    // Serialized once, before anything is sent: data that is not strict JSON leaves the stored session as it was.
    let text: string | undefined
    if (state !== undefined && !stamp && (cookieExpiresAt !== null) === (state.storedExpires !== null)) {
      // Content as stored, up to the expiry: then a read-only request writes no payload.
      // An absolute expiry is content: shortening or lengthening it is written, never left to a TTL refresh.
      const expiryMoved = expires !== state.storedExpires && cookieExpiresAt !== null && !hasMaxAge(session.cookie)
      const draft = draftPayload(serializer, session, state.storedExpires, state.textStoreExpires, state.textSeenAt, state.meta)
      if (!expiryMoved && draft.text === state.text) return this.#touch(id, session, state, now, cap)
      const asStored = finishPayload(serializer, draft)
      text = replaceExpires(asStored, state.storedExpires, state.textStoreExpires, expires, storeExpires, state.textSeenAt, seenAt)
    }
    if (state === undefined && deferCreate) return undefined
    text ??= encodePayload(serializer, session, expires, storeExpires, seenAt, meta)
    // Past its expiry: deleted, never written with a TTL <= 0 (a destroy when something was stored, else nothing).
    if (px === 0) {
      if (state === undefined && created === undefined) return undefined
      return this.observer.write('destroy', () => this.#unlink(id, state?.userId)).then(() => {})
    }
    const writing = this.observer.write(state === undefined ? 'create' : 'update', () => this.#write(id, session, state, created, attempt, { text, px, expires, storeExpires, seenAt, meta }))
    // Only the creation stamp changed: a read-only request must not fail because the session ended meanwhile.
    if (stamp && draftPayload(serializer, session, state.storedExpires, state.textStoreExpires, state.textSeenAt, state.meta).text === state.text) {
      return writing.catch((err: unknown) => { if (!(err instanceof SessionInterruptedError)) throw err })
    }
    return writing
  }

  async #write (
    id: string, session: SessionLike, state: SessionState | undefined, created: string | undefined, attempt: Attempt,
    write: Write
  ): Promise<void> {
    const key = sessionKey(this.#options.prefix, id)
    // A merge may take another save's cookie lifetime ("remember me"): then the expiry is computed again from it.
    const lifetime = (): Lifetime => this.#lifetime(session, Date.now(), this.#capOf(write.meta))
    const { text, px, expires, storeExpires, seenAt, meta } = state === undefined
      ? await this.#create(key, write, created, attempt)
      : await updateIfLoaded(this.#connection, this.#options.serializer, key, session, state, write, lifetime)
    const userId = this.#userIdOf(session)
    const previousUser = state?.userId
    STATES.set(session, new SessionState(id, text, expires, storeExpires, userId, storeExpires, seenAt, meta))
    const users = this.#users
    if (users === undefined) return
    await Promise.all([
      userId === undefined ? undefined : users.add(userId, id, px),
      previousUser === undefined || previousUser === userId ? undefined : users.remove(previousUser, id)
    ])
  }

  /** SET NX: a create never overwrites an id in use. */
  async #create (key: string, write: Write, created: string | undefined, attempt: Attempt): Promise<Write> {
    const { text, px } = write
    attempt.created = text
    let reply = await this.#connection.run((c) => c.set(key, text, { expiration: { type: 'PX', value: px }, condition: 'NX' }))
    // A retried create: the earlier, timed-out SET NX may have landed. Exactly its text there means the key is ours.
    if (reply === null && created !== undefined) {
      const found = await this.#connection.run((c) => c.get(key))
      if (found === created) reply = await this.#connection.run((c) => c.set(key, text, { expiration: { type: 'PX', value: px }, condition: 'XX' }))
    }
    if (reply === null) throw new SessionInterruptedError('was not created: its id is already in use')
    return write
  }

  #touch (id: string, session: SessionLike, state: SessionState, now: number, cap: number | undefined): Promise<void> | undefined {
    let plan = planExpiry(now, state.expiresAt, session.cookie, this.#options.idleTtlMs(session))
    if (plan.kind === 'refresh' && cap !== undefined && now + plan.ttlMs > cap) {
      // Capped by absoluteTimeout: a key that already expires at the cap has nothing to move.
      plan = state.expiresAt !== null && state.expiresAt >= cap
        ? { kind: 'keep', cookieExpires: state.expiresAt }
        : { kind: 'refresh', ttlMs: cap - now }
    }
    // disableTouch: use never moves the expiry out (shortening by the handler still reaches Redis).
    if (plan.kind === 'refresh' && this.#options.disableTouch && (state.expiresAt === null || now + plan.ttlMs > state.expiresAt)) {
      plan = { kind: 'keep', cookieExpires: state.expiresAt ?? undefined }
    }
    if (plan.kind === 'keep') {
      // The cookie goes out with the expiry Redis has: the browser never holds it longer than Redis.
      if (plan.cookieExpires !== undefined && session.cookie !== undefined && cookieExpiry(session.cookie) !== null) {
        session.cookie.expires = new Date(plan.cookieExpires)
      }
      return undefined
    }
    if (plan.kind === 'delete') return this.observer.write('destroy', () => this.#unlink(id, state.userId)).then(() => {})
    // Sent already over the text this request loaded: its own would find the key changed and write nothing.
    const sent = this.#refreshes.over(id, state.text)
    if (sent !== undefined) return sent.then(() => {})
    return this.observer.write('refresh', () => this.#refresh(id, session, state, now, plan.ttlMs)).then(() => {})
  }

  /** Deletes a session, and its entry in the index of `userId` with it (sent together): whether it existed. */
  async #unlink (id: string, userId: string | undefined): Promise<boolean> {
    const key = sessionKey(this.#options.prefix, id)
    const users = this.#users
    const [removed] = await Promise.all([
      this.#connection.run((c) => c.unlink(key)),
      users === undefined || userId === undefined ? undefined : users.remove(userId, id)
    ])
    return removed > 0
  }

  /** Whether it wrote: a refresh that found the key changed (another request's write or refresh) wrote nothing. */
  async #refresh (id: string, session: SessionLike, state: SessionState, now: number, ttl: number): Promise<boolean> {
    // The payload carries the key's expiry, so a refresh rewrites both (REFRESH_UNCHANGED: only over the text loaded).
    const storeExpires = now + ttl
    const cookieExpiresAt = cookieExpiry(session.cookie)
    const expires = cookieExpiresAt === null ? null : new Date(cookieExpiresAt).toISOString()
    const seenAt = this.#options.userKey === undefined ? undefined : now
    const text = replaceExpires(state.text, state.storedExpires, state.textStoreExpires, expires, storeExpires, state.textSeenAt, seenAt) ??
      encodePayload(this.#options.serializer, session, expires, storeExpires, seenAt, state.meta)
    const from = state.text
    const key = sessionKey(this.#options.prefix, id)
    const reply = this.#connection.run((c) => REFRESH_UNCHANGED.run(c, [key], [from, text, String(ttl)]))
    this.#refreshes.keep(id, from, reply)
    const found = await reply
    if (found !== 1) return false
    state.text = text
    state.storedExpires = expires
    state.textStoreExpires = storeExpires
    state.textSeenAt = seenAt
    state.expiresAt = storeExpires
    if (this.#users !== undefined && state.userId !== undefined) await this.#users.add(state.userId, id, ttl)
    return true
  }

  /** A write's expiry from the Session's cookie now: its `expires` (ISO), PX and `storeExpires`. */
  #lifetime (session: SessionLike, now: number, cap: number | undefined): Lifetime & { cookieExpiresAt: number | null } {
    // absoluteTimeout: the cookie never says later than creation + the timeout.
    if (cap !== undefined) capCookie(session, cap)
    const cookieExpiresAt = cookieExpiry(session.cookie)
    const expires = cookieExpiresAt === null ? null : new Date(cookieExpiresAt).toISOString()
    const px = capTtl(writeTtl(now, cookieExpiresAt, this.#options.idleTtlMs(session)), now, cap)
    // Taken before the write is sent: never later than the moment Redis drops the key.
    return { cookieExpiresAt, expires, px, storeExpires: now + px }
  }

  /** When a session with this record ends for good (absoluteTimeout), `undefined` for never. */
  #capOf (meta: StoreMeta): number | undefined {
    const timeout = this.#options.absoluteTimeoutMs
    return timeout === undefined || meta.createdAt === undefined ? undefined : meta.createdAt + timeout
  }

  /** The record a session gets at its first write: its creation time, and the device noted by codexSession's hook. */
  #newMeta (session: SessionLike, now: number): StoreMeta {
    if (!this.#options.stampsCreation) return NO_META
    const device = this.#options.devices === undefined ? undefined : DEVICES.get(session)
    return { createdAt: now, userAgent: device?.userAgent, ip: device?.ip }
  }

  #userIdOf (session: Record<string, unknown>): string | undefined {
    const userKey = this.#options.userKey
    return userKey === undefined ? undefined : userIdOf(session[userKey])
  }
}
