import type { RedisServer } from './redis-server.js'

/** Calls per command from `INFO commandstats`, e.g. `{ get: 3, set: 1 }`: how tests count round trips. */
export async function commandCalls (redis: RedisServer): Promise<Record<string, number>> {
  const text = await redis.cli('INFO', 'commandstats')
  const calls: Record<string, number> = {}
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2])
  return calls
}

/** Forgets earlier calls so the next `commandCalls` counts only what follows. */
export async function resetCommandStats (redis: RedisServer): Promise<void> {
  await redis.cli('CONFIG', 'RESETSTAT')
}
