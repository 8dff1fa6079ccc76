import { sessionChannel, trace, type SessionContext, type SessionOperation } from './channels.js'
import type { SessionStats } from './stats.js'

const COUNTED: Record<Exclude<SessionOperation, 'load' | 'revokeUser'>, 'creates' | 'updates' | 'refreshes' | 'destroys'> = {
  create: 'creates', update: 'updates', refresh: 'refreshes', destroy: 'destroys'
}

/**
 * A store's session operations: counted for `stats()` whatever listens, traced on `fastify-codex:session` while
 * someone subscribes. Nothing of the session (id, cookie, fields, user id) reaches a context.
 */
export class SessionObserver {
  readonly #stats: SessionStats = { loads: 0, found: 0, creates: 0, updates: 0, refreshes: 0, destroys: 0, errors: 0 }

  stats (): SessionStats {
    return { ...this.#stats }
  }

  /** A load: `found` when `run` answers a session. */
  load<T> (run: () => Promise<T | null>): Promise<T | null> {
    return this.#observe('load', run, (session) => {
      this.#stats.loads++
      if (session === null) return 'missing'
      this.#stats.found++
      return 'found'
    })
  }

  /** A write or a delete of one session, counted unless `run` answers `false` (nothing removed, a refresh that lost the race). */
  write<T> (operation: 'create' | 'update' | 'refresh' | 'destroy', run: () => Promise<T>): Promise<T> {
    return this.#observe(operation, run, (result) => {
      if (result !== false) this.#stats[COUNTED[operation]]++
      return 'done'
    })
  }

  /** `revokeUser`: `run` answers how many sessions it destroyed. */
  revokeUser (run: () => Promise<number>): Promise<number> {
    return this.#observe('revokeUser', run, (count) => {
      this.#stats.destroys += count
      return 'done'
    })
  }

  #observe<T> (operation: SessionOperation, run: () => Promise<T>, settle: (result: T) => SessionContext['outcome']): Promise<T> {
    const failed = (err: unknown): never => {
      this.#stats.errors++
      throw err
    }
    if (!sessionChannel.hasSubscribers) return run().then((result) => { settle(result); return result }, failed)
    const ctx: SessionContext = { operation }
    return trace(sessionChannel, ctx, async () => {
      const result = await run().catch(failed)
      ctx.outcome = settle(result)
      return result
    })
  }
}
