import createError from '@fastify/error'

// Every code the package can raise lives here; tests compare `code`, never the message.
// The last constructor argument may be `{ cause }`: @fastify/error lifts it onto `error.cause`.

export const RedisUnavailableError = createError<'FST_CODEX_REDIS_UNAVAILABLE', 503, [string, { cause: unknown }?]>(
  'FST_CODEX_REDIS_UNAVAILABLE', 'Redis is unavailable: %s', 503)

export const RedisCommandError = createError<'FST_CODEX_REDIS_ERROR', 500, [string, { cause: unknown }?]>(
  'FST_CODEX_REDIS_ERROR', 'Redis answered with an error: %s', 500)

export const NotSerializableError = createError<'FST_CODEX_NOT_SERIALIZABLE', 500, [string, string]>(
  'FST_CODEX_NOT_SERIALIZABLE', 'Value at %s is not strict JSON: %s', 500, TypeError)

export const CorruptValueError = createError<'FST_CODEX_CORRUPT_VALUE', 500, [string, { cause: unknown }?]>(
  'FST_CODEX_CORRUPT_VALUE', 'Stored value is unreadable or unsafe: %s', 500)

export const InvalidKeyError = createError<'FST_CODEX_INVALID_KEY', 500, [string]>(
  'FST_CODEX_INVALID_KEY', 'Cache key must be a non-empty string, got %s', 500, TypeError)

export const InvalidTtlError = createError<'FST_CODEX_INVALID_TTL', 500, [string]>(
  'FST_CODEX_INVALID_TTL', 'TTL must be null or a finite number of seconds, got %s', 500, TypeError)

export const KeyNotFoundError = createError<'FST_CODEX_KEY_NOT_FOUND', 500, [string]>(
  'FST_CODEX_KEY_NOT_FOUND', 'Key %s does not exist', 500)

export const InvalidDeltaError = createError<'FST_CODEX_INVALID_DELTA', 500, [string]>(
  'FST_CODEX_INVALID_DELTA', 'incr/decr delta must be a safe integer, got %s', 500, TypeError)

export const ClearRefusedError = createError<'FST_CODEX_CLEAR_REFUSED', 500, []>(
  'FST_CODEX_CLEAR_REFUSED', 'clear() refuses to run with an empty keyPrefix: it would delete keys that are not ours', 500)

export const SessionInterruptedError = createError<'FST_CODEX_SESSION_INTERRUPTED', 409, []>(
  'FST_CODEX_SESSION_INTERRUPTED', 'The session was destroyed while this request was running', 409)

export const InvalidOptionsError = createError<'FST_CODEX_INVALID_OPTIONS', number, [string]>(
  'FST_CODEX_INVALID_OPTIONS', 'Invalid fastify-codex options: %s', 0)

export const FactoryTimeoutError = createError<'FST_CODEX_FACTORY_TIMEOUT', 504, [number]>(
  'FST_CODEX_FACTORY_TIMEOUT', 'getOrSet factory did not finish within its hardTimeout of %d ms', 504)

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

export const LockBusyError = createError<'FST_CODEX_LOCK_BUSY', 409, [string]>(
  'FST_CODEX_LOCK_BUSY', 'Lock %s is held by another owner', 409)

// No status code: it is the reason of withLock's AbortSignal, which fn decides how to surface.
export const LockLostError = createError<'FST_CODEX_LOCK_LOST', number, [string, { cause: unknown }?]>(
  'FST_CODEX_LOCK_LOST', 'Lock %s was lost: it could not be extended', 0)
