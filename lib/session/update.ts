import type { RedisConnection } from '../connection/connection.js'
import { SessionInterruptedError } from '../errors.js'
import { LuaScript } from '../connection/scripts.js'
import type { Serializer } from '../serializer.js'
import { mergeFields, mergeLifetime } from './merge.js'
import { encodePayload, readablePayload, type SessionLike } from './payload.js'
import type { SessionState, StoreMeta } from './state.js'

// An update lands only over the text this request loaded; otherwise the text found comes back for a merge. One round trip
// when nothing raced; a missing key (destroyed, expired) is never recreated.
const UPDATE_IF_LOADED = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if current ~= ARGV[1] then return current end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`)

// Every failed compare means another save landed, so a burst of N saves needs up to N rounds; past this, something rewrites it in a loop.
const MAX_MERGES = 64

/** One payload write: its text, PX and the stamps in its head. */
export interface Write {
  readonly text: string
  readonly px: number
  readonly expires: string | null
  readonly storeExpires: number
  readonly seenAt: number | undefined
  readonly meta: StoreMeta
}

/** A write's expiry as computed from the Session's cookie (core.ts: idle TTL, absoluteTimeout cap). */
export type Lifetime = Pick<Write, 'px' | 'expires' | 'storeExpires'>

/**
 * Writes over the text this request loaded; when another save landed in between, merges it (merge.ts) and writes over
 * that text in turn. `lifetime`: the expiry again, once the other save's cookie lifetime was taken. The write that landed.
 */
export async function updateIfLoaded (
  connection: RedisConnection, serializer: Serializer, key: string, session: SessionLike, state: SessionState, write: Write,
  lifetime: () => Lifetime
): Promise<Write> {
  const { seenAt, meta } = write
  let { px, expires, storeExpires } = write
  let expected = state.text
  let text = write.text
  let base: Record<string, unknown> | undefined
  for (let round = 0; round <= MAX_MERGES; round++) {
    const reply = await connection.run((c) => UPDATE_IF_LOADED.run(c, [key], [expected, text, String(px)]))
    if (reply === 1) return { text, px, expires, storeExpires, seenAt, meta }
    if (typeof reply !== 'string') {
      throw new SessionInterruptedError('was destroyed or expired while this request was running; the update was not written')
    }
    base ??= await readablePayload(serializer, state.text)
    const theirs = await readablePayload(serializer, reply)
    if (base === undefined || theirs === undefined) {
      throw new SessionInterruptedError('was rewritten unreadably while this request was running; the update was not written')
    }
    // What the other save changed joins this Session; then this request's later saves compare with the merged text.
    mergeFields(base, session, theirs)
    if (mergeLifetime(base, session, theirs)) {
      ({ px, expires, storeExpires } = lifetime())
      // Never written with a PX <= 0: the lifetime taken has run out since the other save (or hit absoluteTimeout).
      if (px === 0) throw new SessionInterruptedError('expired while this request was running; the update was not written')
    }
    base = theirs
    expected = reply
    text = encodePayload(serializer, session, expires, storeExpires, seenAt, meta)
  }
  throw new SessionInterruptedError('kept changing under this request; the update was not written')
}
