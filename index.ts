export { codexRedis, type CodexRedisOptions } from './plugins/redis.js'
export { codexCache, type CodexCacheOptions } from './plugins/cache.js'
export { RedisCache, type KeyOptions, type WriteOptions, type RedisCacheOptions, type StandaloneCacheOptions } from './lib/cache/cache.js'
export type { CacheEntries } from './lib/cache/batch.js'
export type { CacheOptions, CacheLogger } from './lib/cache/options.js'
export type { GetOrSetOptions } from './lib/cache/read-through.js'
export type { Factory, FactoryContext } from './lib/cache/factory.js'
export { Lock } from './lib/cache/lock.js'
export type { LockOptions, WithLockOptions } from './lib/cache/lock-options.js'
export type { LockedFunction } from './lib/cache/locks.js'
export type { KeyFunction, KeyVersion } from './lib/keys.js'
export type { ConnectionOptions } from './lib/connection/options.js'
export type { RedisClientLike } from './lib/connection/client-types.js'
export { JsonSerializer, type Serializer } from './lib/serializer.js'
export { CacheCoder } from './lib/coder.js'
export {
  RedisUnavailableError, RedisCommandError, NotSerializableError, CorruptValueError, InvalidKeyError, InvalidTtlError,
  InvalidDeltaError, KeyNotFoundError, ClearRefusedError, SessionInterruptedError, InvalidOptionsError,
  FactoryTimeoutError, LockBusyError, LockLostError
} from './lib/errors.js'
export { codexSession, type CodexSessionOptions } from './plugins/session.js'
export { RedisSessionStore, type RedisSessionStoreOptions } from './lib/session/store.js'
export { SessionAdmin } from './lib/session/admin.js'
export type { SessionLogger, SessionStoreOptions } from './lib/session/options.js'
