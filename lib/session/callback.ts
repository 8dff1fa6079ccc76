import { translateRedisError } from '../connection/translate-error.js'
import type { CodexLogger } from '../logger.js'

export type StoreCallback<T> = (err: Error | null, value?: T) => void

/**
 * Adapts one async operation to a store method's two styles, once for every method: with a callback
 * (@fastify/session, express-session) it settles the callback (see settle); without one (promise-style code) it
 * returns the promise. Either way @fastify/session never gets an error with code ENOENT, which it reads as "no session".
 */
export function adapt<T> (
  operation: Promise<T>, callback: StoreCallback<T> | undefined, logger: CodexLogger, around?: (call: () => void) => void
): Promise<T> | undefined {
  if (typeof callback !== 'function') return operation.catch((err: unknown) => { throw storeError(err) })
  settle(operation, callback, logger, around)
  return undefined
}

/**
 * Settles `callback` with the operation's outcome; `around` wraps the call (a flag set while it runs). Nothing the
 * callback throws leaves here: it runs outside any request, where a throw would end the process.
 */
export function settle<T> (
  operation: Promise<T>, callback: StoreCallback<T>, logger: CodexLogger, around?: (call: () => void) => void
): void {
  const invoke = (err: Error | null, value?: T): void => {
    if (around === undefined) callback(err, value)
    else around(() => { callback(err, value) })
  }
  const call = (err: Error | null, value?: T): void => {
    try {
      invoke(err, value)
    } catch (thrown) {
      let failure = thrown
      // A success the caller failed to handle (a cookie @fastify/session cannot serialize) goes back to it as its
      // error, as connect-redis does and as a synchronous store's throw would: that request answers 500.
      if (err === null) {
        try {
          invoke(thrown instanceof Error ? thrown : new Error(String(thrown)))
          return
        } catch (again) {
          failure = again
        }
      }
      logger.warn({ err: failure }, 'fastify-codex: a session store callback threw while handling an error; ignored')
    }
  }
  operation.then((value) => { call(null, value) }, (err: unknown) => { call(storeError(err)) })
}

function storeError (err: unknown): Error {
  if (err instanceof Error && (err as NodeJS.ErrnoException).code !== 'ENOENT') return err
  return translateRedisError(err)
}
