import { ErrorReply } from '@redis/client'
import { RedisCommandError, RedisUnavailableError, isCodexError } from '../errors.js'

// Replies that mean "the server cannot serve now", not "your command is wrong": callers should retry later.
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|NOREPLICAS)\b/

/**
 * The one place Redis client failures become fastify-codex errors. Raw system codes such as
 * `ENOENT` (a vanished unix socket) never escape: @fastify/session reads ENOENT as "no session".
 */
export function translateRedisError (err: unknown): Error {
  if (isCodexError(err)) return err
  if (isErrorReply(err)) {
    return UNAVAILABLE_REPLIES.test(err.message)
      ? new RedisUnavailableError(err.message, { cause: err })
      : new RedisCommandError(err.message, { cause: err })
  }
  const message = err instanceof Error ? describeFailure(err) : String(err)
  return new RedisUnavailableError(message, { cause: err })
}

/**
 * Whether Redis answered with an error. Also recognises replies from another copy of @redis/client
 * (the `redis` package bundles its own), whose ErrorReply class is not ours.
 */
export function isErrorReply (err: unknown): err is Error {
  if (err instanceof ErrorReply) return true
  if (!(err instanceof Error)) return false
  for (let proto: unknown = Object.getPrototypeOf(err); proto !== Error.prototype && proto !== null; proto = Object.getPrototypeOf(proto)) {
    if ((proto as { constructor?: { name?: unknown } }).constructor?.name === 'ErrorReply') return true
  }
  return false
}

function describeFailure (err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message
}
