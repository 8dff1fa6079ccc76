import type { Session } from 'fastify'
import type { SessionStore } from '@fastify/session'
import type { RedisClientLike } from '../connection/client-types.js'
import { RedisConnection } from '../connection/connection.js'
import { standaloneConnection } from '../connection/standalone.js'
import { InvalidOptionsError } from '../errors.js'
import { SessionAdmin, type StoredSession } from './admin.js'
import { adapt, settle, type StoreCallback } from './callback.js'
import { SessionCore } from './core.js'
import { SessionCursor } from './cursor.js'
import { deviceNote, type DeviceRequest } from './device.js'
import { resolveSessionOptions, type ResolvedSessionOptions, type SessionStoreOptions } from './options.js'
import type { SessionLike } from './payload.js'
import { DEVICES } from './state.js'
import { UserIndex } from './user-index.js'

export interface RedisSessionStoreOptions extends SessionStoreOptions {
  /** A connected @redis/client client (left open: closing it stays yours), or a connection from the plugins. */
  client: RedisClientLike | RedisConnection
  /** Milliseconds after which a command fails with FST_CODEX_REDIS_UNAVAILABLE (with `client` only). Default 2000. */
  commandTimeout?: number
}

type Done = (err?: Error | null) => void

function connectionFor (options: RedisSessionStoreOptions): RedisConnection {
  const { client, commandTimeout } = options
  if (client instanceof RedisConnection) return client
  if (client === undefined) throw new InvalidOptionsError('RedisSessionStore needs a client')
  return standaloneConnection(client, commandTimeout)
}

/** A @fastify/session Session (not a plain object from promise-style code): it has isSaved(). */
function isFastifySession (session: unknown): boolean {
  return typeof (session as { isSaved?: unknown }).isSaved === 'function'
}

/**
 * A @fastify/session store on Redis. Creates with SET NX, updates with SET XX, writes nothing for a
 * session that was only read, and fails loudly (503) whenever Redis does. Every method takes an optional
 * callback, connect-redis style: without one it returns a promise.
 */
export class RedisSessionStore implements SessionStore {
  readonly options: ResolvedSessionOptions
  /** Sessions by id and by user: destroy, count, ids, all, clear, listUser, revokeUser. */
  readonly sessions: SessionAdmin
  readonly #core: SessionCore
  /** True while a destroy callback runs: @fastify/session's regenerate() calls set() for the new session there. */
  #inDestroyCallback = false

  /** `internal.sealedOnError`: for codexSession, whose onError hook seals a failed save (state.ts: SaveFailure). */
  constructor (options: RedisSessionStoreOptions, internal?: { sealedOnError: boolean }) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionsError('RedisSessionStore needs options with a client')
    this.options = resolveSessionOptions(options)
    const connection = connectionFor(options)
    const users = this.options.userKey === undefined ? undefined : new UserIndex(connection, this.options, this.options.userKey)
    this.#core = new SessionCore(connection, this.options, users, internal?.sealedOnError === true)
    this.sessions = new SessionAdmin(connection, this.options, this.#core, users)
  }

  /**
   * With the `devices` option: notes the request's user agent and IP for the session it may create (recorded at that
   * session's first write, never in its fields). codexSession calls it; with @fastify/session of your own, call it
   * from an `onSend` hook added before @fastify/session: `store.noteRequest(request.session, request)`.
   */
  noteRequest (session: unknown, request: DeviceRequest): void {
    const note = deviceNote(this.options.devices, request)
    if (note !== undefined && typeof session === 'object' && session !== null) DEVICES.set(session, note)
  }

  get (sessionId: string): Promise<Session | null>
  get (sessionId: string, callback: StoreCallback<Session | null>): void
  get (sessionId: string, callback?: StoreCallback<Session | null>): Promise<Session | null> | undefined {
    return adapt(this.#core.load(sessionId) as Promise<Session | null>, callback, this.options.logger)
  }

  set (sessionId: string, session: Session): Promise<void>
  set (sessionId: string, session: Session, callback: Done): void
  set (sessionId: string, session: Session, callback?: Done): Promise<void> | undefined {
    // regenerate() stores its new session at once, then @fastify/session saves it again before a cookie names it:
    // the first write is deferred to that one (a login is one write; a rotation nobody saves, none).
    const deferCreate = this.#inDestroyCallback && isFastifySession(session)
    return adapt(this.#core.save(sessionId, session as unknown as SessionLike, deferCreate), callback, this.options.logger)
  }

  destroy (sessionId: string): Promise<void>
  destroy (sessionId: string, callback: Done): void
  destroy (sessionId: string, callback?: Done): Promise<void> | undefined {
    return adapt(this.#core.destroy(sessionId).then(() => {}), callback, this.options.logger, (call) => {
      this.#inDestroyCallback = true
      try {
        call()
      } finally {
        this.#inDestroyCallback = false
      }
    })
  }

  /** Moves the session's expiry as a write would (express-session calls it); nothing with `disableTouch`. */
  touch (sessionId: string, session: Session): Promise<void>
  touch (sessionId: string, session: Session, callback: Done): void
  touch (sessionId: string, session: Session, callback?: Done): Promise<void> | undefined {
    return adapt(this.#core.touch(sessionId, session as unknown as SessionLike).then(() => {}), callback, this.options.logger)
  }

  /** The number of stored sessions. */
  length (): Promise<number>
  length (callback: StoreCallback<number>): void
  length (callback?: StoreCallback<number>): Promise<number> | undefined {
    return adapt(this.sessions.count(), callback, this.options.logger)
  }

  /** The same as `length()`. */
  count (): Promise<number>
  count (callback: StoreCallback<number>): void
  count (callback?: StoreCallback<number>): Promise<number> | undefined {
    return adapt(this.sessions.count(), callback, this.options.logger)
  }

  /** Session ids: `for await` walks them batch by batch; `await` (or a callback) collects them in an array. */
  ids (): SessionCursor<string>
  ids (callback: StoreCallback<string[]>): void
  ids (callback?: StoreCallback<string[]>): SessionCursor<string> | undefined {
    return this.#collect(this.sessions.ids(), callback)
  }

  /** Stored sessions as `{ id, session }`: `for await` walks them batch by batch; `await` collects them. */
  all (): SessionCursor<StoredSession>
  all (callback: StoreCallback<StoredSession[]>): void
  all (callback?: StoreCallback<StoredSession[]>): SessionCursor<StoredSession> | undefined {
    return this.#collect(this.sessions.all(), callback)
  }

  /** Deletes every session (and user index) of this store's namespace: the number of sessions deleted. */
  clear (): Promise<number>
  clear (callback: StoreCallback<number>): void
  clear (callback?: StoreCallback<number>): Promise<number> | undefined {
    return adapt(this.sessions.clear(), callback, this.options.logger)
  }

  /** The cursor itself, or with a callback everything it walks. */
  #collect<T> (cursor: SessionCursor<T>, callback: StoreCallback<T[]> | undefined): SessionCursor<T> | undefined {
    if (typeof callback !== 'function') return cursor
    settle(cursor.toArray(), callback, this.options.logger)
    return undefined
  }
}
