import { InvalidKeyError, describe } from '../errors.js'

/** `{projectName}:{keyPrefix}`, empty segments omitted. */
export function sessionPrefix (projectName: string, keyPrefix: string): string {
  return [projectName, keyPrefix].filter((segment) => segment !== '').join(':')
}

/**
 * A session id we can store: non-empty and free of ':'. The default id generator never produces ':'
 * (base64url), and refusing it keeps every session key exactly one segment below the prefix.
 */
export function isSessionId (id: unknown): id is string {
  return typeof id === 'string' && id !== '' && !id.includes(':')
}

export function assertSessionId (id: unknown): asserts id is string {
  if (!isSessionId(id)) throw new InvalidKeyError(typeof id === 'string' && id !== '' ? 'a session id containing ":"' : describe(id))
}

/** `{projectName}:{keyPrefix}:{sessionId}`, empty segments omitted (with both empty, the bare id). */
export function sessionKey (prefix: string, id: string): string {
  return prefix === '' ? id : `${prefix}:${id}`
}

/** The per-user index: two segments below the prefix, so it can never be mistaken for a session. */
export function userIndexKey (prefix: string, userId: string): string {
  return sessionKey(prefix, `user:${userId}`)
}

/** Whether a key found under `prefix:` is a session (one segment deeper) rather than one of our indexes. */
export function isSessionKey (prefix: string, key: string): boolean {
  return key.length > prefix.length + 1 && key.indexOf(':', prefix.length + 1) === -1
}

/** For logs: session ids are bearer secrets, so only a short, useless-to-attackers stem is shown. */
export function redactSessionId (id: string): string {
  return id.length <= 6 ? '…' : `${id.slice(0, 6)}…`
}
