import { ClearRefusedError } from './errors.js'
import type { CommandClient } from './connection/client-types.js'
import type { RedisConnection } from './connection/connection.js'
import { prefixPattern } from './keys.js'
import { groupBySlot } from './slots.js'

// Large enough to keep round trips few, small enough that no single UNLINK blocks Redis noticeably.
const SCAN_BATCH = 1000

/** SCAN + UNLINK everything under `prefix:` on every master. Never FLUSHDB: the database may be shared. */
export async function clearPrefix (connection: RedisConnection, prefix: string): Promise<number> {
  if (prefix === '') throw new ClearRefusedError()
  const pattern = prefixPattern(prefix)
  const targets = await connection.scanTargets()
  const removed = await Promise.all(targets.map((node) => clearNode(connection, node, pattern)))
  return removed.reduce((sum, n) => sum + n, 0)
}

async function clearNode (connection: RedisConnection, node: CommandClient, pattern: string): Promise<number> {
  let removed = 0
  let cursor = '0'
  do {
    const reply = await connection.run(() => node.scan(cursor, { MATCH: pattern, COUNT: SCAN_BATCH }))
    cursor = String(reply.cursor)
    if (reply.keys.length > 0) {
      // Cluster nodes refuse multi-key commands across slots, even slots they own.
      const groups = connection.kind === 'cluster' ? groupBySlot(reply.keys) : [reply.keys]
      const counts = await connection.run(() => Promise.all(groups.map((group) => node.unlink(group))))
      for (const n of counts) removed += n
    }
  } while (cursor !== '0')
  return removed
}
