import { setTimeout as sleep } from 'node:timers/promises'
import { createClient } from '@redis/client'
import { RedisCache } from '../index.js'
import { startRedis } from '../test/helpers/redis-server.js'

const redis = await startRedis()
const client = createClient({ url: redis.url })
client.on('error', () => {})
await client.connect()
const cache = new RedisCache(client, { keyPrefix: 'g' })
const opts = { ttl: 1, grace: 60 }
console.log('prime', await cache.getOrSet('k', () => 'v1', opts))
await sleep(1200)
const tryIt = async (label: string, f: (ctx: any) => unknown) => {
  try { console.log(label, '->', await cache.getOrSet('k', f as any, opts)) } catch (e: any) { console.log(label, '-> THREW', e.message) }
}
await tryIt('1st refresh: uncacheable() then throw', (ctx) => { ctx.uncacheable(); throw new Error('db down') })
await tryIt('2nd refresh: throw', () => { throw new Error('db down') })
await tryIt('3rd refresh: throw', () => { throw new Error('db down') })
await cache.close(); await client.close(); await redis.stop()
