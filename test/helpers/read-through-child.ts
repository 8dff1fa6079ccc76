// A process sharing a cold key: connects, says "ready", waits for "go" on stdin, then calls getOrSet once.
// The factory counts its runs with INCR (across processes) and holds for HOLD_MS. Prints "computing" and "value …".
import { createClient, createCluster } from '@redis/client'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { RedisCache, type RedisClientLike } from '../../index.js'

const { REDIS_URL = '', CLUSTER = '', HOLD_MS = '200', KEY = 'cold' } = process.env
const client = (CLUSTER === '' ? createClient({ url: REDIS_URL }) : createCluster({ rootNodes: CLUSTER.split(',').map((url) => ({ url })) })) as unknown as RedisClientLike
client.on('error', () => {})
await client.connect()
const cache = new RedisCache(client, { keyPrefix: 'mp' })
console.log('ready')
await once(process.stdin, 'data')
const value = await cache.getOrSet(KEY, async () => {
  await (client as unknown as { incr (key: string): Promise<number> }).incr('{mp}:runs')
  console.log('computing')
  await sleep(Number(HOLD_MS))
  return { by: process.pid }
}, { ttl: 60 })
console.log(`value ${JSON.stringify(value)}`)
await cache.close()
await client.close()
process.stdin.destroy()
