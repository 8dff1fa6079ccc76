import type { CommandClient } from './client-types.js'
import type { RedisConnection } from './connection.js'
import { prefixPattern } from '../keys.js'

// Large enough to keep round trips few, small enough that no single reply or UNLINK blocks Redis noticeably.
const SCAN_BATCH = 1000

/** One node's keys under the pattern, a SCAN batch at a time: no SCAN is sent before the consumer asks for the next. */
async function * scanNode (connection: RedisConnection, node: CommandClient, pattern: string): AsyncGenerator<string[]> {
  let cursor = '0'
  do {
    const reply = await connection.run(() => node.scan(cursor, { MATCH: pattern, COUNT: SCAN_BATCH }))
    cursor = String(reply.cursor)
    if (reply.keys.length > 0) yield reply.keys
  } while (cursor !== '0')
}

/** SCANs `prefix:*` on every master at once; each batch goes to `onKeys` before the next SCAN (bounded memory). */
export async function scanPrefix (connection: RedisConnection, prefix: string, onKeys: (keys: string[]) => Promise<void> | void): Promise<void> {
  const pattern = prefixPattern(prefix)
  const targets = await connection.scanTargets()
  await Promise.all(targets.map(async (node) => {
    for await (const keys of scanNode(connection, node, pattern)) await onKeys(keys)
  }))
}

/** The same walk, one master after the other: a consumer that stops early holds at most one batch. */
export async function * scanPrefixBatches (connection: RedisConnection, prefix: string): AsyncGenerator<string[]> {
  const pattern = prefixPattern(prefix)
  for (const node of await connection.scanTargets()) yield * scanNode(connection, node, pattern)
}
