// Type-level checks, compiled by `tsc --noEmit` (npm test): a wrong type here fails the build.
import Fastify from 'fastify'
import { codexCache, RedisCache, type CodexCacheOptions } from '../../index.js'

const app = Fastify()
await app.register(codexCache, { keyPrefix: 'app', ttl: 60, commandTimeout: 500 })

const cache: RedisCache = app.cache
const user: { id: string } | undefined = await cache.get<{ id: string }>('user')
const many: Map<string, number> = await cache.getMany<number>(['a'])
const added: boolean = await cache.add('lock', 1, { ttl: 10 })
const left: number | null | undefined = await cache.ttl('k')
const next: number = await cache.incr('n', 2, { version: 3 })
const failed: string[] = await cache.setMany(new Map([['a', 1]]), { ttl: null })
const key: string = cache.makeKey('k', 2)
export const checked = [user, many, added, left, next, failed, key]

// @ts-expect-error ttl is seconds or null, not a string
await cache.set('k', 1, { ttl: '10' })
// @ts-expect-error keys are strings
await cache.get(42)
// @ts-expect-error unknown options are refused
const bad: CodexCacheOptions = { keyPrefx: 'typo' }
export const refused = bad

// Read-through: getOrSet<T> is inferred from the factory (sync or async); ctx is typed by it.
const rows: Array<{ id: number }> = await cache.getOrSet('rows', async (ctx) => {
  const previous: Array<{ id: number }> | undefined = ctx.stale
  ctx.setTtl(previous === undefined ? 60 : null)
  if (ctx.signal.aborted) ctx.skip()
  return [{ id: 1 }]
}, { ttl: 30, grace: 300, timeout: 50, hardTimeout: 2000, lockTimeout: 5000, tags: ['rows'] })
const count: number = await cache.getOrSet('count', () => 42)
await cache.set('tagged', 1, { tags: ['a', 'b'] })
await cache.invalidateTags(['a'])
await app.register(codexCache, { failOpen: true, decorator: 'cache2' })
export const readThrough = [rows, count]
// @ts-expect-error the result type follows the factory
const wrong: string = await cache.getOrSet('n', () => 1)
// @ts-expect-error tags are strings
await cache.set('k', 1, { tags: [1] })
// @ts-expect-error failOpen is a boolean
await app.register(codexCache, { failOpen: 'yes' })
export const refusedToo = wrong
