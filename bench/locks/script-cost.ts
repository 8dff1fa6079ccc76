import { randomUUID } from 'node:crypto'
import { createClient } from '@redis/client'
import { TOKEN_MEMORY_MS } from '../../lib/cache/locks/locks.js'
import { LOCK_ACQUIRE, LOCK_RELEASE } from '../../lib/connection/scripts.js'
import type { AdminClient } from '../lib/redis.js'

/** Time Redis spends executing one acquire + release (INFO commandstats usec: no I/O, no event loop), best of the rounds. */
export interface ScriptCost {
  name: string
  us: number
  /** Commands Redis ran per cycle, scripts' own calls included (`evalsha 2, get 2, set 2`): deterministic, unlike the time. */
  commands: string
}

const COMPARE_AND_DELETE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"
// The least any acquire computed in Redis can cost: the raw SET NX PX, only wrapped in a script.
const SCRIPTED_SET_NX = "return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])"
// The acquire script as it was before 2026-11-27: TIME on every call, token max(clock, last + 1).
const ACQUIRE_WITH_TIME = `
local held = redis.call('GET', KEYS[1])
local last = 0
if held then
  last = tonumber(held)
  if not last then return false end
end
local now = redis.call('TIME')
local token = math.max(now[1] * 1000000 + now[2], last + 1)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return token`

const BATCH = 1000
const TTL = '10000'

function newClient (url: string) {
  return createClient({ url, commandOptions: { timeout: 0 } })
}
type Client = ReturnType<typeof newClient>
interface Variant { name: string, cycle: (client: Client, key: string, owner: string) => Promise<unknown> }

/** Executes BATCH pipelined acquire + release cycles per variant and round; keys are reused, so tokens are remembered as in use. */
export async function measureScriptCosts (url: string, admin: AdminClient, rounds = 12): Promise<ScriptCost[]> {
  const client = newClient(url)
  client.on('error', () => {})
  await client.connect()
  try {
    const cad = await client.scriptLoad(COMPARE_AND_DELETE)
    const scriptedSetNx = await client.scriptLoad(SCRIPTED_SET_NX)
    const acquire = await client.scriptLoad(LOCK_ACQUIRE.source)
    const acquireWithTime = await client.scriptLoad(ACQUIRE_WITH_TIME)
    const release = await client.scriptLoad(LOCK_RELEASE.source)
    const px = { expiration: { type: 'PX', value: Number(TTL) }, condition: 'NX' } as const
    const memory = String(TOKEN_MEMORY_MS)
    const fenced = (acquireSha: string) => async (c: Client, key: string, owner: string): Promise<unknown> => {
      const token = await c.evalSha(acquireSha, { keys: [key], arguments: [owner, TTL] })
      return await c.evalSha(release, { keys: [key], arguments: [owner, String(token), memory] })
    }
    const variants: Variant[] = [
      { name: 'raw SET NX PX + compare-and-delete', cycle: async (c, key, owner) => { await c.set(key, owner, px); return await c.evalSha(cad, { keys: [key], arguments: [owner] }) } },
      { name: 'SET NX PX inside a script + compare-and-delete (any scripted acquire)', cycle: async (c, key, owner) => { await c.evalSha(scriptedSetNx, { keys: [key], arguments: [owner, TTL] }); return await c.evalSha(cad, { keys: [key], arguments: [owner] }) } },
      { name: 'fastify-codex scripts, before (TIME on every acquire)', cycle: fenced(acquireWithTime) },
      { name: 'fastify-codex scripts (GET + SET; TIME only with no token remembered)', cycle: fenced(acquire) }
    ]
    const best = variants.map(() => Number.POSITIVE_INFINITY)
    const commands = variants.map(() => '')
    for (let round = 0; round < rounds; round++) {
      for (const [i, variant] of variants.entries()) {
        const keys = Array.from({ length: BATCH }, (_, k) => `cost${i}:${k}`)
        await client.configResetStat()
        await Promise.all(keys.map(async (key) => await variant.cycle(client, key, randomUUID())))
        const text = await admin.info('commandstats')
        // A script's usec includes the commands it calls: count top-level commands only.
        let usec = 0
        const counts: string[] = []
        for (const m of text.matchAll(/^cmdstat_([a-z]+):calls=(\d+),usec=(\d+)/gm)) {
          if (m[1] === 'info' || m[1] === 'config') continue
          counts.push(`${m[1]} ${Number(m[2]) / BATCH}`)
          if (m[1] === 'evalsha' || (i === 0 && m[1] === 'set')) usec += Number(m[3])
        }
        commands[i] = counts.sort().join(', ')
        best[i] = Math.min(best[i]!, usec / BATCH)
      }
    }
    return variants.map((v, i) => ({ name: v.name, us: best[i]!, commands: commands[i]! }))
  } finally {
    await client.close()
  }
}
