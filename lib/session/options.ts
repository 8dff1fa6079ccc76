import type { Session } from 'fastify'
import { InvalidOptionsError, InvalidTtlError, describe } from '../errors.js'
import { rejectUnknownOptions } from '../known-options.js'
import type { CodexLogger } from '../logger.js'
import { jsonSerializer, type Serializer } from '../serializer.js'
import { sessionPrefix } from './keys.js'

/** Fields of your `interface Session` holding a string or number; any name while `Session` declares no field. */
export type SessionUserKey = [UserKeys] extends [never] ? string : UserKeys
type UserKeys = { [K in keyof Session]-?: K extends 'cookie' ? never : NonNullable<Session[K]> extends string | number ? K : never }[keyof Session] & string

/** How the session store names, expires and encodes sessions. */
export interface SessionStoreOptions {
  /** First key segment. Default `''`. */
  projectName?: string
  /** Second key segment. Default `'session'`. */
  keyPrefix?: string
  /**
   * Seconds a session lives when its cookie has neither `maxAge` nor `expires`. Default 1209600 (14 days).
   * A function gets the session being written and returns those seconds (<= 0: the session is not kept).
   */
  ttl?: number | ((session: SessionFields) => number)
  /** Default: the strict `JsonSerializer`. Must be deterministic: equal sessions must give equal text. */
  serializer?: Serializer
  /** Session field holding the user id: enables `listUser` / `revokeUser`. */
  userKey?: SessionUserKey
  /** Receives a warning for every unreadable or prototype-poisoning payload. Default: `process.emitWarning`. */
  logger?: CodexLogger
  /**
   * With `true`, a session whose content did not change never has its expiry moved (no expiry refresh for
   * `rolling`, and `touch()` does nothing); the cookie is then sent with the expiry Redis has. Default `false`.
   */
  disableTouch?: boolean
  /**
   * Seconds a session lives at most, counted from its creation however active it is; with `rolling`, the idle
   * expiry moves but never past it (the cookie's expiry and the Redis TTL are capped). Default: none.
   */
  absoluteTimeout?: number
  /**
   * With `userKey`: what `listUser(userId, { details: true })` records of the device that created a session.
   * `ip: 'truncated'` keeps an IPv4 /24 or IPv6 /48. Default: nothing.
   */
  devices?: DeviceOptions
}

export interface DeviceOptions {
  userAgent?: boolean
  ip?: 'truncated' | 'full' | false
}

/** A session as a `ttl` function sees it: its `cookie` and fields. */
export type SessionFields = { cookie?: object } & Record<string, unknown>

export interface ResolvedSessionOptions {
  /** `{projectName}:{keyPrefix}` with empty segments omitted; never empty. */
  readonly prefix: string
  /** The server-side lifetime of a session without a cookie expiry, in ms; `0`: not kept. */
  readonly idleTtlMs: (session: SessionFields) => number
  readonly serializer: Serializer
  readonly userKey: string | undefined
  readonly logger: CodexLogger
  readonly disableTouch: boolean
  /** `absoluteTimeout` in ms, `undefined` for none. */
  readonly absoluteTimeoutMs: number | undefined
  /** What is recorded of a creating request's device; `undefined`: nothing. */
  readonly devices: Readonly<Required<DeviceOptions>> | undefined
  /** Whether payloads carry `createdAt` (absoluteTimeout or userKey) and `seenAt` (userKey). */
  readonly stampsCreation: boolean
}

export const DEFAULT_SESSION_TTL = 1_209_600

// Without a logger (a store built by hand), the warning still reaches stderr once per occurrence.
const warningLogger: CodexLogger = {
  warn (obj, msg) {
    const { err, ...rest } = obj as { err?: { message?: unknown } }
    const detail = [typeof err?.message === 'string' ? err.message : '', JSON.stringify(rest)].filter((s) => s !== '').join(' ')
    process.emitWarning(msg, { code: 'FST_CODEX_CORRUPT_VALUE', detail })
  }
}

/** The store's own option names (the plugin accepts them too). */
export const SESSION_STORE_OPTION_NAMES: readonly string[] = ['projectName', 'keyPrefix', 'ttl', 'serializer', 'userKey', 'logger', 'disableTouch', 'absoluteTimeout', 'devices']
// RedisSessionStore's constructor takes the store's options and its connection.
const STORE_CONSTRUCTOR_OPTIONS: ReadonlySet<string> = new Set([...SESSION_STORE_OPTION_NAMES, 'client', 'commandTimeout'])

/** A key segment: the ':' between segments is ours, so one at either end would make `a::b` keys. */
function checkSegment (name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new InvalidOptionsError(`${name} must be a string`)
  if (value.startsWith(':') || value.endsWith(':')) {
    throw new InvalidOptionsError(`${name} is one key segment: give it without the leading or trailing ':' (codexSession adds the separator), got '${value}'`)
  }
}

/** Validates once, at construction or registration; never at first use. */
export function resolveSessionOptions (options: SessionStoreOptions): ResolvedSessionOptions {
  rejectUnknownOptions(options, STORE_CONSTRUCTOR_OPTIONS, 'RedisSessionStore')
  const {
    projectName = '',
    keyPrefix = 'session',
    ttl = DEFAULT_SESSION_TTL,
    serializer = jsonSerializer,
    logger = warningLogger,
    disableTouch = false
  } = options
  checkSegment('projectName', projectName)
  checkSegment('keyPrefix', keyPrefix)
  if (typeof ttl !== 'function' && !isSeconds(ttl)) {
    throw new InvalidOptionsError('ttl must be a positive, finite number of seconds or a function returning one')
  }
  if (typeof serializer?.stringify !== 'function' || typeof serializer.parse !== 'function') {
    throw new InvalidOptionsError('serializer must have stringify(value) and parse(text)')
  }
  // Typed as a Session field at compile time; plain JavaScript can pass anything.
  const userKey: unknown = options.userKey
  if (userKey !== undefined && (typeof userKey !== 'string' || userKey === '' || userKey === 'cookie')) {
    throw new InvalidOptionsError('userKey must be the name of a session field (a non-empty string other than "cookie")')
  }
  if (typeof logger?.warn !== 'function') throw new InvalidOptionsError('logger must have warn(obj, msg)')
  if (typeof disableTouch !== 'boolean') throw new InvalidOptionsError('disableTouch must be a boolean')
  const absoluteTimeout: unknown = options.absoluteTimeout
  if (absoluteTimeout !== undefined && !isSeconds(absoluteTimeout)) {
    throw new InvalidOptionsError('absoluteTimeout must be a positive, finite number of seconds')
  }
  const devices = resolveDevices(options.devices, userKey)
  const fixed = typeof ttl === 'number' ? toMs(ttl) : 0
  return Object.freeze({
    prefix: sessionPrefix(projectName, keyPrefix),
    idleTtlMs: typeof ttl === 'number' ? () => fixed : (session: SessionFields) => idleTtl(ttl(session)),
    serializer,
    userKey,
    logger,
    disableTouch,
    absoluteTimeoutMs: absoluteTimeout === undefined ? undefined : toMs(absoluteTimeout),
    devices,
    stampsCreation: absoluteTimeout !== undefined || userKey !== undefined
  })
}

function resolveDevices (devices: unknown, userKey: unknown): ResolvedSessionOptions['devices'] {
  if (devices === undefined) return undefined
  if (typeof devices !== 'object' || devices === null || Array.isArray(devices)) throw new InvalidOptionsError('devices must be an object: { userAgent?, ip? }')
  rejectUnknownOptions(devices as Record<string, unknown>, DEVICE_OPTIONS, 'devices')
  const { userAgent = false, ip = false } = devices as DeviceOptions
  if (typeof userAgent !== 'boolean') throw new InvalidOptionsError('devices.userAgent must be a boolean')
  if (ip !== false && ip !== 'truncated' && ip !== 'full') throw new InvalidOptionsError("devices.ip must be 'truncated', 'full' or false")
  if (userKey === undefined) throw new InvalidOptionsError('devices needs the userKey option: devices are listed per user')
  if (!userAgent && ip === false) return undefined
  return Object.freeze({ userAgent, ip })
}

const DEVICE_OPTIONS: ReadonlySet<string> = new Set(['userAgent', 'ip'])

function isSeconds (value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
}

function toMs (seconds: number): number {
  return Math.max(1, Math.round(seconds * 1000))
}

// What a `ttl` function returned: checked on every call, since it can return anything at run time.
function idleTtl (seconds: unknown): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) throw new InvalidTtlError(describe(seconds))
  return seconds <= 0 ? 0 : toMs(seconds)
}
