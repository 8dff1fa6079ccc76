import { createClient } from '@redis/client'
import { createKeyv } from '@keyv/redis'
import { createCache as createDedupeCache } from 'async-cache-dedupe'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis'
import { createCache as createCacheManager } from 'cache-manager'
import { Redis } from 'ioredis'
import { RedisCache } from '../../lib/cache/cache.js'
import type { JsonValue } from '../../lib/cache/json-value.js'

export const CODEX = 'fastify-codex getOrSet'
export const CODEX_NEAR = 'fastify-codex getOrSet + nearCache'
export const BENTOCACHE = 'bentocache (memory L1 + Redis L2 + bus)'
export const CACHE_MANAGER = 'cache-manager 7 wrap() on @keyv/redis'
export const DEDUPE = 'async-cache-dedupe (Redis storage)'
export const HOT_KEY_CONTESTANTS = [CODEX, CODEX_NEAR, BENTOCACHE, CACHE_MANAGER, DEDUPE] as const
export type HotKeyContestantName = typeof HOT_KEY_CONTESTANTS[number]

/** One process's read-through cache, asked for the same key over and over. */
export interface HotKeyContestant {
  getOrSet (key: string, factory: () => Promise<unknown>): Promise<unknown>
  close (): Promise<void>
}

/** Each library in its strongest documented configuration for a hot key shared by several processes. */
export async function openHotKeyContestant (name: HotKeyContestantName, url: string, ttlSeconds: number): Promise<HotKeyContestant> {
  switch (name) {
    case CODEX:
    case CODEX_NEAR: {
      const client = createClient({ url })
      client.on('error', () => {})
      await client.connect()
      // With the near cache, hits are answered in process (as bentocache's L1), kept correct by Redis's tracking.
      const cache = new RedisCache(client, { keyPrefix: 'codex', ...(name === CODEX_NEAR ? { nearCache: { maxEntries: 1000 } } : {}) })
      await cache.nearCacheReady
      const options = { ttl: ttlSeconds }
      return {
        getOrSet: (key, factory) => cache.getOrSet(key, factory as () => Promise<JsonValue>, options),
        async close () {
          await cache.close()
          await client.close()
        }
      }
    }
    case BENTOCACHE: {
      const l2 = new Redis(url)
      const bus = new Redis(url)
      const bento = new BentoCache({
        default: 'hot',
        prefix: 'bento',
        stores: {
          hot: bentostore()
            .useL1Layer(memoryDriver({ maxSize: '10mb' }))
            .useL2Layer(redisDriver({ connection: l2 }))
            .useBus(redisBusDriver({ connection: bus }))
        }
      })
      const ttl = ttlSeconds * 1000
      return {
        getOrSet: (key, factory) => bento.getOrSet({ key, factory, ttl }),
        async close () {
          await bento.disconnectAll()
          l2.disconnect()
          bus.disconnect()
        }
      }
    }
    case CACHE_MANAGER: {
      const keyv = createKeyv(url, { namespace: 'cm' })
      keyv.on('error', () => {})
      const cache = createCacheManager({ stores: [keyv] })
      const ttl = ttlSeconds * 1000
      return {
        getOrSet: (key, factory) => cache.wrap(key, factory, ttl),
        async close () { await cache.disconnect() }
      }
    }
    case DEDUPE: {
      const client = new Redis(url)
      const cache = createDedupeCache({ ttl: ttlSeconds, storage: { type: 'redis', options: { client } } })
      let current: () => Promise<unknown> = async () => undefined
      // async-cache-dedupe caches a defined function by its arguments: the key is the argument.
      cache.define('hot', async (_key: string) => await current())
      const hot = (cache as unknown as { hot: (key: string) => Promise<unknown> }).hot
      return {
        getOrSet: (key, factory) => {
          current = factory
          return hot(key)
        },
        async close () { client.disconnect() }
      }
    }
  }
}
