export { codexRedis, type CodexRedisOptions, type CodexRedisClient, type CodexRedisCommand } from './plugins/redis.js'
export type { RedisHealth } from './lib/connection/user-commands.js'
export { codexCache, type CodexCacheOptions } from './plugins/cache.js'
export { RedisCache } from './lib/cache/cache.js'
export type { CacheEntries } from './lib/cache/batch.js'
export type { JsonValue, JsonSafe } from './lib/cache/json-value.js'
export type {
  CacheOptions, NearCacheOptions, KeyOptions, WriteOptions, GetOrSetOptions, LockOptions, RedisCacheOptions, StandaloneCacheOptions
} from './lib/cache/options.js'
export type { CodexLogger } from './lib/logger.js'
export type { Factory, FactoryContext } from './lib/cache/read-through/factory.js'
export type { ManyFactory, ManyFactoryContext, ManyResult } from './lib/cache/read-through/many.js'
export type { RouteCacheOptions } from './lib/route-cache/options.js'
export type { Lock, LockedFunction } from './lib/cache/locks/locks.js'
export type { KeyFunction, KeyVersion } from './lib/keys.js'
export type { ConnectionOptions } from './lib/connection/options.js'
export type { RedisClientLike } from './lib/connection/client-types.js'
export { JsonSerializer, type Serializer } from './lib/serializer.js'
export { CacheCoder } from './lib/coder.js'
export {
  RedisUnavailableError, RedisCommandError, NotSerializableError, CorruptValueError, InvalidKeyError, InvalidTtlError,
  InvalidDeltaError, KeyNotFoundError, ClearRefusedError, SessionInterruptedError, InvalidOptionsError,
  FactoryTimeoutError, LockBusyError, LockLostError, ValueTooLargeError
} from './lib/errors.js'
export { codexSession, type CodexSessionOptions } from './plugins/session.js'
export { RedisSessionStore, type RedisSessionStoreOptions } from './lib/session/store.js'
export { sessionSigner, type CookieSigner } from './lib/session/signer.js'
export { SessionAdmin, type StoredSession } from './lib/session/admin.js'
export type { SessionCursor } from './lib/session/cursor.js'
export type { SessionStoreOptions, DeviceOptions } from './lib/session/options.js'
export type { DeviceSession } from './lib/session/user-index.js'
export type { DeviceRequest } from './lib/session/device.js'
export type { CacheStats, SessionStats } from './lib/observe/stats.js'
export type { CacheContext, CacheOutcome, LockContext, SessionContext, SessionOperation, RouteCacheContext } from './lib/observe/channels.js'
