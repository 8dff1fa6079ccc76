import { translateRedisError } from '../connection/translate-error.js'

export type StoreCallback<T> = (err: Error | null, value?: T) => void

/**
 * Adapts one async operation to @fastify/session's callback Store, once for get, set and destroy.
 * @fastify/session reads a store error with code ENOENT as "no session": such an error is never passed on.
 */
export function settle<T> (operation: Promise<T>, callback: StoreCallback<T>): void {
  // nextTick: whatever the callback throws surfaces as an error of its own, not as an unhandled rejection here.
  operation.then(
    (value) => { process.nextTick(callback, null, value) },
    (err: unknown) => { process.nextTick(callback, storeError(err)) })
}

function storeError (err: unknown): Error {
  if (err instanceof Error && (err as NodeJS.ErrnoException).code !== 'ENOENT') return err
  return translateRedisError(err)
}
