import { createClient } from '@redis/client'
import { startRedis, type RedisServer } from '../../test/helpers/redis-server.js'

export type BenchRedis = RedisServer

/** A throwaway redis-server on a loopback port (no persistence), stopped by PID. */
export async function startBenchRedis (): Promise<BenchRedis> {
  return await startRedis()
}

function newClient (url: string) {
  return createClient({ url })
}

export type AdminClient = ReturnType<typeof newClient>

/** A plain client for seeding, flushing and INFO; never one of the measured connections. */
export async function adminClient (url: string): Promise<AdminClient> {
  const client = newClient(url)
  client.on('error', () => {})
  await client.connect()
  return client
}

/** `INFO commandstats` → calls per command, lower-case names (`get`, `set`, `pexpire`, `evalsha`…). */
export async function commandCalls (client: AdminClient): Promise<Map<string, number>> {
  const text = await client.info('commandstats')
  const calls = new Map<string, number>()
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]))
  return calls
}

/** Calls made between two snapshots, ignoring the monitoring itself (INFO). */
export function callsBetween (before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>()
  for (const [name, n] of after) {
    if (name === 'info') continue
    const d = n - (before.get(name) ?? 0)
    if (d > 0) delta.set(name, d)
  }
  return delta
}

/** `INFO cpu` → CPU time the redis-server process has used so far (used_cpu_sys + used_cpu_user), in µs. */
export async function redisCpuUs (client: AdminClient): Promise<number> {
  const text = await client.info('cpu')
  const seconds = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? Number.NaN)
  return (seconds('used_cpu_sys') + seconds('used_cpu_user')) * 1e6
}
