import { CorruptValueError, NotSerializableError, isCodexError } from './errors.js'
import type { Serializer } from './serializer.js'

/** Serializes before anything is written; a custom serializer's failures get the contract's code too. */
export function encodeValue (serializer: Serializer, value: unknown): string {
  let text: unknown
  try {
    text = serializer.stringify(value)
  } catch (err) {
    if (isCodexError(err)) throw err
    throw new NotSerializableError('value', err instanceof Error ? err.message : String(err))
  }
  if (typeof text !== 'string') throw new NotSerializableError('value', 'the serializer did not return a string')
  return text
}

/** Parses a stored payload; anything unreadable is FST_CODEX_CORRUPT_VALUE, never a half-trusted value. */
export function decodeValue (serializer: Serializer, text: string): unknown {
  try {
    return serializer.parse(text)
  } catch (err) {
    if (isCodexError(err)) throw err
    throw new CorruptValueError(err instanceof Error ? err.message : String(err), { cause: err })
  }
}
