import type { Session } from 'fastify'
import type { SessionStore } from '@fastify/session'
import type { RedisClientLike } from '../connection/client-types.js'
import { RedisConnection } from '../connection/connection.js'
import { standaloneConnection } from '../connection/standalone.js'
import { InvalidOptionsError } from '../errors.js'
import { SessionAdmin } from './admin.js'
import { settle } from './callback.js'
import { SessionCore } from './core.js'
import { resolveSessionOptions, type ResolvedSessionOptions, type SessionStoreOptions } from './options.js'
import type { SessionLike } from './payload.js'
import { UserIndex } from './user-index.js'

export interface RedisSessionStoreOptions extends SessionStoreOptions {
  /** A connected @redis/client client (left open: closing it stays yours), or a connection from the plugins. */
  client: RedisClientLike | RedisConnection
  /** Milliseconds after which a command fails with FST_CODEX_REDIS_UNAVAILABLE (with `client` only). Default 2000. */
  commandTimeout?: number
}

function connectionFor (options: RedisSessionStoreOptions): RedisConnection {
  const { client, commandTimeout } = options
  if (client instanceof RedisConnection) return client
  if (client === undefined) throw new InvalidOptionsError('RedisSessionStore needs a client')
  return standaloneConnection(client, commandTimeout)
}

/**
 * A @fastify/session store on Redis. Creates with SET NX, updates with SET XX, writes nothing for a
 * session that was only read, and fails loudly (503) whenever Redis does.
 */
export class RedisSessionStore implements SessionStore {
  readonly options: ResolvedSessionOptions
  /** Sessions by id and by user: destroy, count, listUser, revokeUser. */
  readonly sessions: SessionAdmin
  readonly #core: SessionCore

  constructor (options: RedisSessionStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionsError('RedisSessionStore needs options with a client')
    this.options = resolveSessionOptions(options)
    const connection = connectionFor(options)
    const users = this.options.userKey === undefined ? undefined : new UserIndex(connection, this.options, this.options.userKey)
    this.#core = new SessionCore(connection, this.options, users)
    this.sessions = new SessionAdmin(connection, this.options, this.#core, users)
  }

  get (sessionId: string, callback: (err: Error | null, session?: Session | null) => void): void {
    settle(this.#core.load(sessionId) as Promise<Session | null>, callback)
  }

  set (sessionId: string, session: Session, callback: (err?: Error | null) => void): void {
    settle(this.#core.save(sessionId, session as unknown as SessionLike), callback)
  }

  destroy (sessionId: string, callback: (err?: Error | null) => void): void {
    settle(this.#core.destroy(sessionId), (err) => { callback(err) })
  }
}
