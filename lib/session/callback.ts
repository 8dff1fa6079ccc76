import { translateRedisError } from '../connection/translate-error.js'

export type StoreCallback<T> = (err: Error | null, value?: T) => void

/**
 * Adapts one async operation to a store method's two styles, once for every method: with a callback
 * (@fastify/session, express-session) it settles the callback; without one (promise-style code) it returns
 * the promise. Either way @fastify/session never gets an error with code ENOENT, which it reads as "no session".
 */
export function adapt<T> (operation: Promise<T>, callback: StoreCallback<T> | undefined): Promise<T> | undefined {
  if (typeof callback !== 'function') return operation.catch((err: unknown) => { throw storeError(err) })
  settle(operation, callback)
  return undefined
}

/** Settles `callback` with the operation's outcome; `around` wraps the call (a flag set while it runs). */
export function settle<T> (operation: Promise<T>, callback: StoreCallback<T>, around?: (call: () => void) => void): void {
  const call = (err: Error | null, value?: T): void => {
    try {
      if (around === undefined) callback(err, value)
      else around(() => { callback(err, value) })
    } catch (thrown) {
      // Whatever the callback throws surfaces as an error of its own (uncaught), not as an unhandled rejection here.
      process.nextTick(rethrow, thrown)
    }
  }
  operation.then((value) => { call(null, value) }, (err: unknown) => { call(storeError(err)) })
}

function rethrow (err: unknown): never {
  throw err
}

function storeError (err: unknown): Error {
  if (err instanceof Error && (err as NodeJS.ErrnoException).code !== 'ENOENT') return err
  return translateRedisError(err)
}
