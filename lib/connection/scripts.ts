import { createHash } from 'node:crypto'
import type { CommandClient } from './client-types.js'

/** A Lua script sent by SHA, falling back to its source once per server that has not seen it. */
export class LuaScript {
  readonly sha: string
  constructor (readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex')
  }

  run (commands: CommandClient, keys: string[], args: string[]): Promise<unknown> {
    const options = { keys, arguments: args }
    // No async frame of its own around the reply: the source goes only to a server that has not seen the script.
    return commands.evalSha(this.sha, options).catch((err: unknown) => {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
      return commands.eval(this.source, options)
    })
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

// Owner-checked delete: a holder whose lock expired and was taken must not release the new holder's lock.
export const RELEASE_OWNED = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Owner-checked extension, for the same reason.
export const EXTEND_OWNED = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// One tag set: prune expired members, add ours scored by expiry (server clock: processes' clocks may differ),
// and let the set itself expire with its last member. ARGV: ms-to-expiry ('inf' = none), member, … pairs.
export const TAG_ADD = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
for i = 1, #ARGV, 2 do
  local score = ARGV[i] == 'inf' and 'inf' or tostring(now + tonumber(ARGV[i]))
  redis.call('ZADD', KEYS[1], score, ARGV[i + 1])
end
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] == 'inf' then redis.call('PERSIST', KEYS[1])
else redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(top[2]) - now)) end
return 1`)

// A lock key holds its owner id while held and its last token (a number) once released, so the next token is
// last + 1: it covers a clock stepped back. With no token remembered (first use, clear(), an expiry dropped it) the
// token is the Redis clock in µs, still above every earlier one: a chain of last + 1 from a clock reading never
// overtakes the clock, as no acquisition takes under a µs. TIME only then: each redis.call costs Redis CPU.
// An owner id is never a number, so tonumber() tells the two apart.
// ARGV[1] = owner, ARGV[2] = ttl ms. Returns the token, or nil while another owner holds the lock.
export const LOCK_ACQUIRE = new LuaScript(`
local held = redis.call('GET', KEYS[1])
local token
if held then
  token = tonumber(held)
  if not token then return false end
  token = token + 1
else
  local now = redis.call('TIME')
  token = now[1] * 1000000 + now[2]
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return token`)

// ARGV[1] = owner, ARGV[2] = its token, ARGV[3] = ms the released token is remembered.
export const LOCK_RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`)
