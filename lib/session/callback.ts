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
  // nextTick: whatever the callback throws surfaces as an error of its own, not as an unhandled rejection here.
  const call = (err: Error | null, value?: T): void => {
    if (around === undefined) callback(err, value)
    else around(() => { callback(err, value) })
  }
  operation.then(
    (value) => { process.nextTick(call, null, value) },
    (err: unknown) => { process.nextTick(call, storeError(err)) })
}

function storeError (err: unknown): Error {
  if (err instanceof Error && (err as NodeJS.ErrnoException).code !== 'ENOENT') return err
  return translateRedisError(err)
}
