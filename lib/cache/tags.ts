import type { RedisConnection } from '../connection/connection.js'
import { InvalidOptionsError, describe } from '../errors.js'
import { TAG_ADD } from '../connection/scripts.js'
import type { Ttl } from '../ttl.js'
import { unlinkKeys } from '../connection/unlink.js'
import type { InternalKeys } from './internal-keys.js'

/** Members read and deleted per round trip while invalidating a tag. */
const INVALIDATE_BATCH = 500
// An epoch only has to outlive the computations that read it; a day keeps idle tags from piling up.
const EPOCH_TTL_MS = 86_400_000

/** A tagged write: the value's full key and how long it (or its grace copy) may live, in ms (`null` = forever). */
interface TaggedEntry {
  readonly fullKey: string
  readonly lifetime: Ttl
}

/** `tags` as an array of distinct non-empty strings, else FST_CODEX_INVALID_OPTIONS (an option, not a key). */
export function resolveTags (tags: unknown): readonly string[] | undefined {
  if (tags === undefined) return undefined
  if (!Array.isArray(tags)) throw new InvalidOptionsError(`tags must be an array of non-empty strings, got ${describe(tags)}`)
  for (let i = 0; i < tags.length; i++) {
    const tag: unknown = tags[i]
    if (typeof tag !== 'string' || tag === '') throw new InvalidOptionsError(`tags must be an array of non-empty strings, got ${describe(tag)} at tags[${i}]`)
  }
  return tags.length === 0 ? undefined : [...new Set(tags as string[])]
}

/** One script per tag (tag sets may live in different cluster slots), issued in one tick: one round trip. */
export function recordTags (connection: RedisConnection, keys: InternalKeys, tags: readonly string[], entries: readonly TaggedEntry[]): Promise<unknown> {
  const args: string[] = []
  for (const { fullKey, lifetime } of entries) args.push(lifetime === null ? 'inf' : String(lifetime), fullKey)
  return connection.run((c) => Promise.all(tags.map((tag) => TAG_ADD.run(c, [keys.tag(tag)], args))))
}

/** The current invalidation epoch of each tag (`null` = never invalidated, or long ago). */
export function readEpochs (connection: RedisConnection, keys: InternalKeys, tags: readonly string[]): Promise<Array<string | null>> {
  return connection.run((c) => Promise.all(tags.map((tag) => c.get(keys.tagEpoch(tag)))))
}

export function sameEpochs (a: ReadonlyArray<string | null>, b: ReadonlyArray<string | null>): boolean {
  return a.every((epoch, i) => epoch === b[i])
}

/** Deletes the entries tagged (and their grace copies) batch by batch; the epoch bump first makes a computation that read the old epoch drop its write. */
export async function invalidateTags (connection: RedisConnection, keys: InternalKeys, tags: unknown): Promise<void> {
  const list = resolveTags(tags) ?? []
  await Promise.all(list.map(async (tag) => {
    const epochKey = keys.tagEpoch(tag)
    const tagKey = keys.tag(tag)
    await connection.run((c) => Promise.all([c.incr(epochKey), c.pExpire(epochKey, EPOCH_TTL_MS)]))
    for (;;) {
      const members = await connection.run((c) => c.zRange(tagKey, 0, INVALIDATE_BATCH - 1))
      if (members.length === 0) return
      await unlinkKeys(connection, members.flatMap((member) => [member, keys.stale(member)]))
      // ZREM, not DEL: an entry tagged after this call began must keep its bookkeeping.
      await connection.run((c) => c.zRem(tagKey, members))
    }
  }))
}
