import { ErrorReply } from '@redis/client'
import { RedisCommandError, RedisUnavailableError } from '../errors.js'

// Replies that mean "the server cannot serve now", not "your command is wrong": callers should retry later.
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|NOREPLICAS)\b/

/**
 * The one place Redis client failures become fastify-codex errors. Raw system codes such as
 * `ENOENT` (a vanished unix socket) never escape: @fastify/session reads ENOENT as "no session".
 */
export function translateRedisError (err: unknown): Error {
  if (err instanceof RedisUnavailableError || err instanceof RedisCommandError) return err
  if (err instanceof ErrorReply) {
    return UNAVAILABLE_REPLIES.test(err.message)
      ? new RedisUnavailableError(err.message, { cause: err })
      : new RedisCommandError(err.message, { cause: err })
  }
  const message = err instanceof Error ? describeFailure(err) : String(err)
  return new RedisUnavailableError(message, { cause: err })
}

function describeFailure (err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message
}
