import createError, { type FastifyErrorConstructor } from '@fastify/error'

// Every code the package can raise lives here; tests compare `code`, never the message.
// The last constructor argument may be `{ cause }`: @fastify/error lifts it onto `error.cause`, and loggers
// (pino, util.inspect) print the cause after the message, so a message never repeats its cause's text.

/**
 * Names the errors of one @fastify/error class after `name` (it would say 'FastifyError'): logs and stack
 * traces then read `RedisUnavailableError [FST_CODEX_REDIS_UNAVAILABLE]: …`. `instanceof` works as before.
 */
function named<E extends { code: string, statusCode?: number }, A extends unknown[]> (
  name: string, Base: FastifyErrorConstructor<E, A>
): FastifyErrorConstructor<E, A> {
  const Named = function (...args: A) {
    const err = Reflect.construct(Base, args, Named) as Error
    err.name = name
    // Again, without this wrapper's frame on top: the stack starts where the error was raised.
    if (Error.stackTraceLimit > 0) Error.captureStackTrace(err, Named)
    return err
  } as unknown as FastifyErrorConstructor<E, A>
  Object.defineProperty(Named, 'name', { value: name })
  Object.defineProperty(Named, 'prototype', { value: Base.prototype })
  Object.defineProperty(Base.prototype, 'constructor', { value: Named, writable: true, configurable: true })
  return Named
}

export const RedisUnavailableError = named('RedisUnavailableError', createError<'FST_CODEX_REDIS_UNAVAILABLE', 503, [string, { cause: unknown }?]>(
  'FST_CODEX_REDIS_UNAVAILABLE', 'Redis is unavailable: %s', 503))

export const RedisCommandError = named('RedisCommandError', createError<'FST_CODEX_REDIS_ERROR', 500, [string, { cause: unknown }?]>(
  'FST_CODEX_REDIS_ERROR', 'Redis answered with an error: %s', 500))

export const NotSerializableError = named('NotSerializableError', createError<'FST_CODEX_NOT_SERIALIZABLE', 500, [string, string]>(
  'FST_CODEX_NOT_SERIALIZABLE', 'Value at %s is not strict JSON: %s', 500, TypeError))

export const ValueTooLargeError = named('ValueTooLargeError', createError<'FST_CODEX_VALUE_TOO_LARGE', 500, [string, string, number]>(
  'FST_CODEX_VALUE_TOO_LARGE', 'Value of %s is %s bytes of JSON, more than maxValueBytes (%d): nothing was written', 500, RangeError))

export const CorruptValueError = named('CorruptValueError', createError<'FST_CODEX_CORRUPT_VALUE', 500, [string, { cause: unknown }?]>(
  'FST_CODEX_CORRUPT_VALUE', 'Stored value is unreadable or unsafe: %s', 500))

export const InvalidKeyError = named('InvalidKeyError', createError<'FST_CODEX_INVALID_KEY', 500, [string]>(
  'FST_CODEX_INVALID_KEY', 'Cache key must be a non-empty string, got %s', 500, TypeError))

export const InvalidTtlError = named('InvalidTtlError', createError<'FST_CODEX_INVALID_TTL', 500, [string]>(
  'FST_CODEX_INVALID_TTL', 'Invalid TTL: %s', 500, TypeError))

export const KeyNotFoundError = named('KeyNotFoundError', createError<'FST_CODEX_KEY_NOT_FOUND', 500, [string]>(
  'FST_CODEX_KEY_NOT_FOUND', 'Key %s does not exist', 500))

export const InvalidDeltaError = named('InvalidDeltaError', createError<'FST_CODEX_INVALID_DELTA', 500, [string]>(
  'FST_CODEX_INVALID_DELTA', 'incr/decr delta must be a safe integer, got %s', 500, TypeError))

export const ClearRefusedError = named('ClearRefusedError', createError<'FST_CODEX_CLEAR_REFUSED', 500, []>(
  'FST_CODEX_CLEAR_REFUSED', 'clear() refuses to run with an empty keyPrefix: it would delete keys that are not ours', 500))

export const SessionInterruptedError = named('SessionInterruptedError', createError<'FST_CODEX_SESSION_INTERRUPTED', 409, [string]>(
  'FST_CODEX_SESSION_INTERRUPTED', 'The session %s', 409))

export const InvalidOptionsError = named('InvalidOptionsError', createError<'FST_CODEX_INVALID_OPTIONS', number, [string]>(
  'FST_CODEX_INVALID_OPTIONS', 'Invalid fastify-codex options: %s', 0))

export const FactoryTimeoutError = named('FactoryTimeoutError', createError<'FST_CODEX_FACTORY_TIMEOUT', 504, [number]>(
  'FST_CODEX_FACTORY_TIMEOUT', 'getOrSet factory did not finish within its hardTimeout of %d ms', 504))

export const LockBusyError = named('LockBusyError', createError<'FST_CODEX_LOCK_BUSY', 409, [string]>(
  'FST_CODEX_LOCK_BUSY', 'Lock %s is held by another owner', 409))

// No status code: it is the reason of withLock's AbortSignal, which fn decides how to surface.
export const LockLostError = named('LockLostError', createError<'FST_CODEX_LOCK_LOST', number, [string, { cause: unknown }?]>(
  'FST_CODEX_LOCK_LOST', 'Lock %s was lost: it could not be extended', 0))

/** Whether an error already carries one of our codes: translating or wrapping it again would bury that code. */
export function isCodexError (err: unknown): err is Error {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined
  return typeof code === 'string' && code.startsWith('FST_CODEX_')
}

/** Short, safe description of a value for error messages (never the value itself: it may be secret). */
export function describe (value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object without prototype'
  return typeof value
}
