import { ErrorReply } from '@redis/client'
import { InvalidOptionsError, RedisCommandError, RedisUnavailableError, isCodexError } from '../errors.js'

// Replies that mean "the server cannot serve now", not "your command is wrong": callers should retry later.
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|NOREPLICAS)\b/

/**
 * The one place Redis client failures become fastify-codex errors. Raw system codes such as
 * `ENOENT` (a vanished unix socket) never escape: @fastify/session reads ENOENT as "no session".
 */
export function translateRedisError (err: unknown): Error {
  if (isCodexError(err)) return err
  // Messages name the failure's kind; its text stays in `cause`, which loggers print after the message.
  if (isErrorReply(err)) {
    const kind = replyKind(err.message)
    return UNAVAILABLE_REPLIES.test(err.message)
      ? new RedisUnavailableError(`it answered ${kind}`, { cause: err })
      : new RedisCommandError(kind, { cause: err })
  }
  if (!(err instanceof Error)) return new RedisUnavailableError(String(err), { cause: err })
  return new RedisUnavailableError(failureKind(err), { cause: err })
}

/**
 * A failure while connecting that retrying cannot cure, reported at once: Redis refused the connection's setup
 * (`SELECT 99`: DB index out of range, `AUTH`: WRONGPASS, `HELLO` on a server too old: a configuration error, in
 * Redis's own words), or the server speaks another protocol. Anything else (refused, timed out, LOADING) may pass:
 * `undefined`, keep trying.
 */
export function translateSetupError (err: unknown, target: string): Error | undefined {
  // A sentinel wraps its node clients' errors (`Master Client (h:p): …`) with the original as cause.
  const reply = isErrorReply(err) ? err : err instanceof Error && isErrorReply(err.cause) ? err.cause : undefined
  if (reply === undefined || UNAVAILABLE_REPLIES.test(reply.message)) return foreignProtocolError(err, target)
  return new InvalidOptionsError(`${target} refused the connection's setup (check the url's database, username and password): ${reply.message}`)
}

// @redis/client's RESP decoder names the first byte it cannot read: `Unknown RESP type 72 "H"`.
const UNKNOWN_RESP_TYPE = /^Unknown RESP type (\d+)/

/** A server that answered in another protocol (an HTTP server on the Redis port), in words that say what was found. */
function foreignProtocolError (err: unknown, target: string): Error | undefined {
  if (isCodexError(err)) return undefined
  const found = [err, (err as { cause?: unknown } | null)?.cause].find((e) => e instanceof Error && UNKNOWN_RESP_TYPE.test(e.message))
  if (found === undefined) return undefined
  const byte = Number(UNKNOWN_RESP_TYPE.exec((found as Error).message)?.[1])
  // HTTP responses start with "HTTP/", TLS records with 0x15 (alert) or 0x16 (handshake).
  const like = byte === 0x48 ? 'like an HTTP server' : byte === 0x15 || byte === 0x16 ? 'in TLS: use rediss://' : `with the byte ${byte}`
  return new RedisUnavailableError(`the server at ${target} does not speak the Redis protocol (it answered ${like})`, { cause: found })
}

// A TLS handshake that fails at the protocol level (or is never answered: a plain-text Redis waits for a newline).
const TLS_MISMATCH = /^(ERR_SSL_|EPROTO$|ECONNRESET$|SocketClosedUnexpectedlyError$)/

/** What to add to a failed rediss:// connect's message when the server may not speak TLS; '' when nothing helps. */
export function tlsHint (url: string | undefined, lastError: Error | undefined): string {
  if (url === undefined || !/^rediss:/i.test(url)) return ''
  if (lastError !== undefined && !TLS_MISMATCH.test(failureKind(lastError))) return ''
  return '; rediss:// needs a TLS Redis; is this server plain-text? try redis://'
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

/** The reply's error prefix (`WRONGTYPE`, `LOADING`): its first word, by Redis convention. */
function replyKind (message: string): string {
  const word = /^[A-Z][A-Z0-9_-]*/.exec(message)?.[0]
  return word ?? 'an error reply'
}

/** A system error's code (`ECONNREFUSED`, `ENOENT`), else the client error's class (`ClientOfflineError`). */
export function failureKind (err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  if (typeof code === 'string' && code !== '') return code
  const name = err.constructor.name
  return name === 'Error' || name === '' ? 'the connection failed' : name
}
