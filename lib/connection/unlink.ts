import type { RedisConnection } from './connection.js'
import { groupBySlot } from './slots.js'

/** UNLINKs full Redis keys: one command, or one per hash slot on a cluster (nodes refuse cross-slot commands). */
export async function unlinkKeys (connection: RedisConnection, fullKeys: string[]): Promise<number> {
  if (fullKeys.length === 0) return 0
  const groups = connection.kind === 'cluster' ? groupBySlot(fullKeys) : [fullKeys]
  const counts = await connection.run((c) => Promise.all(groups.map((group) => c.unlink(group))))
  return counts.reduce((sum, n) => sum + n, 0)
}
