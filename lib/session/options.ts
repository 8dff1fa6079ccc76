import { InvalidOptionsError } from '../errors.js'
import { jsonSerializer, type Serializer } from '../serializer.js'
import { sessionPrefix } from './keys.js'

/** Where the store reports payloads it had to ignore; `fastify.log` fits. */
export interface SessionLogger {
  warn (obj: object, msg: string): void
}

/** How the session store names, expires and encodes sessions. */
export interface SessionStoreOptions {
  /** First key segment. Default `''`. */
  projectName?: string
  /** Second key segment. Default `'session'`. */
  keyPrefix?: string
  /** Seconds a session lives when its cookie has neither `maxAge` nor `expires`. Default 1209600 (14 days). */
  ttl?: number
  /** Default: the strict `JsonSerializer`. Must be deterministic: equal sessions must give equal text. */
  serializer?: Serializer
  /** Session field holding the user id: enables `listUser` / `revokeUser`. */
  userKey?: string
  /** Receives a warning for every unreadable or prototype-poisoning payload. Default: `process.emitWarning`. */
  logger?: SessionLogger
  /**
   * Set it as your @fastify/session's. When `false`, a new session with no fields is not stored even when
   * @fastify/session asks (`regenerate()` always does): it would hold nothing, and no cookie would name it.
   * Default `true`, @fastify/session's default.
   */
  saveUninitialized?: boolean
}

export interface ResolvedSessionOptions {
  /** `{projectName}:{keyPrefix}` with empty segments omitted; never empty. */
  readonly prefix: string
  readonly ttlMs: number
  readonly serializer: Serializer
  readonly userKey: string | undefined
  readonly logger: SessionLogger
  readonly saveUninitialized: boolean
}

export const DEFAULT_SESSION_TTL = 1_209_600
export const DEFAULT_SESSION_KEY_PREFIX = 'session'

// Without a logger (a store built by hand), the warning still reaches stderr once per occurrence.
const warningLogger: SessionLogger = {
  warn (obj, msg) {
    const { err, ...rest } = obj as { err?: { message?: unknown } }
    const detail = [typeof err?.message === 'string' ? err.message : '', JSON.stringify(rest)].filter((s) => s !== '').join(' ')
    process.emitWarning(msg, { code: 'FST_CODEX_CORRUPT_VALUE', detail })
  }
}

/** Validates once, at construction or registration; never at first use. */
export function resolveSessionOptions (options: SessionStoreOptions): ResolvedSessionOptions {
  const {
    projectName = '',
    keyPrefix = DEFAULT_SESSION_KEY_PREFIX,
    ttl = DEFAULT_SESSION_TTL,
    serializer = jsonSerializer,
    userKey,
    logger = warningLogger,
    saveUninitialized = true
  } = options
  if (typeof projectName !== 'string') throw new InvalidOptionsError('projectName must be a string')
  if (typeof keyPrefix !== 'string') throw new InvalidOptionsError('keyPrefix must be a string')
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new InvalidOptionsError('ttl must be a positive, finite number of seconds')
  }
  if (typeof serializer?.stringify !== 'function' || typeof serializer.parse !== 'function') {
    throw new InvalidOptionsError('serializer must have stringify(value) and parse(text)')
  }
  if (userKey !== undefined && (typeof userKey !== 'string' || userKey === '' || userKey === 'cookie')) {
    throw new InvalidOptionsError('userKey must be the name of a session field (a non-empty string other than "cookie")')
  }
  if (typeof logger?.warn !== 'function') throw new InvalidOptionsError('logger must have warn(obj, msg)')
  if (typeof saveUninitialized !== 'boolean') throw new InvalidOptionsError('saveUninitialized must be a boolean')
  return Object.freeze({
    prefix: sessionPrefix(projectName, keyPrefix),
    ttlMs: Math.max(1, Math.round(ttl * 1000)),
    serializer,
    userKey,
    logger,
    saveUninitialized
  })
}
