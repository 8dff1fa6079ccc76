import { createClient } from '@redis/client'
import { createKeyv } from '@keyv/redis'
import { createCache } from 'cache-manager'
import type { Keyv } from 'keyv'
import { RedisCache } from '../../lib/cache/cache.js'
import type { JsonValue } from '../../lib/cache/json-value.js'
import { RedisConnection } from '../../lib/connection/connection.js'
import { resolveConnectionOptions } from '../../lib/connection/options.js'

/** Every contestant stores values for this long, so the write paths do the same work. */
export const TTL_SECONDS = 300
const TTL_MS = TTL_SECONDS * 1000

/**
 * What each contestant is asked to do, in its own idiom. A missing method means the library has no
 * such operation (keyv and cache-manager have neither an atomic add nor an increment).
 */
export interface CacheAdapter {
  readonly name: string
  get (key: string): Promise<unknown>
  set (key: string, value: unknown): Promise<unknown>
  add?: (key: string, value: unknown) => Promise<boolean>
  incr?: (key: string) => Promise<number>
  getMany (keys: readonly string[]): Promise<unknown>
  setMany (entries: ReadonlyArray<readonly [string, unknown]>): Promise<unknown>
  /** Read-through; only contestants measured for it have one. */
  getOrSet?: (key: string, factory: () => unknown) => Promise<unknown>
  close (): Promise<void>
}

export const RAW_DEFAULTS = 'raw @redis/client (defaults)'
export const RAW_NO_TIMEOUT = 'raw @redis/client (timeout off)'
export const KEYV = 'keyv + @keyv/redis'
export const CACHE_MANAGER = 'cache-manager 7 (keyv)'
export const CODEX = 'fastify-codex'
/** The getOrSet scenario's extra entrant, measured against every contestant's plain get on the same hits. */
export const CODEX_GET_OR_SET = 'fastify-codex getOrSet'

const PX = { expiration: { type: 'PX', value: TTL_MS } } as const
const PX_NX = { expiration: { type: 'PX', value: TTL_MS }, condition: 'NX' } as const

/** @redis/client used directly: JSON.stringify + SET PX, GET + JSON.parse, MGET, SETs issued in one tick (auto-pipelined). */
async function rawClient (name: string, url: string, prefix: string, commandOptions: { timeout: number } | undefined): Promise<CacheAdapter> {
  const client = createClient(commandOptions === undefined ? { url } : { url, commandOptions })
  client.on('error', () => {})
  await client.connect()
  return {
    name,
    async get (key) {
      const text = await client.get(prefix + key)
      return text === null ? undefined : JSON.parse(text)
    },
    async set (key, value) {
      await client.set(prefix + key, JSON.stringify(value), PX)
    },
    async add (key, value) {
      return await client.set(prefix + key, JSON.stringify(value), PX_NX) !== null
    },
    incr (key) {
      return client.incrBy(prefix + key, 1)
    },
    async getMany (keys) {
      const texts = await client.mGet(keys.map((key) => prefix + key))
      return texts.map((text) => text === null ? undefined : JSON.parse(text))
    },
    async setMany (entries) {
      await Promise.all(entries.map(([key, value]) => client.set(prefix + key, JSON.stringify(value), PX)))
    },
    async close () {
      await client.close()
    }
  }
}

/** keyv with its recommended Redis adapter (createKeyv: namespace, no double key prefix). */
function keyvAdapter (name: string, keyv: Keyv): CacheAdapter {
  return {
    name,
    get: (key) => keyv.get(key),
    set: (key, value) => keyv.set(key, value, TTL_MS),
    getMany: (keys) => keyv.getMany([...keys]),
    setMany: (entries) => keyv.setMany(entries.map(([key, value]) => ({ key, value, ttl: TTL_MS }))),
    async close () {
      await keyv.disconnect()
    }
  }
}

async function cacheManager (name: string, url: string): Promise<CacheAdapter> {
  const keyv = createKeyv(url, { namespace: 'cm' })
  keyv.on('error', () => {})
  const cache = createCache({ stores: [keyv] })
  return {
    name,
    get: (key) => cache.get(key),
    set: (key, value) => cache.set(key, value, TTL_MS),
    getMany: (keys) => cache.mget([...keys]),
    setMany: (entries) => cache.mset(entries.map(([key, value]) => ({ key, value, ttl: TTL_MS }))),
    async close () {
      await cache.disconnect()
    }
  }
}

/** RedisCache on a RedisConnection built from resolved options, exactly as the plugins build theirs. */
async function codex (name: string, url: string): Promise<CacheAdapter> {
  const connection = new RedisConnection(resolveConnectionOptions({ url }), (err) => { console.error(`${name}: ${err.message}`) })
  await connection.connect()
  const cache = new RedisCache(connection, { keyPrefix: 'bench', ttl: TTL_SECONDS })
  return {
    name,
    get: (key) => cache.get(key),
    // The adapter's values are the benchmark's JSON documents, typed unknown for every contestant.
    set: (key, value) => cache.set(key, value as JsonValue),
    add: (key, value) => cache.add(key, value as JsonValue),
    incr: (key) => cache.incr(key),
    getMany: (keys) => cache.getMany(keys),
    setMany: (entries) => cache.setMany(entries as Iterable<readonly [string, JsonValue]>),
    getOrSet: (key, factory) => cache.getOrSet(key, factory as () => Promise<JsonValue>),
    close: async () => {
      await cache.close()
      await connection.close()
    }
  }
}

/** Every contestant (or those named in `only`), each on its own connection. */
export async function openContestants (url: string, only?: readonly string[]): Promise<CacheAdapter[]> {
  const factories: Array<[string, () => Promise<CacheAdapter>]> = [
    [RAW_DEFAULTS, () => rawClient(RAW_DEFAULTS, url, 'rawd:', undefined)],
    [RAW_NO_TIMEOUT, () => rawClient(RAW_NO_TIMEOUT, url, 'rawn:', { timeout: 0 })],
    [KEYV, async () => {
      const keyv = createKeyv(url, { namespace: 'keyv' })
      keyv.on('error', () => {})
      return keyvAdapter(KEYV, keyv)
    }],
    [CACHE_MANAGER, () => cacheManager(CACHE_MANAGER, url)],
    [CODEX, () => codex(CODEX, url)]
  ]
  const adapters: CacheAdapter[] = []
  for (const [name, open] of factories) if (only === undefined || only.includes(name)) adapters.push(await open())
  return adapters
}
