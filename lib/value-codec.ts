import { CorruptValueError, NotSerializableError, ValueTooLargeError, isCodexError } from './errors.js'
import { JsonSerializer, type Serializer } from './serializer.js'

/** Serializes before anything is written; a custom serializer's failure gets the contract's code too. */
export function encodeValue (serializer: Serializer, value: unknown, root = 'value'): string {
  let text: unknown
  try {
    // Only our serializer takes the name: a custom one gets exactly stringify(value).
    text = serializer instanceof JsonSerializer ? serializer.stringify(value, root) : serializer.stringify(value)
  } catch (err) {
    if (isCodexError(err)) throw err
    throw new NotSerializableError(root, err instanceof Error ? err.message : String(err))
  }
  if (typeof text !== 'string') throw new NotSerializableError(root, 'the serializer did not return a string')
  return text
}

/**
 * Refuses a payload over `maxBytes` UTF-8 bytes (`null`: no limit) before it is sent: a huge value would hold the
 * connection every other request shares. `key` is the caller's key, never the full Redis key (messages reach clients).
 */
export function assertValueSize (text: string, maxBytes: number | null, key: string): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most payloads are decided without counting.
  if (maxBytes === null || text.length * 3 <= maxBytes) return
  // Each unit is at least a byte: a long text is refused without counting it (counting a huge text blocks the loop).
  if (text.length > maxBytes) throw new ValueTooLargeError(JSON.stringify(key), `at least ${text.length}`, maxBytes)
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > maxBytes) throw new ValueTooLargeError(JSON.stringify(key), String(bytes), maxBytes)
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
