import { InvalidKeyError, describe } from './errors.js'

export type KeyVersion = number | string

/** Builds the Redis key from the user's key, the namespace and the version. */
export type KeyFunction = (key: string, prefix: string, version: KeyVersion) => string

export const defaultKeyFunction: KeyFunction = (key, prefix, version) => `${prefix}:${version}:${key}`

export function assertKey (key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') throw new InvalidKeyError(describe(key))
}

export function assertVersion (version: unknown): asserts version is KeyVersion {
  const valid = (typeof version === 'number' && Number.isFinite(version)) || (typeof version === 'string' && version !== '')
  if (!valid) throw new InvalidKeyError(`version ${describe(version)}`)
}

// Redis glob metacharacters: a prefix such as "app[1]" must match itself, not "app1".
const GLOB_CHARACTERS = /[\\*?[\]^]/g

/** The SCAN MATCH pattern for every key under `prefix:`. */
export function prefixPattern (prefix: string): string {
  return `${prefix.replace(GLOB_CHARACTERS, '\\$&')}:*`
}
