import { createHash } from 'node:crypto'
import type { CommandClient } from './connection/client-types.js'

/** A Lua script sent by SHA, falling back to its source once per server that has not seen it. */
export class LuaScript {
  readonly sha: string
  constructor (readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex')
  }

  async run (commands: CommandClient, keys: string[], args: string[]): Promise<unknown> {
    const options = { keys, arguments: args }
    try {
      return await commands.evalSha(this.sha, options)
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
      return commands.eval(this.source, options)
    }
  }
}

// INCRBY keeps the TTL; the EXISTS check in the same script makes "missing → error, nothing created" atomic.
export const INCR_EXISTING = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])`)

// PERSIST alone answers 0 both for "missing" and "had no TTL"; touch must report whether the key existed.
export const PERSIST_EXISTING = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('PERSIST', KEYS[1])
return 1`)
