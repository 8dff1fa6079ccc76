import type { RedisConnection } from '../connection/connection.js'
import { ClearRefusedError } from '../errors.js'
import { scanPrefix } from '../connection/scan.js'
import { unlinkKeys } from '../connection/unlink.js'

/** SCAN + UNLINK everything under `prefix:` on every master. Never FLUSHDB: the database may be shared. */
export async function clearPrefix (connection: RedisConnection, prefix: string): Promise<number> {
  if (prefix === '') throw new ClearRefusedError()
  let removed = 0
  await scanPrefix(connection, prefix, async (keys) => {
    // Read the total after the await: masters are scanned concurrently.
    const count = await unlinkKeys(connection, keys)
    removed += count
  })
  return removed
}
