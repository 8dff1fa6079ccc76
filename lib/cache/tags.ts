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

/**
 * Validates `tags` once per call: an array of non-empty strings (duplicates dropped). A per-call option, not a key:
 * FST_CODEX_INVALID_OPTIONS (INVALID_KEY is for keys, versions and lock names; INVALID_TTL for lifetimes).
 */
export function resolveTags (tags: unknown): readonly string[] | undefined {
  if (tags === undefined) return undefined
  if (!Array.isArray(tags)) throw new InvalidOptionsError(`tags must be an array of non-empty strings, got ${describe(tags)}`)
  for (let i = 0; i < tags.length; i++) {
    const tag: unknown = tags[i]
    if (typeof tag !== 'string' || tag === '') throw new InvalidOptionsError(`tags must be an array of non-empty strings, got ${describe(tag)} at tags[${i}]`)
  }
  return tags.length === 0 ? undefined : [...new Set(tags as string[])]
}

/**
 * Records entries under each tag (one script per tag set: tag sets may live in different cluster slots).
 * Issued in one tick, the scripts go out in one round trip; each prunes its expired members first.
 */
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

/**
 * Deletes every entry written with one of `tags` (and its grace copy), batch by batch: cost follows the tagged
 * entries, never the keyspace. The epoch is bumped first, so a computation that read the old epoch and stores
 * after this started sees the change and drops its own write (see read-through.ts).
 */
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
