import { createClient } from '@redis/client'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis'
import { RedisCache } from '../../lib/cache/cache.js'
import type { JsonValue } from '../../lib/cache/json-value.js'

export const NETWORK = 'fastify-codex (network get)'
export const NEAR = 'fastify-codex nearCache'
export const BENTO = 'bentocache L1 + Redis bus'

export const TTL_SECONDS = 300

/** One reader (or writer) as the suite drives it. */
export interface NearContestant {
  readonly name: string
  get (key: string): Promise<unknown>
  set (key: string, value: unknown): Promise<unknown>
  close (): Promise<void>
}

/** fastify-codex on its own @redis/client connection, with or without the near cache. */
export async function codexContestant (name: string, url: string, maxEntries: number | undefined): Promise<NearContestant> {
  const client = createClient({ url })
  client.on('error', () => {})
  await client.connect()
  const cache = new RedisCache(client, { keyPrefix: 'near-bench', ttl: TTL_SECONDS, nearCache: maxEntries === undefined ? undefined : { maxEntries } })
  await cache.nearCacheReady
  return {
    name,
    get: (key) => cache.get(key),
    set: (key, value) => cache.set(key, value as JsonValue),
    async close () {
      await cache.close()
      await client.close()
    }
  }
}

/** bentocache's two-level mode: in-memory LRU (L1), Redis (L2, ioredis) and its Redis pub/sub bus. */
export async function bentoContestant (url: string, maxItems: number): Promise<NearContestant> {
  const { hostname, port } = new URL(url)
  const connection = { host: hostname, port: Number(port) }
  const bento = new BentoCache({
    default: 'multi',
    stores: {
      multi: bentostore()
        .useL1Layer(memoryDriver({ maxItems }))
        .useL2Layer(redisDriver({ connection }))
        .useBus(redisBusDriver({ connection }))
    }
  })
  // The bus subscribes asynchronously: one write makes sure it is up before anything is timed.
  await bento.set({ key: 'warm', value: 1, ttl: `${TTL_SECONDS}s` })
  return {
    name: BENTO,
    get: (key) => bento.get({ key }),
    set: (key, value) => bento.set({ key, value, ttl: `${TTL_SECONDS}s` }),
    async close () {
      await bento.disconnect()
    }
  }
}
