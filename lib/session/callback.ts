import { translateRedisError } from '../connection/translate-error.js'

export type StoreCallback<T> = (err: Error | null, value?: T) => void

/**
 * Adapts one async operation to @fastify/session's callback Store, once for get, set and destroy.
 * @fastify/session reads a store error with code ENOENT as "no session": such an error is never passed on.
 */
export function settle<T> (operation: Promise<T>, callback: StoreCallback<T>): void {
  operation.then(
    (value) => { callback(null, value) },
    (err: unknown) => { callback(storeError(err)) })
}

function storeError (err: unknown): Error {
  if (err instanceof Error && (err as NodeJS.ErrnoException).code !== 'ENOENT') return err
  return translateRedisError(err)
}
