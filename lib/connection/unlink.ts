import type { CommandClient } from './client-types.js'
import type { RedisConnection } from './connection.js'
import { groupBySlot } from './slots.js'

/** UNLINKs full Redis keys: one command, or one per hash slot on a cluster (nodes refuse cross-slot commands). */
export async function unlinkKeys (connection: RedisConnection, fullKeys: string[]): Promise<number> {
  if (fullKeys.length === 0) return 0
  return connection.run(unlinkAll(connection, fullKeys))
}

/** The UNLINK of `fullKeys` (at least one) as one pipelined command, for `connection.run` or the cache's writer. */
export function unlinkAll (connection: RedisConnection, fullKeys: readonly string[]): (c: CommandClient) => Promise<number> {
  const groups = connection.topology === 'cluster' ? groupBySlot(fullKeys, (key) => key) : [fullKeys as string[]]
  return async (c) => {
    const counts = await Promise.all(groups.map((group) => c.unlink(group)))
    return counts.reduce((sum, n) => sum + n, 0)
  }
}
